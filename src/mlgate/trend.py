"""A KPI's trend over ledger entries: a Unicode sparkline and a Mermaid ``xychart-beta`` chart.

Pure functions over plain data, no I/O. A point is ``(label, value)`` where the label is usually a
short commit id and the value a float, or None/NaN when that entry lacks the KPI.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
import re
from decimal import Decimal
from typing import Any, Protocol

BLOCKS = "▁▂▃▄▅▆▇█"
GAP = "·"
FLAT = BLOCKS[3]
SHORT_SHA = 7
MAX_SHA_LABELS = 12  # beyond this many points the x-axis shows 1..N (Mermaid does not rotate labels)
MAX_TEXT = 80

Point = tuple[str, float | None]


class _Hit(Protocol):
    sha: str
    entry: dict[str, Any]


def _number(value: Any) -> float | None:
    """A finite float, or None for anything else (missing, NaN, inf, non-numeric, bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


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
        points.append((hit.sha[:SHORT_SHA], _number(value)))
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


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, scaled between the series' min and max.

    Missing values (None, NaN, inf) show as ``GAP``; a flat series is a row of mid-height blocks.
    """
    numbers = [_number(v) for v in values]
    finite = [v for v in numbers if v is not None]
    if not finite:
        return GAP * len(numbers)
    lo, hi = min(finite), max(finite)
    span = hi - lo
    out = []
    for v in numbers:
        if v is None:
            out.append(GAP)
        elif span == 0:
            out.append(FLAT)
        else:
            out.append(BLOCKS[math.floor((v - lo) / span * (len(BLOCKS) - 1) + 0.5)])  # half up
    return "".join(out)


def mermaid_text(text: str) -> str:
    """Text safe inside a Mermaid double-quoted string and a Markdown code fence.

    Mermaid strings have no escape for ``"``; backticks could close the fence; ``%%`` starts a
    Mermaid comment; newlines end a statement.
    """
    cleaned = " ".join(str(text).split())
    cleaned = re.sub("%{2,}", "%", cleaned.replace('"', "'").replace("`", "'"))
    cleaned = cleaned.replace("[", "(").replace("]", ")").replace(";", ",")
    return cleaned if len(cleaned) <= MAX_TEXT else cleaned[: MAX_TEXT - 1] + "…"


def format_number(value: float, digits: int = 6) -> str:
    """Positional notation with ``digits`` significant digits (Mermaid's parser has no exponent)."""
    if value == 0:
        return "0"
    text = format(Decimal(f"{value:.{digits}g}"), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def y_range(values: Sequence[float]) -> tuple[float, float]:
    """The y-axis range: the data's range with 10 % padding; never below 0 for non-negative data."""
    lo, hi = min(values), max(values)
    span = hi - lo
    pad = span * 0.1 if span > 0 else (abs(lo) * 0.05 or 1.0)
    bottom, top = lo - pad, hi + pad
    if lo >= 0 > bottom:
        bottom = 0.0
    return bottom, top


def _digits(values: Sequence[float]) -> int:
    """Significant digits that keep the points (and the axis ends) distinct: 6, more for tiny spans."""
    span = max(values) - min(values)
    largest = max(abs(v) for v in values)
    if span == 0 or largest == 0:
        return 6
    return min(15, max(6, math.ceil(math.log10(largest / span)) + 3))


# Mermaid's default palette draws the line in a pale lavender that is hard to see on GitHub's white page.
CHART_THEME = '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#0969da"}}}}%%'


def mermaid_xychart(title: str, points: Sequence[Point], y_label: str = "") -> str:
    """A fenced ```mermaid block with an ``xychart-beta`` line chart of the points, oldest first.

    Points without a value are left out. Up to ``MAX_SHA_LABELS`` points the x-axis names the
    commits; beyond that it numbers them 1..N and its title names the first and last commit. A
    single point is drawn as a bar (a one-point line is invisible). No plottable point: "".
    """
    kept = [(label, v) for label, v in ((label, _number(v)) for label, v in points) if v is not None]
    if not kept:
        return ""
    labels = [mermaid_text(label) for label, _ in kept]
    values = [v for _, v in kept]
    if len(kept) <= MAX_SHA_LABELS:
        x_title = "commit (oldest → newest)"
        categories = labels
    else:
        x_title = f"entry (1 = {labels[0]}, {len(kept)} = {labels[-1]})"
        categories = [str(i) for i in range(1, len(kept) + 1)]
    bottom, top = y_range(values)
    digits = _digits(values)

    def num(value: float) -> str:
        return format_number(value, digits)

    y_title = f' "{mermaid_text(y_label)}"' if y_label.strip() else ""
    quoted = ", ".join(f'"{c}"' for c in categories)
    series = "bar" if len(kept) == 1 else "line"
    lines = [
        "```mermaid",
        CHART_THEME,
        "xychart-beta",
        f'    title "{mermaid_text(title)}"',
        f'    x-axis "{mermaid_text(x_title)}" [{quoted}]',
        f"    y-axis{y_title} {num(bottom)} --> {num(top)}",
        f"    {series} [{', '.join(num(v) for v in values)}]",
        "```",
    ]
    return "\n".join(lines) + "\n"
