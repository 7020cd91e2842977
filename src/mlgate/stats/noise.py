"""A metric's run-to-run noise, learnt from its recorded history on the default branch.

Pure functions over plain numbers (oldest first), no I/O. The history of a metric is a sequence of runs, each
its level plus noise; the level moves when a commit really changes it (a step). The spread of one run is
estimated from the successive differences — a difference of two neighbouring runs is the noise of two runs
(variance 2σ²), and a step in the history is one large difference, which the median absolute deviation
sets aside, so a real change does not inflate the noise:

1. the differences' robust scale (scipy's median absolute deviation, scaled to a normal's σ);
2. the differences beyond ``OUTLIER`` of those scales from their median are steps, set aside;
3. σ = the root mean square of the others, / √2 (an efficient estimate once the steps are out).

A judgement at a confidence level uses the one-sided Student t quantile (scipy) with the kept differences'
degrees of freedom: "the noise allows a drop of q·s", where s is the standard deviation of the change
judged (head − level: one run against the mean of ``k`` runs, s = σ·√(1 + 1/k)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

OUTLIER = 3.5  # differences this many robust scales from their median are steps, not noise
MIN_VALUES = 3  # fewer values have fewer than two differences: no spread


@dataclass(frozen=True)
class Spread:
    """One run's noise: its standard deviation, from how many runs, and the degrees of freedom it has."""

    sigma: float
    runs: int
    df: int  # kept differences − 1 (at least 1)


def spread(values: Sequence[float] | np.ndarray) -> Spread | None:
    """The run-to-run spread of ``values`` (oldest first); None with fewer than ``MIN_VALUES``."""
    x = np.asarray(values, dtype=float)
    if len(x) < MIN_VALUES:
        return None
    d = np.diff(x)
    center = float(np.median(d))
    scale = float(stats.median_abs_deviation(d, scale="normal"))
    if scale == 0:  # most differences equal (a quantised metric): the mean absolute deviation, normal-scaled
        scale = float(np.mean(np.abs(d - center))) * math.sqrt(math.pi / 2)
    kept = d[np.abs(d - center) <= OUTLIER * scale] if scale > 0 else d[d == center]
    sigma = float(np.sqrt(np.mean(kept**2)) / math.sqrt(2)) if len(kept) else 0.0
    return Spread(sigma, len(x), max(1, len(kept) - 1))


def quantile(confidence: float, df: int) -> float:
    """The one-sided Student t quantile: a change of less than ``quantile · s`` is within noise."""
    return float(stats.t.ppf(confidence, df))


def change_sd(sigma: float, reference_runs: int) -> float:
    """The standard deviation of one run against the mean of ``reference_runs`` runs."""
    return sigma * math.sqrt(1 + 1 / max(1, reference_runs))


def detectable(noise: Spread, confidence: float, reference_runs: int) -> float:
    """The smallest change a gate at ``confidence`` can tell from noise (beyond its margin)."""
    return quantile(confidence, noise.df) * change_sd(noise.sigma, reference_runs)
