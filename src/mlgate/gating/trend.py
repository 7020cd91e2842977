"""A KPI's trend over ledger entries: its series of values, one per recorded commit (drawn by report.charts).

Pure functions over plain data, no I/O. A point is ``(label, value)`` where the label is usually a
short commit id and the value a float, or None/NaN when that entry lacks the KPI.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

SHORT_SHA = 7

Point = tuple[str, float | None]


class _Hit(Protocol):  # read only: a frozen dataclass (the ledger's LedgerHit) satisfies it
    @property
    def sha(self) -> str: ...

    @property
    def entry(self) -> dict[str, Any]: ...


PLOTTABLE = 1e300  # larger magnitudes overflow a chart's spans and paddings; they are drawn as gaps


def plottable(value: Any) -> float | None:
    """A float a chart can draw, or None for anything else (missing, NaN, inf, non-numeric, bool, or so large
    that the chart's arithmetic would overflow: beyond ±PLOTTABLE; the report's tables still show it)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        return None
    return number if math.isfinite(number) and abs(number) <= PLOTTABLE else None


def kpi_series(hits: Iterable[_Hit], metric_key: str) -> list[Point]:
    """``[(short sha, value)]`` for one metric across ledger hits, in the hits' order.

    ``metric_key`` is ``"file:key"``; a bare key also matches when exactly one ``"<file>:<key>"`` in
    that entry ends with it. An entry's ``metrics`` are nested per file (``{file: {key: value}}``, as
    mlgate records them) or flat (``{"file:key": value}``). Missing values are None.
    """
    points: list[Point] = []
    for hit in hits:
        metrics = flat_metrics(hit.entry.get("metrics"))
        if metric_key in metrics:
            value = metrics[metric_key]
        else:
            matches = [k for k in metrics if k.endswith(":" + metric_key)]
            value = metrics[matches[0]] if len(matches) == 1 else None
        points.append((hit.sha[:SHORT_SHA], plottable(value)))
    return points


def flat_metrics(metrics: Any) -> dict[str, Any]:
    """``{"file:key": value}`` from nested ``{file: {key: value}}`` (flat keys pass through)."""
    if not isinstance(metrics, dict):
        return {}
    flat: dict[str, Any] = {}
    for name, value in metrics.items():
        if isinstance(value, dict):
            flat.update({f"{name}:{key}": v for key, v in value.items()})
        else:
            flat[name] = value
    return flat


def gate_trends(gates: Iterable[Any], hits: Sequence[_Hit]) -> dict[str, list[list[Any]]]:
    """``{"file:key": [[short sha, value or None], ...]}`` (oldest first) for each gate's metric.

    ``gates`` are objects with ``file`` and ``key`` (GateOutcome); a gate without a file, or whose
    metric no entry holds, gets no series.
    """
    out: dict[str, list[list[Any]]] = {}
    for gate in gates:
        if not gate.file:
            continue
        name = f"{gate.file}:{gate.key}"
        if name in out:
            continue
        points = kpi_series(hits, name)
        if any(v is not None for _, v in points):
            out[name] = [[label, value] for label, value in points]
    return out




















