"""A metric's run-to-run noise, learnt from its recorded history on the default branch.

Pure functions over plain numbers (oldest first), no I/O. The history of a metric is a sequence of runs, each
its level plus noise; the level moves when a commit really changes it (a step). The spread of one run is
estimated from the successive differences — a difference of two neighbouring runs is the noise of two runs
(variance 2σ²) whatever the level, so a slow slide hardly inflates it, and a step is one large difference:

* ``spread`` — the first, robust estimate (it sets the change-point finder's penalty): the differences'
  robust scale (scipy's median absolute deviation, scaled to a normal's σ); the differences beyond
  ``OUTLIER`` of those scales from their median are steps, set aside; σ = the root mean square of the
  others / √2.
* ``within_levels`` — the noise the gates judge with, once the change points are known: the same mean
  square of successive differences over the differences *inside* the levels (a difference across a change
  point is a step, not noise), setting aside only a gross step (beyond ``STEP`` robust scales) that the
  change-point finder could not isolate, such as one at the last run. Trimming at 3.5 scales sets aside a
  noise difference in about 8 % of pure-noise histories of 20 runs (the median absolute deviation of 19
  numbers is itself noisy), which biases σ low and the false alarms high; at 5 scales, about 1 %.

Degrees of freedom. Successive differences of independent runs are correlated (neighbours share a run:
correlation −½), so ``m`` of them carry fewer than ``m − 1`` degrees of freedom. For normal noise,
Var(Σd²) = 2σ⁴ Σ_b (6 m_b − 2) over the blocks ``b`` of consecutive kept differences (``m_b`` each), so
σ̂² = Σd² / 2m has the variance of a χ² estimate with ν = 2m² / (3m − B) degrees of freedom (B blocks;
Satterthwaite): 12.9 for 19 differences in one block, not 18. The mean of the runs is independent of the
differences (they are contrasts), so (level − head) / (σ̂·√(1 + 1/k)) is Student t with ν degrees of freedom.

A judgement at a confidence level uses the one-sided Student t quantile (scipy) with those degrees of
freedom: "the noise allows a drop of q·s", where s is the standard deviation of the change judged (head −
level: one run against the mean of ``k`` runs, s = σ·√(1 + 1/k)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

OUTLIER = 3.5  # differences this many robust scales from their median are steps, not noise (first estimate)
STEP = 5.0  # within levels: only a difference this many robust scales out is a step the segmentation missed
MIN_VALUES = 3  # fewer values have fewer than two differences: no spread


@dataclass(frozen=True)
class Spread:
    """One run's noise: its standard deviation, from how many runs, and the degrees of freedom it has."""

    sigma: float
    runs: int
    df: float  # the estimate's degrees of freedom (at least 1): see effective_df


def spread(values: Sequence[float] | np.ndarray) -> Spread | None:
    """The run-to-run spread of ``values`` (oldest first), robust to steps; None with fewer than ``MIN_VALUES``."""
    x = np.asarray(values, dtype=float)
    if len(x) < MIN_VALUES:
        return None
    d = np.diff(x)
    kept = _screen(d, OUTLIER)
    return _from_differences(d, kept, len(x))


def within_levels(values: Sequence[float], starts: Sequence[int]) -> Spread | None:
    """The run-to-run spread of ``values`` inside the levels that begin at ``starts`` (the change points: the
    first run at each new level); None with fewer than ``MIN_VALUES`` values."""
    x = np.asarray(values, dtype=float)
    if len(x) < MIN_VALUES:
        return None
    d = np.diff(x)
    inside = np.ones(len(d), dtype=bool)
    for start in starts:
        if 0 < start < len(x):
            inside[start - 1] = False  # d[start - 1] = x[start] − x[start − 1] crosses the change point
    kept = np.zeros(len(d), dtype=bool)
    kept[inside] = _screen(d[inside], STEP)
    return _from_differences(d, kept, len(x))


def effective_df(kept: Sequence[bool] | np.ndarray) -> float:
    """The degrees of freedom of σ̂² = Σd² / 2m over the kept successive differences (``kept[i]`` for
    d[i] = x[i+1] − x[i]): ν = 2m² / (3m − B), B the blocks of consecutive kept differences; at least 1."""
    k = np.asarray(kept, dtype=bool)
    m = int(k.sum())
    if m == 0:
        return 1.0
    blocks = int(k[0]) + int(np.sum(k[1:] & ~k[:-1]))
    return max(1.0, 2 * m * m / (3 * m - blocks))


def _screen(d: np.ndarray, cut: float) -> np.ndarray:
    """Which differences are noise: those within ``cut`` robust scales of their median."""
    if not len(d):
        return np.zeros(0, dtype=bool)
    center = float(np.median(d))
    scale = float(stats.median_abs_deviation(d, scale="normal"))
    if scale == 0:  # most differences equal (a quantised metric): the mean absolute deviation, normal-scaled
        scale = float(np.mean(np.abs(d - center))) * math.sqrt(math.pi / 2)
    return np.abs(d - center) <= cut * scale if scale > 0 else d == center


def _from_differences(d: np.ndarray, kept: np.ndarray, runs: int) -> Spread:
    sigma = float(np.sqrt(np.mean(d[kept] ** 2)) / math.sqrt(2)) if kept.any() else 0.0
    return Spread(sigma, runs, effective_df(kept))


def quantile(confidence: float, df: float) -> float:
    """The one-sided Student t quantile: a change of less than ``quantile · s`` is within noise."""
    return float(stats.t.ppf(confidence, df))


def change_sd(sigma: float, reference_runs: int) -> float:
    """The standard deviation of one run against the mean of ``reference_runs`` runs."""
    return sigma * math.sqrt(1 + 1 / max(1, reference_runs))


def detectable(noise: Spread, confidence: float, reference_runs: int) -> float:
    """The smallest change a gate at ``confidence`` can tell from noise (beyond its margin)."""
    return quantile(confidence, noise.df) * change_sd(noise.sigma, reference_runs)
