"""Holm and Benjamini–Hochberg adjustments, and the p-value of a rule judged on an interval."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mlgate.stats import decide
from mlgate.stats.intervals import Comparison
from mlgate.stats.multiple import adjust, holm, rule_p_value


def _holm_by_definition(p: list[float], alpha: float) -> list[bool]:
    """Holm's step-down as written in textbooks: reject in ascending order while p_(j) <= alpha / (m - j)."""
    order = sorted(range(len(p)), key=lambda i: p[i])
    reject = [False] * len(p)
    for j, i in enumerate(order):
        if p[i] > alpha / (len(p) - j):
            break
        reject[i] = True
    return reject


@pytest.mark.parametrize("seed", range(20))
def test_holm_rejects_what_the_step_down_procedure_rejects(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = (rng.random(12) ** 3).tolist()
    adjusted = holm(np.array(p))
    for alpha in (0.01, 0.05, 0.1):
        assert (adjusted <= alpha).tolist() == _holm_by_definition(p, alpha)
    assert np.all(adjusted >= np.array(p)) and np.all(adjusted <= 1)


def test_known_values() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    assert holm(p).tolist() == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust(p, "bh").tolist() == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert adjust(p, "none").tolist() == p.tolist()
    assert holm(np.array([])).tolist() == []
    with pytest.raises(ValueError, match="unknown correction"):
        adjust(p, "bonferroni")


def _comparison(diff: float, half_width: float, base: float = 0.9, confidence: float = 0.95) -> Comparison:
    head = base + diff
    return Comparison(
        metric="predictions.accuracy", head=head, base=base, diff=diff, diff_low=diff - half_width,
        diff_high=diff + half_width, head_low=head - half_width, head_high=head + half_width, base_low=base,
        base_high=base, confidence=confidence, method="paired_counts", n_head=100, n_base=100, n_paired=100,
        paired=True, p_value=None, test=None, higher_is_better=True, resamples=2000, seed=0,
    )


@pytest.mark.parametrize(("rule", "threshold"), [("max_drop", 0.02), ("max_drop_pct", 2), ("max_increase", 0.01),
                                                  ("min", 0.85), ("max", 0.9)])
def test_rule_p_value_is_below_alpha_exactly_when_the_interval_fails(rule: str, threshold: float) -> None:
    for diff, hw in itertools.product(np.linspace(-0.1, 0.1, 41), (0.005, 0.02, 0.05)):
        c = _comparison(float(diff), hw)
        failed = not decide(c, rule, threshold).passed
        p = rule_p_value(c, rule, threshold)
        if abs(p - 0.05) > 1e-9:  # on the boundary either answer is right
            assert (p < 0.05) == failed, (rule, diff, hw, p)


def test_rule_p_value_of_a_zero_width_interval() -> None:
    assert rule_p_value(_comparison(-0.05, 0.0), "max_drop", 0.01) == 0.0
    assert rule_p_value(_comparison(0.0, 0.0), "max_drop", 0.01) == 1.0
