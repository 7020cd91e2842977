"""Line-like plots (DVC's linear, simple, smooth and scatter templates, dvclive's step plots): base and head
series on one shared x grid, downsampled with LTTB, with honest axes and a one-line summary.

Mermaid's xychart spreads a series' values evenly over the x-axis, so every series is first resampled
on a fine uniform grid over the x-range both sides cover (linear interpolation; at a repeated x, as on a
ROC curve's vertical steps, the last point counts), then reduced to ``POINTS`` values with LTTB, which
keeps peaks and knees; each kept point sits within one bucket of its true x.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlgate.families.plots.data import Record, default_y, numeric
from mlgate.families.plots.lttb import lttb

POINTS = 40
FINE = 1000  # points of the uniform grid that LTTB reduces
_ROC_X = re.compile(r"(?i)\b(fpr|false.?positive|fall.?out)")
_ROC_Y = re.compile(r"(?i)\b(tpr|true.?positive|sensitivity|recall)")
_PR_X = re.compile(r"(?i)\b(recall|tpr)\b")
_PR_Y = re.compile(r"(?i)\b(precision|ppv)\b")
_RATE = re.compile(r"(?i)(fpr|tpr|rate|precision|recall|accuracy|auc|prob|score|f1|fraction|ratio|share)")

Curve = list[tuple[float, float]]


@dataclass
class SideCurves:
    """One side's curves of a plot: {y field (or 'file: field' across files): sorted (x, y) points}."""

    curves: dict[str, Curve]
    x_field: str
    indexed: bool = False  # x is the row index (no x field, nor dvclive's step, in the records)


def side_curves(sources: dict[str, list[Record]], fields: dict[str, tuple[str, ...]], x: str | None,
                like: SideCurves | None = None) -> SideCurves:
    """The (x, y) points of each y field in each source file; x is the field `x`, else `step`, else the row index.
    ``like``: the head's curves, whose y fields and x the base's follow (a base file without the head's x
    field has no curve: its row numbers are not the head's x)."""
    curves: dict[str, Curve] = {}
    x_field = x or "step"
    many = len(sources) > 1
    indexed = False
    for name, records in sources.items():
        have_x = bool(records) and (x or "step") in records[0]
        if like is not None and have_x == like.indexed:
            continue
        ys = fields.get(name) or default_y(records, x)
        for y in ys:
            points = []
            for i, record in enumerate(records):
                xv = numeric(record.get(x or "step")) if have_x else float(i)
                yv = numeric(record.get(y))
                if xv is not None and yv is not None:
                    points.append((xv, yv))
            if points:
                points.sort(key=lambda p: p[0])  # stable: a ROC's equal-x points keep their order
                curves[f"{name}: {y}" if many else y] = points
        if not have_x:
            x_field = "step" if x is None else x
            indexed = True
    return SideCurves(curves, x_field, indexed)


def kind_of(x_name: str, y_name: str) -> str:
    """'roc' | 'pr' | 'curve' from the axes' names (fields or labels)."""
    if _ROC_X.search(x_name) and _ROC_Y.search(y_name):
        return "roc"
    if _PR_X.search(x_name) and _PR_Y.search(y_name):
        return "pr"
    return "curve"


def area(curve: Curve) -> float:
    """Area under a curve (trapezoids over x), e.g. a ROC curve's AUC."""
    return sum((x1 - x0) * (y0 + y1) / 2 for (x0, y0), (x1, y1) in zip(curve, curve[1:]))


def value_at(curve: Curve, x: float) -> float:
    """Linear interpolation; the last point at a repeated x; the end values outside the curve's range."""
    xs = [p[0] for p in curve]
    i = bisect.bisect_right(xs, x)
    if i == 0:
        return curve[0][1]
    if i == len(curve):
        return curve[-1][1]
    (x0, y0), (x1, y1) = curve[i - 1], curve[i]
    return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def resample(curve: Curve, lo: float, hi: float, points: int = POINTS) -> list[float]:
    """`points` y-values for evenly spaced x from lo to hi, keeping the curve's shape (fine grid, then LTTB)."""
    if hi <= lo:
        return [value_at(curve, lo)] * 2
    inside = sum(1 for x, _ in curve if lo <= x <= hi)
    fine = min(FINE, max(points, inside * 4))
    xs = [p[0] for p in curve]
    dense = []
    i = 0
    for step in range(fine):  # one sweep: the grid and the curve are both sorted by x
        x = lo + (hi - lo) * step / (fine - 1)
        while i < len(xs) and xs[i] <= x:
            i += 1
        if i == 0:
            y = curve[0][1]
        elif i == len(curve):
            y = curve[-1][1]
        else:
            (x0, y0), (x1, y1) = curve[i - 1], curve[i]
            y = y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        dense.append((x, y))
    return [y for _, y in lttb(dense, points)] if fine > points else [y for _, y in dense]


def x_range(kind: str, base: Sequence[Curve], head: Sequence[Curve]) -> tuple[float, float, str]:
    """The x-range to draw and a note when it is not everything: the overlap of both sides' ranges."""
    if kind in ("roc", "pr"):
        return 0.0, 1.0, ""
    head_lo = min(c[0][0] for c in head)
    head_hi = max(c[-1][0] for c in head)
    if not base:
        return head_lo, head_hi, ""
    base_lo = min(c[0][0] for c in base)
    base_hi = max(c[-1][0] for c in base)
    lo, hi = max(head_lo, base_lo), min(head_hi, base_hi)
    if hi < lo or (hi == lo and (head_lo, head_hi) != (base_lo, base_hi)):  # apart, or touching at an end
        return head_lo, head_hi, "no_overlap"
    if (lo, hi) != (min(head_lo, base_lo), max(head_hi, base_hi)):
        return lo, hi, "overlap"
    return lo, hi, ""


def y_range(kind: str, names: str, values: Sequence[float]) -> tuple[float, float]:
    """0–1 for ROC and precision-recall curves, and for rates that span much of it; else the data, padded."""
    lo, hi = min(values), max(values)
    if kind in ("roc", "pr") or (0 <= lo and hi <= 1 and (hi - lo >= 0.25 or _RATE.search(names))):
        return 0.0, 1.0
    span = hi - lo
    pad = span * 0.08 if span > 0 else (abs(lo) * 0.05 or 1.0)
    bottom = lo - pad
    if lo >= 0 > bottom:
        bottom = 0.0
    return bottom, hi + pad


def line_plot(head: SideCurves, base: SideCurves | None, *, x_label: str | None, y_label: str | None) -> dict[str, Any]:
    """The section entry of a line plot: axes, resampled series per side, and the summary's numbers."""
    names = list(head.curves)
    x_name = x_label or head.x_field
    y_name = y_label or (names[0] if len(names) == 1 else "value")
    kind = kind_of(f"{head.x_field} {x_label or ''}", f"{' '.join(names)} {y_label or ''}")
    base_curves = {n: c for n, c in (base.curves.items() if base else []) if n in head.curves}
    lo, hi, note = x_range(kind, list(base_curves.values()), list(head.curves.values()))
    if note == "no_overlap":
        base_curves = {}
    series: list[dict[str, Any]] = []
    for name in names if hi > lo or kind in ("roc", "pr") else ():  # one step logged (dvclive's metrics of a
        # single evaluation): a point is no curve; the summary's final values say all there is
        if name in base_curves:
            series.append({"side": "base", "name": name, "values": resample(base_curves[name], lo, hi)})
        series.append({"side": "head", "name": name, "values": resample(head.curves[name], lo, hi)})
    every = [v for s in series for v in s["values"]] or [c[-1][1] for c in (*head.curves.values(), *base_curves.values())]
    bottom, top = y_range(kind, " ".join(names), every)
    summary = []
    for name in names:
        head_curve, base_curve = head.curves[name], base_curves.get(name)
        if kind in ("roc", "pr"):
            what = "AUC" if kind == "roc" else "area under PR"
            summary.append({"what": what if len(names) == 1 else f"{what} ({name})", "of": None,
                            "base": area(base_curve) if base_curve else None, "head": area(head_curve)})
        else:
            summary.append({"what": "final", "of": name,
                            "base": base_curve[-1][1] if base_curve else None, "head": head_curve[-1][1]})
    return {
        "curve": kind, "x_label": x_name, "y_label": y_name, "x_range": [lo, hi], "y_range": [bottom, top],
        "x_note": note, "series": series, "summary": summary,
    }
