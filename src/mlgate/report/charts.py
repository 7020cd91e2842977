"""The report's charts: the plots section (report filters over the plots family's entries) and the KPI
trends (a Unicode sparkline, a Mermaid ``xychart-beta`` chart).

Numbers and fixed words are built here; every piece of untrusted text (plot ids, field names, class
labels, titles) goes through the report's ``code``/``text`` filters, or ``mermaid_text`` inside a chart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from mlgate.gating.trend import Point, plottable
from mlgate.text.markdown import code, text
from mlgate.text.numbers import fixed, number_format

BASE_COLOURS = ("#8c959f", "#d4a373", "#a5d6a7")  # grey, sand, pale green
HEAD_COLOURS = ("#0969da", "#bc4c00", "#1a7f37")  # blue, orange, green
COLOUR_NAMES = {"#8c959f": "grey", "#d4a373": "sand", "#a5d6a7": "pale green",
                "#0969da": "blue", "#bc4c00": "orange", "#1a7f37": "green"}
SHARE_OF_BUDGET = 4  # the plots may take a quarter of the report's size limit; the rest read as one line each
STATUS_WORDS = {"changed": "changed", "added": "new", "removed": "removed at the head", "unchanged": "unchanged",
                "no base": "no base to compare", "unreadable": "unreadable", "base unread": "the base's data not read"}


def plot_summary(p: dict[str, Any]) -> str:
    """'`eval/plots/roc.json` — AUC 0.9620 → 0.9480' and the like: the numbers survive where Mermaid does not."""
    head = f"{code(p['id'], False)}"
    if p.get("title") and p["title"] != p["id"]:
        head = f"{text(p['title'])} · {head}"
    status = STATUS_WORDS.get(p["status"], p["status"])
    if p.get("error"):
        return f"{head} — {status}: {text(p['error'])}"
    if p["kind"] == "image":
        return f"{head} — image" + (_unread(p) if p.get("base_unread") else f", {status}")
    parts = []
    if p["kind"] == "line":
        for s in p.get("summary", []):
            fmt = number_format(s["base"], s["head"])
            what = text(s["what"]) + (f" {code(s['of'], False)}" if s.get("of") else "")
            if s["base"] is None:
                parts.append(f"{what} {fmt.value(s['head'])}")
            else:
                parts.append(f"{what} {fmt.value(s['base'])} → {fmt.value(s['head'])}")
    elif p["kind"] == "confusion":
        matrices = _matrices(p)
        for m in matrices:
            said = _shifts(m) or f"{m['head_total']} examples"
            parts.append(f"{code(m['file'], False)}: {said}" if len(matrices) > 1 else said)
    line = f"{head} — " + "; ".join(parts) if parts else head
    if p["status"] == "base unread":
        return line + _unread(p)
    return line + ("" if p["status"] in ("changed", "no base") else f" ({status})")


def _unread(p: dict[str, Any]) -> str:
    return f" (the base's data was not read: {text(p['base_unread'])})" if p.get("base_unread") else ""


def _shifts(m: dict[str, Any]) -> str:
    if not m.get("shifts"):
        return "no cell changed" if m.get("base_total") is not None else ""
    said = []
    for s in m["shifts"]:
        n = abs(s["change"])
        more = "more" if s["change"] > 0 else "fewer"
        if s["actual"] == s["predicted"]:
            said.append(f"{n} {more} {code(s['actual'], False)} predicted correctly")
        else:
            said.append(f"{n} {more} {code(s['actual'], False)} predicted as {code(s['predicted'], False)}")
    return "largest shift" + ("s" if len(said) > 1 else "") + ": " + ", ".join(said)


def plot_body(p: dict[str, Any], base_label: str = "base", head_label: str = "head") -> str:
    """The chart or table under a plot's summary line; '' for images and unreadable plots."""
    if p.get("error"):
        return ""
    if p["kind"] == "line" and p.get("series"):
        return _chart(p, base_label, head_label)
    if p["kind"] == "confusion" and _matrices(p):
        many = len(_matrices(p)) > 1
        return "\n".join((f"{code(m['file'], False)}:\n\n" if many else "") + _confusion(p, m) for m in _matrices(p))
    return ""


def _chart(p: dict[str, Any], base_label: str, head_label: str) -> str:
    lo, hi = p["x_range"]
    bottom, top = p["y_range"]
    digits = 4 if top - bottom >= 0.01 else 8
    names = list(dict.fromkeys(s["name"] for s in p["series"]))
    colours = [(BASE_COLOURS if s["side"] == "base" else HEAD_COLOURS)[names.index(s["name"]) % 3] for s in p["series"]]
    theme = chart_theme(colours)
    title = p.get("title") or p["id"]
    x_lo, x_hi = format_number(lo, 6), format_number(hi, 6)
    lines = ["```mermaid", theme, "xychart-beta", f'    title "{mermaid_text(title)}"',
             f'    x-axis "{mermaid_text(p["x_label"])}" {x_lo} --> {x_hi}',
             f'    y-axis "{mermaid_text(p["y_label"])}" {format_number(bottom, digits)} --> {format_number(top, digits)}']
    lines += [f"    line [{', '.join(format_number(v, digits) for v in s['values'])}]" for s in p["series"]]
    lines.append("```")
    legend = []
    for s, colour in zip(p["series"], colours):
        who = text(base_label) if s["side"] == "base" else text(head_label)
        name = f" {code(s['name'], False)}" if len(names) > 1 else ""
        legend.append(f"{COLOUR_NAMES[colour]}: {who}{name}")
    note = ""
    if p.get("x_note") == "overlap":
        note = f" · x from {format_number(lo, 6)} to {format_number(hi, 6)}, where both sides have data"
    elif p.get("x_note") == "no_overlap":
        note = " · the base's x-range does not overlap the head's: head only"
    if p.get("base_unread"):
        note += " · head only: the base's data was not read"
    return "\n".join(lines) + "\n" + " · ".join(legend) + note + "\n"


def _matrices(p: dict[str, Any]) -> list[dict[str, Any]]:
    """A confusion plot's matrices; a result written before there was one per file holds one, flat."""
    if "matrices" in p:
        return p["matrices"]
    return [{"file": p["id"], **p}] if p.get("labels") else []


def _confusion(p: dict[str, Any], m: dict[str, Any]) -> str:
    """One matrix as a table: a row per actual class, a column per predicted class (DVC's x and y fields)."""
    labels = m["labels"]
    # rows: the actual class; a result of before 'actual_label' had its rows under 'y_label'
    actual, predicted = p.get("actual_label", p.get("y_label", "")), p.get("predicted_label", p.get("x_label", ""))
    header = (f"| {code(actual)} ↓ {code(predicted)} → | "
              + " | ".join(code(label) for label in labels) + " |")
    rows = [header, "|---|" + "---:|" * len(labels)]
    for label, cells in zip(labels, m["cells"]):
        total_head = sum(h for h, _ in cells) or 1
        total_base = sum(b or 0 for _, b in cells) or 1
        shown = []
        for h, b in cells:
            if m["normalized"]:
                value, before = h / total_head, (None if b is None else b / total_base)
                cell = f"{value:.2f}"
                if before is not None and f"{before:.2f}" != cell:
                    cell += f" ({fixed(value - before, 2, sign=True)})"
            else:
                cell = str(h) + ("" if b is None or b == h else f" ({fixed(h - b, 0, sign=True)})")
            shown.append(cell)
        rows.append(f"| {code(label)} | " + " | ".join(shown) + " |")
    more = f"\n_{m['classes_hidden']} less frequent classes not shown._\n" if m.get("classes_hidden") else ""
    return "\n".join(rows) + "\n" + more


def plots_fit(plots: list[dict[str, Any]], limit: int, base_label: str = "base",
              head_label: str = "head") -> list[tuple[dict[str, Any], str]]:
    """Each plot with its chart or table ('' once they no longer fit a quarter of `limit`), in order."""
    budget = limit // SHARE_OF_BUDGET
    out = []
    used = 0
    for p in plots:
        body = plot_body(p, base_label, head_label)
        if body and used + len(body) + 200 <= budget:
            used += len(body) + 200
            out.append((p, body))
        else:
            out.append((p, ""))
    return out


FILTERS: dict[str, Any] = {
    "plot_summary": plot_summary,
    "plot_body": plot_body,
    "plots_fit": plots_fit,
}


BLOCKS = "▁▂▃▄▅▆▇█"


GAP = "·"


FLAT = BLOCKS[3]


MAX_SHA_LABELS = 12  # beyond this many points the x-axis shows 1..N (Mermaid does not rotate labels)


MAX_TEXT = 80


def sparkline(values: Sequence[float | None], lo: float | None = None, hi: float | None = None) -> str:
    """One block character per value, on the scale lo..hi (default: the series' own min..max).

    Give the scale the chart uses (``trend_range``) so that noise draws as noise: two values one test
    example apart then sit on the same block. Missing values (None, NaN, inf) show as ``GAP``; a flat
    series on its own scale is a row of mid-height blocks.
    """
    numbers = [plottable(v) for v in values]
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
    threshold, margin = plottable(threshold), plottable(margin)
    shown = [v for v in values if plottable(v) is not None] + ([threshold] if threshold is not None else [])
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
    threshold = plottable(threshold)
    kept = [(label, v) for label, v in ((label, plottable(v)) for label, v in points) if v is not None]
    head_value = plottable(head[1]) if head else None
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
