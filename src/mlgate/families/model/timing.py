"""Prediction latency of the base and the head, measured interleaved in one process.

Absolute times depend on the machine (a shared CI runner is noisy); the head/base ratio measured side by
side, base, head, head, base, … on the same rows, is what stays stable. Each measurement is repeated
``repeats`` times after one warm-up call per side; single-row calls cycle through the sample's rows,
batch calls predict the whole sample. The ratio is of medians; its interval is a percentile bootstrap
over the repeats (pairs resampled together), seeded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

Predict = Callable[[pd.DataFrame], Any]


@dataclass(frozen=True)
class Timings:
    """Per-call times in milliseconds, one per repeat."""

    single: np.ndarray
    batch: np.ndarray
    batch_rows: int


def measure(sides: list[tuple[Predict, pd.DataFrame]], repeats: int,
            before: Callable[[int], None] | None = None) -> list[Timings]:
    """Time each side's predict; with two sides, interleaved and in alternating order. ``before(side)``, if
    given, is called before each predict call, outside the timed part (the worker's watch on the call)."""
    before = before or (lambda s: None)
    n = min(len(x) for _, x in sides)
    rows = [[x.iloc[[i % len(x)]] for i in range(min(n, repeats))] for _, x in sides]
    for s, ((predict, x), one) in enumerate(zip(sides, rows)):  # warm-up: caches, lazy imports, first calls
        before(s)
        predict(one[0])
        before(s)
        predict(x)
    single = np.zeros((len(sides), repeats))
    batch = np.zeros((len(sides), repeats))
    for r in range(repeats):
        order = list(range(len(sides)))[:: 1 if r % 2 == 0 else -1]
        for s in order:
            predict, x = sides[s]
            row = rows[s][r % len(rows[s])]
            before(s)
            start = time.perf_counter_ns()
            predict(row)
            single[s, r] = (time.perf_counter_ns() - start) / 1e6
        for s in order:
            predict, x = sides[s]
            before(s)
            start = time.perf_counter_ns()
            predict(x)
            batch[s, r] = (time.perf_counter_ns() - start) / 1e6
    return [Timings(single=single[s], batch=batch[s], batch_rows=len(sides[s][1])) for s in range(len(sides))]


def percentiles(ms: np.ndarray) -> tuple[float, float]:
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


@dataclass(frozen=True)
class Ratio:
    value: float
    low: float
    high: float
    confidence: float
    resamples: int


def ratio(head: np.ndarray, base: np.ndarray, *, confidence: float = 0.95, resamples: int = 2000,
          seed: int = 0) -> Ratio:
    """median(head) / median(base) with a percentile bootstrap interval over the paired repeats."""
    head, base = np.asarray(head, dtype=np.float64), np.asarray(base, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(head), size=(resamples, len(head)))
    boot = np.median(head[idx], axis=1) / np.median(base[idx], axis=1)
    alpha = 1 - confidence
    low, high = np.quantile(boot, (alpha / 2, 1 - alpha / 2))
    return Ratio(value=float(np.median(head) / np.median(base)), low=float(low), high=float(high),
                 confidence=confidence, resamples=resamples)
