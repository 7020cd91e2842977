"""Confusion matrices (DVC's ``confusion`` and ``confusion_normalized`` templates) as counts per cell.

Each record is one example. DVC's convention is ``x: actual``, ``y: predicted``: the plot's ``x`` field holds
the actual class and its ``y`` field the predicted one, unless their names say the other way round (``x:
predicted``, ``y: label``). A plot of several files (train and test) keeps a matrix per file: summed, a
test set that got worse hides behind a train set that got better. Each matrix keeps the head's counts and
the base's, and names the cells that moved the most.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from mlgate.families.plots.data import Record

MAX_CLASSES = 12
_PREDICTED = re.compile(r"(?i)pred|guess|y_?hat")


def roles(x: str, y: str) -> tuple[str, str]:
    """(actual field, predicted field) of a confusion plot: DVC's ``x: actual, y: predicted``, unless only
    ``x``'s name reads as a prediction."""
    if _PREDICTED.search(x) and not _PREDICTED.search(y):
        return y, x
    return x, y


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def counts(records: list[Record], actual: str, predicted: str) -> Counter[tuple[str, str]]:
    """(actual, predicted) -> number of examples."""
    found: Counter[tuple[str, str]] = Counter()
    for record in records:
        if record.get(actual) is not None and record.get(predicted) is not None:
            found[(_label(record[actual]), _label(record[predicted]))] += 1
    return found


def confusion_plot(head: Counter[tuple[str, str]], base: Counter[tuple[str, str]] | None, *,
                   normalized: bool) -> dict[str, Any]:
    """One matrix: class labels (the most frequent first when there are many), cells (rows: actual, columns:
    predicted, each ``[head, base]``), the largest shifts."""
    totals: Counter[str] = Counter()
    for side in (head, base or Counter()):
        for (actual, predicted), n in side.items():
            totals[actual] += n
            totals[predicted] += n
    ordered = sorted(totals, key=lambda c: (-totals[c], c))
    shown = sorted(ordered[:MAX_CLASSES])
    rows = []
    for actual in shown:
        rows.append([[head.get((actual, p), 0), None if base is None else base.get((actual, p), 0)] for p in shown])
    shifts = []
    if base is not None:
        moved = [(head.get(k, 0) - base.get(k, 0), k) for k in set(head) | set(base)]
        moved = [(d, k) for d, k in moved if d]
        # errors (off the diagonal) first, then the largest moves
        moved.sort(key=lambda item: (item[1][0] == item[1][1], -abs(item[0]), item[1]))
        shifts = [{"actual": k[0], "predicted": k[1], "change": d} for d, k in moved[:2]]
    return {
        "labels": shown, "cells": rows, "normalized": normalized, "classes_hidden": max(0, len(ordered) - len(shown)),
        "head_total": sum(head.values()), "base_total": None if base is None else sum(base.values()),
        "shifts": shifts,
    }
