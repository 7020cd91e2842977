"""Brier score, ECE and the reliability table equal direct computations (scikit-learn where it has one)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss

from mlgate.stats.calibration import brier, ece, reliability

RNG = np.random.default_rng(7)


def _data(n: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    score = RNG.random(n)
    y = RNG.random(n) < score**1.5  # miscalibrated on purpose
    score[:5] = [0.0, 0.1, 0.5, 0.9, 1.0]  # scores on the bin edges
    return y, score


def test_brier_equals_scikit_learn() -> None:
    y, s = _data()
    assert brier(y, s) == pytest.approx(brier_score_loss(y, s), abs=1e-12)


@pytest.mark.parametrize("bins", [1, 5, 10, 15])
def test_reliability_table_equals_calibration_curve(bins: int) -> None:
    y, s = _data()
    prob_true, prob_pred = calibration_curve(y, s, n_bins=bins, strategy="uniform")
    table = reliability(y, s, bins)
    assert [b.observed_rate for b in table] == pytest.approx(prob_true.tolist(), abs=1e-12)
    assert [b.mean_score for b in table] == pytest.approx(prob_pred.tolist(), abs=1e-12)
    assert sum(b.count for b in table) == len(y)


def test_ece_is_the_count_weighted_gap_of_the_bins() -> None:
    y, s = _data()
    edges = np.linspace(0, 1, 11)
    direct = 0.0
    for i in range(10):
        # scikit-learn's bins: the first is [0, 0.1], the others (lo, hi]
        inside = (s <= edges[i + 1]) & ((s > edges[i]) if i else (s >= 0))
        if inside.any():
            direct += inside.sum() / len(s) * abs(s[inside].mean() - y[inside].mean())
    assert ece(y, s, 10) == pytest.approx(direct, abs=1e-12)
    assert ece(y, s, 10) > 0.01


def test_perfectly_confident_and_right_is_zero() -> None:
    y = np.array([True, False, True, False])
    s = y.astype(float)
    assert brier(y, s) == 0.0
    assert ece(y, s) == 0.0
    assert [(b.low, b.high, b.count) for b in reliability(y, s)] == [(0.0, 0.1, 2), (0.9, 1.0, 2)]


def test_no_rows_and_bad_bins() -> None:
    assert np.isnan(ece(np.zeros(0, bool), np.zeros(0)))
    assert reliability(np.zeros(0, bool), np.zeros(0)) == []
    with pytest.raises(ValueError, match="bins must be at least 1"):
        ece(np.array([True]), np.array([0.5]), 0)


def test_ece_of_the_table_equals_ece() -> None:
    from mlgate.stats.calibration import ece_of

    y, s = _data()
    for bins in (3, 10, 20):
        assert ece_of(reliability(y, s, bins)) == pytest.approx(ece(y, s, bins), abs=1e-12)
    assert np.isnan(ece_of([]))
