"""Flipped examples, the confusion change and the largest error increases, against direct computations."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import confusion_matrix

from mlgate.stats.flips import confusion_change, error_increases, flips

RNG = np.random.default_rng(11)


def test_flip_counts_and_first_ids() -> None:
    n = 500
    y = RNG.integers(0, 3, n)
    base = np.where(RNG.random(n) < 0.8, y, (y + 1) % 3)
    head = np.where(RNG.random(n) < 0.8, y, (y + 2) % 3)
    ids = np.array([f"ex{i:04d}" for i in range(n)], dtype=object)
    f = flips(ids, y, base, head, first=5)
    lost = [ids[i] for i in range(n) if base[i] == y[i] and head[i] != y[i]]
    gained = [ids[i] for i in range(n) if base[i] != y[i] and head[i] == y[i]]
    assert (f.right_to_wrong, f.wrong_to_right) == (len(lost), len(gained))
    assert f.right_to_wrong_ids == lost[:5] and f.wrong_to_right_ids == gained[:5]
    # the accuracy change is exactly the net flips
    assert (head == y).sum() - (base == y).sum() == f.wrong_to_right - f.right_to_wrong


def test_text_labels_and_no_flips() -> None:
    y = np.array(["a", "b", "a"], dtype=object)
    f = flips(np.array(["1", "2", "3"], dtype=object), y, y.copy(), y.copy())
    assert (f.right_to_wrong, f.wrong_to_right, f.right_to_wrong_ids) == (0, 0, [])


def test_confusion_change_equals_scikit_learn() -> None:
    n = 400
    y = RNG.choice(["cat", "dog", "eel"], n)
    base = np.where(RNG.random(n) < 0.7, y, "dog")
    head = np.where(RNG.random(n) < 0.7, y, "cat")
    out = confusion_change(y, base, head)
    labels = sorted({*y, *base, *head})
    assert out["classes"] == labels
    assert out["head"] == confusion_matrix(y, head, labels=labels).tolist()
    assert out["base"] == confusion_matrix(y, base, labels=labels).tolist()
    assert out["diff"] == (confusion_matrix(y, head, labels=labels) - confusion_matrix(y, base, labels=labels)).tolist()


def test_confusion_change_unpaired_and_a_class_at_one_side_only() -> None:
    y_head, head = np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2])
    y_base, base = np.array([0, 0, 1]), np.array([0, 1, 1])
    out = confusion_change(y_head, base, head, base_label=y_base)
    assert out["classes"] == [0, 1, 2]
    assert out["head"] == confusion_matrix(y_head, head, labels=[0, 1, 2]).tolist()
    assert out["base"] == confusion_matrix(y_base, base, labels=[0, 1, 2]).tolist()


def test_error_increases_largest_first_only_grown_rows() -> None:
    n = 300
    y = RNG.normal(size=n)
    base = y + RNG.normal(scale=0.3, size=n)
    head = y + RNG.normal(scale=0.3, size=n)
    ids = np.array([f"r{i}" for i in range(n)], dtype=object)
    out = error_increases(ids, y, base, head, first=7)
    inc = np.abs(y - head) - np.abs(y - base)
    expected = np.argsort(-inc, kind="stable")[:7]
    assert [r["id"] for r in out] == [ids[i] for i in expected]
    assert [r["increase"] for r in out] == list(inc[expected])
    assert all(r["head_error"] - r["base_error"] == r["increase"] for r in out)


def test_error_increases_none_when_nothing_got_worse() -> None:
    y = np.array([1.0, 2.0, 3.0])
    assert error_increases(np.array(["a", "b", "c"]), y, y + 1, y) == []
