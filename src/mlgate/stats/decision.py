"""Judge a KPI rule on a confidence interval: fail only when the data show the rule is broken.

Rules (names as in mlgate.yaml), with ``lo``/``hi`` the interval ends at the comparison's confidence:

==================  ===================================  ======================================
rule                fails iff                            margin
==================  ===================================  ======================================
``max_drop``        ``diff_high < −margin``               ``threshold``
``max_drop_pct``    ``diff_high < −margin``               ``threshold`` % of ``|base|``
``max_increase``    ``diff_low > margin``                 ``threshold``
``max_increase_pct````diff_low > margin``                 ``threshold`` % of ``|base|``
``min``             ``head_high < threshold``             —
``max``             ``head_low > threshold``              —
==================  ===================================  ======================================

So a drop rule fails when even the optimistic end of the interval of head − base is a drop larger
than the margin; an interval that reaches back inside the margin is "within noise" and passes.
``_pct`` thresholds are percentages (``max_drop_pct: 5`` allows a 5 % drop of the base value; the
base value is taken as fixed). The rule names say which way they look; ``higher_is_better`` only
chooses the words ("improvement" or "worse") of the reading.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from mlgate.gating.rules import RULES as _REGISTRY
from mlgate.stats.intervals import Comparison
from mlgate.text.numbers import confidence_pct, fixed, interval_digits

# The rules an interval can decide, by how (from the registry: mlgate.gating.rules).
RULES = tuple(name for name, rule in _REGISTRY.items() if rule.interval is not None)


@dataclass(frozen=True)
class Decision:
    """The outcome of one rule on one comparison."""

    passed: bool
    reading: str  # one line for reviewers: "−0.0175 [−0.0251, −0.0102] (95 %), significant: ..."
    significant: bool  # diff rules: the interval excludes 0; min/max: it excludes the threshold
    margin: float | None = None  # the absolute margin a diff rule allowed; None for min/max


def decide(comparison: Comparison, rule: str, threshold: float, higher_is_better: bool | None = None) -> Decision:
    """Pass or fail ``rule`` (a name from ``RULES``) with ``threshold``, judged at the comparison's confidence."""
    how = _REGISTRY[rule].interval if rule in _REGISTRY else None
    if how is None:
        raise ValueError(f"rule {rule!r} cannot be decided on an interval; expected one of {', '.join(RULES)}")
    c = comparison
    better_up = c.higher_is_better if higher_is_better is None else higher_is_better
    conf = f"({confidence_pct(c.confidence)} %)"
    if how in ("head_min", "head_max"):
        lo, hi, value = c.head_low, c.head_high, c.head
        digits = interval_digits(lo, hi, value)
        shown = f"{fixed(value, digits)} [{fixed(lo, digits)}, {fixed(hi, digits)}] {conf}"
        t = f"{threshold:g}"
        if how == "head_min":
            failed, significant = hi < threshold, lo >= threshold or hi < threshold
            if failed:
                return Decision(False, f"{shown}, significantly below the minimum {t}", True)
            if lo >= threshold:
                return Decision(True, f"{shown}, above the minimum {t}", significant)
            return Decision(True, f"{shown}, within noise of the minimum {t}", significant)
        failed, significant = lo > threshold, lo > threshold or hi <= threshold
        if failed:
            return Decision(False, f"{shown}, significantly above the maximum {t}", True)
        if hi <= threshold:
            return Decision(True, f"{shown}, below the maximum {t}", significant)
        return Decision(True, f"{shown}, within noise of the maximum {t}", significant)

    if threshold < 0 or not math.isfinite(threshold):
        raise ValueError(f"{rule} needs a finite threshold >= 0, got {threshold}")
    percent = _REGISTRY[rule].percent
    margin = threshold / 100 * abs(c.base) if percent else threshold
    margin_text = f"{threshold:g} % ({margin:.3g})" if percent else f"{margin:g}"
    lo, hi, diff = c.diff_low, c.diff_high, c.diff
    digits = interval_digits(lo, hi, diff)
    shown = f"{fixed(diff, digits, sign=True)} [{fixed(lo, digits, sign=True)}, {fixed(hi, digits, sign=True)}] {conf}"
    significant = lo > 0 or hi < 0
    watch_drop = how == "diff_drop"
    worse_word, other_word = ("drop", "rise") if watch_drop else ("rise", "drop")
    if watch_drop:
        failed = hi < -margin
        beyond = diff < -margin
        against = hi < 0  # significant change in the watched direction
    else:
        failed = lo > margin
        beyond = diff > margin
        against = lo > 0
    if failed:
        return Decision(False, f"{shown}, significant: the {worse_word} exceeds {margin_text}", True, margin)
    if against:
        return Decision(True, f"{shown}, significant {worse_word}, within the {margin_text} margin", True, margin)
    if significant:
        gain = (not watch_drop) == (not better_up)  # a rise when higher is better, a drop when lower is
        word = "improvement" if gain else other_word
        return Decision(True, f"{shown}, significant {word}", True, margin)
    if beyond:
        return Decision(
            True, f"{shown}, within noise: a {worse_word} beyond {margin_text} is not shown", False, margin
        )
    return Decision(True, f"{shown}, within noise", False, margin)


