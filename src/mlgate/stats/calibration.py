"""Calibration of a binary score: Brier score, expected calibration error and the reliability table.

The score is the positive-class probability (``predictions.score``); the positive class follows
``stats.metrics`` (1/True for 0/1 labels, else the greater label). Bins are fixed and stated: ``bins``
equal-width bins over [0, 1] (default 10), assigned like scikit-learn's ``calibration_curve``
(``strategy="uniform"``): a score on an inner edge belongs to the lower bin, so the first bin is
[0, 0.1] and the others (lo, hi]. Empty bins are left out of the table and weigh nothing in the ECE.

* Brier score = mean((score − y)²), y = 1 for the positive class (``sklearn.metrics.brier_score_loss``).
* ECE = Σ over bins of (rows in bin / rows) × |mean score in bin − observed positive rate in bin|.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

DEFAULT_BINS = 10
NAMES = ("brier", "ece")


@dataclass(frozen=True)
class Bin:
    """One row of the reliability table."""

    low: float
    high: float
    mean_score: float
    observed_rate: float
    count: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def brier(y_pos: np.ndarray, score: np.ndarray) -> float:
    """Mean squared difference between the score and the positive-class indicator."""
    y = np.asarray(y_pos, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    return float(np.mean((s - y) ** 2))


def _binned(y_pos: np.ndarray, score: np.ndarray, bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    s = np.asarray(score, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], s)  # side="left": an inner edge belongs to the lower bin
    total = np.bincount(ids, minlength=bins)
    sums = np.bincount(ids, weights=s, minlength=bins)
    positives = np.bincount(ids, weights=np.asarray(y_pos, dtype=np.float64), minlength=bins)
    return edges, total, sums, positives


def ece(y_pos: np.ndarray, score: np.ndarray, bins: int = DEFAULT_BINS) -> float:
    """Expected calibration error over ``bins`` equal-width bins (see the module doc)."""
    _, total, sums, positives = _binned(y_pos, score, bins)
    n = total.sum()
    if n == 0:
        return float("nan")
    full = total > 0
    gap = np.abs(sums[full] / total[full] - positives[full] / total[full])
    return float(np.sum(total[full] / n * gap))


def ece_of(table: list[Bin]) -> float:
    """The ECE from a reliability table (the same value as ``ece`` on the rows behind it)."""
    n = sum(b.count for b in table)
    if n == 0:
        return float("nan")
    return float(sum(b.count / n * abs(b.mean_score - b.observed_rate) for b in table))


def reliability(y_pos: np.ndarray, score: np.ndarray, bins: int = DEFAULT_BINS) -> list[Bin]:
    """The non-empty bins: edges, mean score, observed positive rate and count."""
    edges, total, sums, positives = _binned(y_pos, score, bins)
    return [
        Bin(low=float(edges[i]), high=float(edges[i + 1]), mean_score=float(sums[i] / total[i]),
            observed_rate=float(positives[i] / total[i]), count=int(total[i]))
        for i in np.flatnonzero(total)
    ]
