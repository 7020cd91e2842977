"""How ``mlgate history`` lays out the ledger: a table that fits 100 columns and a sparkline per KPI.

Each KPI column reads with one number format for all its values (as the report reads a metric); the
columns that do not fit are named under the table; each sparkline is drawn on a stated scale that keeps
noise small (``charts.trend_range``), and says its range and last value.
"""

from __future__ import annotations

from typing import Any

from mlgate.report.charts import sparkline, trend_range
from mlgate.text.numbers import number_format

WIDTH = 100
LABEL_MAX = 18
GAP = "  "


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _tail(label: str, width: int) -> str:
    """A KPI label cut from the left: the end of a dotted name is what tells columns apart."""
    return label if len(label) <= width else "…" + label[-(width - 1):]


def render_history(rows: list[dict[str, Any]], columns: list[tuple[str, str]], series: dict[str, list[Any]], *,
                   title: str, width: int = WIDTH) -> str:
    """``rows``: {sha, date, verdict} oldest first; ``columns``: (label, "file:key"); ``series``: values per key."""
    formats = {name: number_format(*series[name]) for _, name in columns}
    cells = {name: [formats[name].value(v) if v is not None else "—" for v in series[name]] for _, name in columns}
    header = ["commit", "date", "verdict"]
    fixed = [[r["sha"][:7], r["date"], r["verdict"]] for r in rows]
    widths = [max(len(h), *(len(f[i]) for f in fixed)) for i, h in enumerate(header)]
    used = sum(widths) + len(GAP) * (len(widths) - 1)
    shown: list[tuple[str, str, int]] = []
    for label, name in columns:
        short = _tail(label, LABEL_MAX)
        w = max(len(short), *(len(c) for c in cells[name]))
        if used + len(GAP) + w > width:
            break
        shown.append((short, name, w))
        used += len(GAP) + w

    def line(parts: list[str], right_from: int) -> str:
        return GAP.join(p.rjust(w) if i >= right_from else p.ljust(w)
                        for i, (p, w) in enumerate(zip(parts, widths + [w for _, _, w in shown]))).rstrip()

    plural = "y" if len(rows) == 1 else "ies"
    out = [_clip(f"mlgate history: {title} · last {len(rows)} ledger entr{plural}, oldest first", width), ""]
    out.append(line(header + [s for s, _, _ in shown], 3))
    out.append(line(["-" * w for w in widths + [w for _, _, w in shown]], 3))
    for i, row in enumerate(fixed):
        out.append(line(row + [cells[name][i] for _, name, _ in shown], 3))
    hidden = [label for label, _ in columns[len(shown):]]
    if hidden:
        out.append(_clip(f"({len(hidden)} more KPI{'s' if len(hidden) != 1 else ''} not shown to fit {width} columns; "
                         f"pick some with --kpi: {', '.join(hidden)})", width))
    if columns:
        out.append("")
        label_width = min(LABEL_MAX, max(len(label) for label, _ in columns))
        for label, name in columns:
            values = series[name]
            present = [v for v in values if v is not None]
            if not present:
                out.append(_clip(f"{_tail(label, label_width).ljust(label_width)}  no values", width))
                continue
            lo, hi = trend_range(present, name=name)
            f = formats[name]
            summary = f"scale {f.value(lo)} … {f.value(hi)} · last {f.value(values[-1]) if values[-1] is not None else '—'}"
            spark = sparkline(values, lo, hi)
            out.append(_clip(f"{_tail(label, label_width).ljust(label_width)}  {spark}  {summary}", width))
    return "\n".join(out)
