"""Rules judged on intervals: a drop fails only when the data show it exceeds the margin."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.stats import compare_paired, decide
from mlgate.stats.intervals import Comparison


def _comparison(
    diff: float, low: float, high: float, *, head: float = 0.90, head_low: float = 0.88, head_high: float = 0.92,
    higher_is_better: bool = True, confidence: float = 0.95,
) -> Comparison:
    return Comparison(
        metric="predictions.accuracy", head=head, base=head - diff, diff=diff, diff_low=low, diff_high=high,
        head_low=head_low, head_high=head_high, base_low=0.0, base_high=1.0, confidence=confidence,
        method="paired_counts", n_head=5000, n_base=5000, n_paired=5000, paired=True, p_value=None, test=None,
        higher_is_better=higher_is_better, resamples=2000, seed=0,
    )


def test_the_issues_two_examples_read_as_written() -> None:
    failed = decide(_comparison(-0.0175, -0.0251, -0.0102), "max_drop", 0.01)
    assert not failed.passed and failed.significant
    assert failed.reading == "−0.0175 [−0.0251, −0.0102] (95 %), significant: the drop exceeds 0.01"
    noise = decide(_comparison(-0.006, -0.021, 0.008), "max_drop", 0.01)
    assert noise.passed and not noise.significant
    assert noise.reading == "−0.0060 [−0.0210, +0.0080] (95 %), within noise"


@pytest.mark.parametrize(
    ("diff", "low", "high", "passed", "ending"),
    [
        (-0.030, -0.040, -0.0101, False, "significant: the drop exceeds 0.01"),
        (-0.030, -0.040, -0.0099, True, "significant drop, within the 0.01 margin"),
        (-0.015, -0.030, 0.001, True, "within noise: a drop beyond 0.01 is not shown"),
        (0.020, 0.010, 0.030, True, "significant improvement"),
        (0.000, 0.000, 0.000, True, "within noise"),
    ],
)
def test_max_drop_fails_iff_the_upper_end_is_below_minus_the_margin(
    diff: float, low: float, high: float, passed: bool, ending: str
) -> None:
    d = decide(_comparison(diff, low, high), "max_drop", 0.01)
    assert d.passed is passed
    assert d.reading.endswith(ending)
    assert d.margin == 0.01


def test_max_drop_pct_takes_a_percentage_of_the_base_value() -> None:
    c = _comparison(-0.05, -0.07, -0.041, head=0.75)  # base 0.80; 5 % of it is 0.04
    d = decide(c, "max_drop_pct", 5)
    assert not d.passed and d.margin == pytest.approx(0.04)
    assert d.reading.endswith("significant: the drop exceeds 5 % (0.04)")
    assert decide(c, "max_drop_pct", 6).passed


def test_max_increase_on_a_lower_is_better_metric() -> None:
    worse = _comparison(0.03, 0.012, 0.05, higher_is_better=False)
    d = decide(worse, "max_increase", 0.01)
    assert not d.passed and d.reading.endswith("significant: the rise exceeds 0.01")
    better = _comparison(-0.03, -0.05, -0.012, higher_is_better=False)
    assert decide(better, "max_increase", 0.01).reading.endswith("significant improvement")
    rising = _comparison(0.03, 0.02, 0.04, higher_is_better=False)  # base 0.87: 2 % of it is 0.0174
    assert decide(rising, "max_increase_pct", 2).passed is False
    assert decide(rising, "max_increase_pct", 3).passed is True


@pytest.mark.parametrize(
    ("rule", "threshold", "head_low", "head_high", "passed", "ending"),
    [
        ("min", 0.93, 0.88, 0.92, False, "significantly below the minimum 0.93"),
        ("min", 0.91, 0.88, 0.92, True, "within noise of the minimum 0.91"),
        ("min", 0.85, 0.88, 0.92, True, "above the minimum 0.85"),
        ("max", 0.87, 0.88, 0.92, False, "significantly above the maximum 0.87"),
        ("max", 0.90, 0.88, 0.92, True, "within noise of the maximum 0.9"),
        ("max", 0.95, 0.88, 0.92, True, "below the maximum 0.95"),
    ],
)
def test_min_and_max_are_judged_on_the_head_interval(
    rule: str, threshold: float, head_low: float, head_high: float, passed: bool, ending: str
) -> None:
    d = decide(_comparison(0, 0, 0, head_low=head_low, head_high=head_high), rule, threshold)
    assert d.passed is passed
    assert d.reading.startswith("0.9000 [0.8800, 0.9200] (95 %), ")
    assert d.reading.endswith(ending)


def test_confidence_is_shown_as_given() -> None:
    d = decide(_comparison(-0.006, -0.021, 0.008, confidence=0.9), "max_drop", 0.01)
    assert "(90 %)" in d.reading


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="rule .max_dorp. cannot be decided on an interval"):
        decide(_comparison(0, 0, 0), "max_dorp", 0.01)


def test_a_real_two_point_drop_on_5000_rows_fails_and_seed_noise_passes() -> None:
    rng = np.random.default_rng(21)
    y = rng.integers(0, 2, 5000)
    base = np.where(rng.random(5000) < 0.90, y, 1 - y)
    right, wrong = np.flatnonzero(base == y), np.flatnonzero(base != y)
    # another seed: 100 rows the base got right go wrong and 80 it got wrong go right (−0.4 points)
    noise = base.copy()
    for rows in (rng.choice(right, 100, replace=False), rng.choice(wrong, 80, replace=False)):
        noise[rows] = 1 - noise[rows]
    # a real loss: 200 more rows go wrong, none come back (−4 points)
    drop = base.copy()
    drop[rng.choice(right, 200, replace=False)] ^= 1
    quiet = decide(compare_paired("accuracy", y, base, noise), "max_drop", 0.01)
    loud = decide(compare_paired("accuracy", y, base, drop), "max_drop", 0.01)
    assert quiet.passed and quiet.reading.startswith("−0.0040 [")
    assert not loud.passed and loud.reading.startswith("−0.0400 [")
