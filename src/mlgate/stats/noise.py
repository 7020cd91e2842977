"""A metric's run-to-run noise, learnt from its recorded history on the default branch.

Pure functions over plain numbers (oldest first), no I/O. The history of a metric is a sequence of runs, each
its level plus noise; the level moves when a commit really changes it (a step). Three estimates of the
spread of one run (σ):

* ``spread`` — the first, robust estimate, made before any change point is known (it sets the change-point
  finder's penalty): from the successive differences. A difference of two neighbouring runs is the noise of
  two runs (variance 2σ²) whatever the level, so a slow slide hardly inflates it, and a step is one large
  difference: the differences beyond ``OUTLIER`` robust scales (scipy's median absolute deviation, scaled to
  a normal's σ) from their median are set aside; σ = the root mean square of the others / √2. Neighbouring
  differences share a run (correlation −½), so m of them carry ν = 2m²/(3m − B) degrees of freedom over B
  blocks of consecutive kept ones (Satterthwaite; ``effective_df``): 12.9 for 19, not 18.
* ``within_levels`` — the noise the noise gate judges with, once the change points are known: the pooled standard
  deviation of the runs about their own level's mean, σ̂² = Σ (x − level)² / (n − L) over n runs in L levels,
  with n − L degrees of freedom (19 for 20 runs at one level). For normal noise this estimate is independent
  of every level's mean, so (level − head) / (σ̂·√(1 + 1/k)) is exactly Student t with n − L degrees of
  freedom, and it is the efficient estimate: on the same 20 runs the successive differences' 12.9 degrees of
  freedom cost a gate about a point of power on a 3σ drop (87.0 % against 88.0 %, noncentral t). Only a
  gross outlier is set aside first: a run beyond ``STEP`` robust scales from its level's median, such as a
  broken run the change-point finder cannot isolate (a level is at least two runs). The median absolute
  deviation of a few numbers is itself noisy, so the cut is wide: at 8 scales it sets a run of pure noise
  aside in 0.05 % of histories of 20 runs (1 % of 8), where 5 scales would in 1.3 % (5 % of 8) and bias σ low.

* ``between_neighbours`` — the ratchet's noise, once the change points are known: the successive
  differences within each level (none across a change point), each run beyond ``STEP`` robust scales from
  its level's median set aside as in ``within_levels``; σ² = Σd² / 2m, with ``effective_df`` degrees of
  freedom (12.9 for 20 runs at one level). The ratchet looks back over a whole window for its best level,
  and a slide in that window is not a level the finder can isolate until it has gone on for some runs: the
  runs of a slide in progress inflate the spread about their level's mean (by a fifth after three 1σ steps
  in 23 runs), while a 1σ step adds to one difference only. In bench/bench_noise.py's 300 slides of four 1σ
  steps, the ratchet caught 84.3 % within two steps of crossing a 1σ margin (82.3 % with ``within_levels``)
  and 74.3 % at 1.5σ (71.0 %); the price is its power on a sudden 3σ drop, 87.7 % against 88.2 % of 1,000.

A judgement at a confidence level uses the one-sided Student t quantile (scipy) with those degrees of
freedom: "the noise allows a drop of q·s", where s is the standard deviation of the change judged (head −
level: one run against the mean of ``k`` runs, s = σ·√(1 + 1/k)).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

OUTLIER = 3.5  # differences this many robust scales from their median are steps, not noise (first estimate)
STEP = 8.0  # within levels: only a run this many robust scales from its level's median is set aside
MIN_VALUES = 3  # fewer values have fewer than two differences: no spread


@dataclass(frozen=True)
class Spread:
    """One run's noise: its standard deviation, from how many runs, and the degrees of freedom it has."""

    sigma: float
    runs: int
    df: float  # the estimate's degrees of freedom (at least 1)


def spread(values: Sequence[float] | np.ndarray) -> Spread | None:
    """The run-to-run spread of ``values`` (oldest first), robust to steps; None with fewer than ``MIN_VALUES``."""
    x = np.asarray(values, dtype=float)
    if len(x) < MIN_VALUES:
        return None
    d = np.diff(x)
    kept = _screen(d, OUTLIER)
    return _from_differences(d, kept, len(x))


def within_levels(values: Sequence[float], starts: Sequence[int]) -> Spread | None:
    """The run-to-run spread of ``values`` about the levels that begin at ``starts`` (the change points: the
    first run at each new level); None with fewer than ``MIN_VALUES`` values."""
    screened = _screened_levels(values, starts)
    if screened is None:
        return None
    x, levels, kept = screened
    residuals, used = [], 0
    for a, b in levels:
        runs = x[a:b][kept[a:b]]
        if len(runs):
            residuals.append(runs - runs.mean())
            used += 1
    r = np.concatenate(residuals) if residuals else np.zeros(0)
    df = len(r) - used
    return Spread(_root_sum_squares(r) / math.sqrt(df) if df > 0 else 0.0, len(x), float(max(1, df)))


def between_neighbours(values: Sequence[float], starts: Sequence[int]) -> Spread | None:
    """The run-to-run spread of ``values`` from the successive differences inside the levels that begin at
    ``starts``; None with fewer than ``MIN_VALUES`` values."""
    screened = _screened_levels(values, starts)
    if screened is None:
        return None
    x, levels, runs_kept = screened
    kept = runs_kept[1:] & runs_kept[:-1]
    for a, _ in levels[1:]:
        kept[a - 1] = False  # the difference across a change point is the step, not noise
    return _from_differences(np.diff(x), kept, len(x))


def _screened_levels(values: Sequence[float], starts: Sequence[int]) -> Any:
    """(runs, [(start, end)] of each level, which runs are noise: within ``STEP`` robust scales of their
    level's median), or None with fewer than ``MIN_VALUES`` values."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n < MIN_VALUES:
        return None
    edges = [0, *sorted({int(s) for s in starts if 0 < s < n}), n]
    levels = list(zip(edges, edges[1:]))
    return x, levels, _screen(np.concatenate([x[a:b] - np.median(x[a:b]) for a, b in levels]), STEP)


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
    """Which values are noise: those within ``cut`` robust scales of their median."""
    if not len(d):
        return np.zeros(0, dtype=bool)
    center = float(np.median(d))
    scale = float(stats.median_abs_deviation(d, scale="normal"))
    if scale == 0:  # most differences equal (a quantised metric): the mean absolute deviation, normal-scaled
        scale = float(np.mean(np.abs(d - center))) * math.sqrt(math.pi / 2)
    return np.abs(d - center) <= cut * scale if scale > 0 else d == center


def _from_differences(d: np.ndarray, kept: np.ndarray, runs: int) -> Spread:
    m = int(kept.sum())
    sigma = _root_sum_squares(d[kept]) / math.sqrt(2 * m) if m else 0.0
    return Spread(sigma, runs, effective_df(kept))


def _root_sum_squares(a: np.ndarray) -> float:
    """√Σa², scaled by the largest |a| first, so a metric recorded in the 1e200s does not overflow its squares."""
    top = float(np.max(np.abs(a))) if len(a) else 0.0
    return top * float(np.sqrt(np.sum((a / top) ** 2))) if top > 0 else 0.0


def quantile(confidence: float, df: float) -> float:
    """The one-sided Student t quantile: a change of less than ``quantile · s`` is within noise."""
    return float(stats.t.ppf(confidence, df))


def change_sd(sigma: float, reference_runs: int) -> float:
    """The standard deviation of one run against the mean of ``reference_runs`` runs."""
    return sigma * math.sqrt(1 + 1 / max(1, reference_runs))


def detectable(noise: Spread, confidence: float, reference_runs: int) -> float:
    """The smallest change a gate at ``confidence`` can tell from noise (beyond its margin)."""
    return quantile(confidence, noise.df) * change_sd(noise.sigma, reference_runs)
