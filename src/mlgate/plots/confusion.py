"""Confusion matrices (DVC's ``confusion`` and ``confusion_normalized`` templates) as counts per cell.

Each record is one example with its actual class (DVC's ``y`` field) and its predicted class (``x``).
The section keeps the head's counts and the base's, and names the cells that moved the most.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from mlgate.plots.data import Record

MAX_CLASSES = 12


def _label(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def counts(records: list[Record], x: str, y: str) -> Counter[tuple[str, str]]:
    """(actual, predicted) -> number of examples."""
    found: Counter[tuple[str, str]] = Counter()
    for record in records:
        if x in record and y in record and record[x] is not None and record[y] is not None:
            found[(_label(record[y]), _label(record[x]))] += 1
    return found


def confusion_plot(head: Counter[tuple[str, str]], base: Counter[tuple[str, str]] | None, *,
                   normalized: bool) -> dict[str, Any]:
    """The section entry: class labels (the most frequent first when there are many), cells, largest shifts."""
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
