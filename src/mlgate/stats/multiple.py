"""Family-wise control when many slice gates are judged on intervals at once.

A rule judged on an interval at confidence c fails when the interval lies beyond the rule's bound.
``rule_p_value`` turns that into the two-sided p-value of "the rule holds", from the comparison's own
interval by a normal approximation (exact for DeLong's normal intervals): the rule fails alone exactly
when this p-value is below 1 − c. Over a family of m such gates the p-values are adjusted by

* ``holm`` (default) — Holm's step-down: controls the family-wise error rate (the chance of any false
  alarm) at 1 − c, uniformly more powerful than Bonferroni;
* ``bh`` — Benjamini–Hochberg: controls the false discovery rate (the expected share of false alarms
  among the failures) at 1 − c (``scipy.stats.false_discovery_control``).

Holm is ten lines here rather than a dependency on statsmodels for one function; BH comes from scipy.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import false_discovery_control, norm

from mlgate.gating.rules import RULES
from mlgate.stats.intervals import Comparison

METHODS = ("holm", "bh", "none")
METHOD_TEXT = {
    "holm": "Holm (family-wise error rate)",
    "bh": "Benjamini–Hochberg (false discovery rate)",
    "none": "no correction",
}


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values: sorted ascending, p_(j) × (m − j + 1), made monotone, capped at 1."""
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted


def adjust(p_values: np.ndarray, method: str) -> np.ndarray:
    """Adjusted p-values by ``method`` (one of ``METHODS``)."""
    p = np.asarray(p_values, dtype=np.float64)
    if method == "holm":
        return holm(p)
    if method == "bh":
        return false_discovery_control(p, method="bh") if len(p) else p.copy()
    if method == "none":
        return p.copy()
    raise ValueError(f"unknown correction {method!r}; expected one of {', '.join(METHODS)}")


def rule_p_value(c: Comparison, rule: str, threshold: float) -> float:
    """Two-sided p-value that ``rule`` holds, from the comparison's interval (see the module doc)."""
    spec = RULES[rule]
    z = float(norm.ppf(1 - (1 - c.confidence) / 2))
    if spec.interval in ("head_min", "head_max"):
        estimate, low, high = c.head, c.head_low, c.head_high
        breach = (threshold - estimate) if spec.interval == "head_min" else (estimate - threshold)
    elif spec.interval in ("diff_drop", "diff_rise"):
        margin = threshold / 100 * abs(c.base) if spec.percent else threshold
        estimate, low, high = c.diff, c.diff_low, c.diff_high
        breach = (-margin - estimate) if spec.interval == "diff_drop" else (estimate - margin)
    else:
        raise ValueError(f"{rule} is not judged on an interval")
    se = (high - low) / (2 * z)
    if not se > 0 or not math.isfinite(se):
        return 0.0 if breach > 0 else 1.0
    return float(min(1.0, 2 * norm.sf(breach / se)))
