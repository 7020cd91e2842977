"""Prediction health figures equal direct computations (scipy's entropy, Jensen–Shannon, chi-squared)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency, entropy

from mlgate.stats.health import agreement, label_counts, missing_mask, shift, side_health

RNG = np.random.default_rng(5)


def test_one_side_classification_figures() -> None:
    pred = RNG.choice(["a", "b", "c"], 1000, p=[0.6, 0.3, 0.1]).astype(object)
    pred[:10] = ""  # empty answers
    pred[10:15] = None
    pred[15:18] = "  "
    score = RNG.random(1000)
    score[:4] = np.nan
    score[4:6] = 1.5
    h = side_health(pred, score)
    counts = Counter(p for p in pred if isinstance(p, str) and p.strip())
    assert h["empty_share"] == pytest.approx(18 / 1000)
    assert h["score_missing_share"] == pytest.approx(4 / 1000)
    assert h["score_out_of_range_share"] == pytest.approx(2 / 1000)
    assert h["distinct_labels"] == 3
    assert h["entropy_bits"] == pytest.approx(entropy(list(counts.values()), base=2))
    assert h["top_label_share"] == pytest.approx(max(counts.values()) / 1000)


def test_collapse_to_one_class() -> None:
    h = side_health(np.ones(200, dtype=int))
    assert (h["distinct_labels"], h["entropy_bits"], h["top_label_share"], h["empty_share"]) == (1, 0.0, 1.0, 0.0)


def test_numeric_predictions_nan_and_range() -> None:
    pred = np.array([0.5, np.nan, 2.0, -1.0, np.inf, 1.0])
    h = side_health(pred, classification=False, prediction_range=(0.0, 1.0))
    assert h["empty_share"] == pytest.approx(2 / 6)
    assert h["out_of_range_share"] == pytest.approx(2 / 6)
    assert "distinct_labels" not in h
    assert missing_mask(pred).tolist() == [False, True, False, False, True, False]


def test_shift_equals_scipy() -> None:
    base = RNG.choice([0, 1, 2], 800, p=[0.5, 0.3, 0.2])
    head = RNG.choice([0, 1, 2, 3], 900, p=[0.3, 0.3, 0.3, 0.1])
    out = shift(base, head)
    labels = [0, 1, 2, 3]
    b = [int((base == k).sum()) for k in labels]
    h = [int((head == k).sum()) for k in labels]
    assert out["label_shift_js"] == pytest.approx(jensenshannon(b, h, base=2), abs=1e-12)
    assert out["label_shift_p"] == pytest.approx(chi2_contingency([b, h], correction=False).pvalue, rel=1e-9)
    assert out["label_shift_p"] < 1e-6


def test_no_shift_and_one_label_each() -> None:
    same = np.array(["x", "y"] * 50, dtype=object)
    out = shift(same, same.copy())
    assert out["label_shift_js"] == pytest.approx(0.0, abs=1e-12) and out["label_shift_p"] == pytest.approx(1.0)
    assert shift(np.zeros(5, int), np.zeros(7, int)) == {"label_shift_js": 0.0, "label_shift_p": 1.0}
    assert shift(np.array([None, ""], dtype=object), np.array(["a"], dtype=object)) == {}


def test_agreement_and_counts() -> None:
    base = RNG.integers(0, 3, 500)
    head = np.where(RNG.random(500) < 0.9, base, (base + 1) % 3)
    assert agreement(base, head) == pytest.approx(np.mean(base == head))
    counts = label_counts(np.array(["b", "a", "b", None, ""], dtype=object))
    assert counts.to_dict() == {"b": 2, "a": 1}
    assert side_health(np.array([], dtype=int)) == {}


def test_a_factorization_done_once_gives_the_same_figures() -> None:
    from mlgate.stats.health import factorize, shift_from_counts

    base = RNG.choice(["a", "b", "", None], 300).astype(object)
    head = RNG.choice(["a", "b", "c"], 300).astype(object)
    fb, fh = factorize(base), factorize(head)
    assert side_health(head, factorized=fh) == side_health(head)
    assert shift_from_counts(label_counts(base, fb), label_counts(head, fh)) == shift(base, head)
