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


PLOTTABLE = 1e300  # larger magnitudes overflow a chart's spans and paddings; they are drawn as gaps


def _number(value: Any) -> float | None:
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


def sparkline(values: Sequence[float | None], lo: float | None = None, hi: float | None = None) -> str:
    """One block character per value, on the scale lo..hi (default: the series' own min..max).

    Give the scale the chart uses (``trend_range``) so that noise draws as noise: two values one test
    example apart then sit on the same block. Missing values (None, NaN, inf) show as ``GAP``; a flat
    series on its own scale is a row of mid-height blocks.
    """
    numbers = [_number(v) for v in values]
    finite = [v for v in numbers if v is not None]
    if not finite:
        return GAP * len(numbers)
    if lo is None or hi is None:
        lo, hi = min(finite), max(finite)
    span = hi - lo
    out = []
    for v in numbers:
        if v is None:
            out.append(GAP)
        elif span <= 0:
            out.append(FLAT)
        else:
            level = (min(max(v, lo), hi) - lo) / span * (len(BLOCKS) - 1)
            out.append(BLOCKS[math.floor(level + 0.5)])  # half up
    return "".join(out)


_BOUNDED = re.compile(r"(?i)(accuracy|precision|recall|f1|auc|roc|rate|score|iou|dice|r2|fraction|share|ratio)")


def trend_range(values: Sequence[float], *, threshold: float | None = None, margin: float | None = None,
                name: str = "") -> tuple[float, float]:
    """A y-range that shows noise as noise: the values and the threshold, at least four margins tall.

    ``margin`` is what the gate allows (a drop of 0.01, or 2 % of the base); without one, at least 5 % of
    the values' size (0.05 for a metric between 0 and 1). A bounded metric (a rate between 0 and 1) stays
    inside 0..1; non-negative data never gets a negative axis.
    """
    threshold, margin = _number(threshold), _number(margin)
    shown = [v for v in values if _number(v) is not None] + ([threshold] if threshold is not None else [])
    lo, hi = min(shown), max(shown)
    bounded = 0 <= lo and hi <= 1 and bool(_BOUNDED.search(name))
    largest = max(abs(lo), abs(hi))
    floor = 4 * margin if margin else (0.05 if bounded else 0.05 * largest or 1.0)
    need = max((hi - lo) * 1.2, floor)
    middle = (lo + hi) / 2
    bottom, top = middle - need / 2, middle + need / 2
    if bounded:
        if bottom < 0:
            bottom, top = 0.0, min(1.0, need)
        if top > 1:
            bottom, top = max(0.0, 1 - need), 1.0
    elif lo >= 0 > bottom:
        bottom, top = 0.0, max(top - bottom, hi)
    return bottom, top


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


def y_range_of(values: Sequence[float]) -> tuple[float, float]:
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


def chart_theme(colours: Sequence[str], height: int = 320) -> str:
    """Mermaid's init directive: the series' colours in order, and a chart lower than Mermaid's 500 px."""
    return ('%%{init: {"xyChart": {"height": ' + str(height) + '}, "themeVariables": {"xyChart": '
            '{"plotColorPalette": "' + ", ".join(colours) + '"}}}}%%')


def mermaid_xychart(title: str, points: Sequence[Point], y_label: str = "", *, head: Point | None = None,
                    threshold: float | None = None, y_range: tuple[float, float] | None = None) -> str:
    """A fenced ```mermaid block with an ``xychart-beta`` line chart of the points, oldest first.

    Points without a value are left out. Up to ``MAX_SHA_LABELS`` points the x-axis names the
    commits; beyond that it numbers them 1..N and its title names the first and last commit. With
    ``head`` (label, value), the pull request's value is the last point, marked by a bar from the axis;
    with ``threshold``, the gate's limit is a flat line. A single point without a head is drawn as a
    bar (a one-point line is invisible). No plottable point: "".
    """
    threshold = _number(threshold)
    kept = [(label, v) for label, v in ((label, _number(v)) for label, v in points) if v is not None]
    head_value = _number(head[1]) if head else None
    if head_value is not None and head is not None:
        kept.append((head[0], head_value))
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
    bottom, top = y_range or y_range_of(values + ([threshold] if threshold is not None else []))
    digits = _digits(values + [bottom, top])

    def num(value: float) -> str:
        return format_number(value, digits)

    y_title = f' "{mermaid_text(y_label)}"' if y_label.strip() else ""
    quoted = ", ".join(f'"{c}"' for c in categories)
    marked = head_value is not None or threshold is not None
    statements = []
    if marked:
        if head_value is not None:
            # The PR's bar rises from the axis; the others sit below it, so Mermaid draws none of them.
            bars = [bottom - (top - bottom)] * (len(values) - 1) + [head_value]
            statements.append(f"    bar [{', '.join(num(v) for v in bars)}]")
        statements.append(f"    line [{', '.join(num(v) for v in values)}]")
        if threshold is not None:
            statements.append(f"    line [{', '.join(num(threshold) for _ in values)}]")
    else:
        series = "bar" if len(kept) == 1 else "line"
        statements.append(f"    {series} [{', '.join(num(v) for v in values)}]")
    if marked:
        palette = (["#fb8f44"] if head_value is not None else []) + ["#0969da"] + (["#cf222e"] if threshold is not None else [])
        theme = chart_theme(palette)
    else:
        theme = chart_theme(["#0969da"])
    lines = [
        "```mermaid",
        theme,
        "xychart-beta",
        f'    title "{mermaid_text(title)}"',
        f'    x-axis "{mermaid_text(x_title)}" [{quoted}]',
        f"    y-axis{y_title} {num(bottom)} --> {num(top)}",
        *statements,
        "```",
    ]
    return "\n".join(lines) + "\n"
