"""What changed example by example between the base and the head, on rows paired by id.

* ``flips``: how many examples the base got right and the head got wrong (``right_to_wrong``), and the
  reverse (``wrong_to_right``), with the ids of the first few of each, in file order.
* ``confusion_change``: the confusion matrix of each side over the same classes (rows = truth,
  columns = prediction, as ``sklearn.metrics.confusion_matrix``) and head − base.
* ``error_increases`` (regression): the rows whose absolute error grew most, largest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlgate.stats import metrics as m

FIRST_IDS = 10
NAMES = ("right_to_wrong", "wrong_to_right")


@dataclass(frozen=True)
class Flips:
    right_to_wrong: int
    wrong_to_right: int
    right_to_wrong_ids: list[str] = field(default_factory=list)
    wrong_to_right_ids: list[str] = field(default_factory=list)


def flips(ids: np.ndarray, label: np.ndarray, base_pred: np.ndarray, head_pred: np.ndarray,
          *, first: int = FIRST_IDS) -> Flips:
    """Right→wrong and wrong→right counts and first ids; the arrays are aligned row by row."""
    base_right = _equal(base_pred, label)
    head_right = _equal(head_pred, label)
    lost = base_right & ~head_right
    gained = ~base_right & head_right
    ids = np.asarray(ids)
    return Flips(
        right_to_wrong=int(lost.sum()), wrong_to_right=int(gained.sum()),
        right_to_wrong_ids=[str(i) for i in ids[lost][:first]],
        wrong_to_right_ids=[str(i) for i in ids[gained][:first]],
    )


def confusion(label: np.ndarray, pred: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Counts, rows = true class, columns = predicted class, both in the order of ``classes``."""
    k = len(classes)
    codes = m.encode(label, classes) * k + m.encode(pred, classes)
    return np.bincount(codes, minlength=k * k).reshape(k, k)


def confusion_change(label: np.ndarray, base_pred: np.ndarray, head_pred: np.ndarray,
                     base_label: np.ndarray | None = None) -> dict[str, Any]:
    """Both sides' confusion matrices over the union of their classes, and head − base.

    ``base_label`` is the base's truth when the sides are not paired (default: ``label``, the same rows).
    """
    base_truth = label if base_label is None else base_label
    classes = m.class_labels(label, base_truth, base_pred, head_pred)
    head = confusion(label, head_pred, classes)
    base = confusion(base_truth, base_pred, classes)
    return {"classes": [_plain(c) for c in classes.tolist()], "head": head.tolist(), "base": base.tolist(),
            "diff": (head - base).tolist()}


def error_increases(ids: np.ndarray, label: np.ndarray, base_pred: np.ndarray, head_pred: np.ndarray,
                    *, first: int = FIRST_IDS) -> list[dict[str, Any]]:
    """The ``first`` rows whose absolute error grew most (only rows where it grew), largest first."""
    y = np.asarray(label, dtype=np.float64)
    base_err = np.abs(y - np.asarray(base_pred, dtype=np.float64))
    head_err = np.abs(y - np.asarray(head_pred, dtype=np.float64))
    increase = head_err - base_err
    grown = np.flatnonzero(increase > 0)
    if len(grown) > first:
        grown = grown[np.argpartition(-increase[grown], first - 1)[:first]]
    order = grown[np.lexsort((grown, -increase[grown]))]  # largest first; ties in file order
    ids = np.asarray(ids)
    return [
        {"id": str(ids[i]), "base_error": float(base_err[i]), "head_error": float(head_err[i]),
         "increase": float(increase[i])}
        for i in order
    ]


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.asarray(np.asarray(a) == np.asarray(b), dtype=bool)
    except (TypeError, ValueError):
        return np.array([x == y for x, y in zip(a, b, strict=True)], dtype=bool)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
