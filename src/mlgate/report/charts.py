"""How the plots section reads: report filters over the plots family's section entries.

Numbers and fixed words are built here; every piece of untrusted text (plot ids, field names, class
labels, titles) goes through the report's ``code``/``text`` filters, or ``mermaid_text`` inside a chart.
"""

from __future__ import annotations

from typing import Any

from mlgate.text.numbers import fixed, number_format
from mlgate.run.trend import chart_theme, format_number, mermaid_text

BASE_COLOURS = ("#8c959f", "#d4a373", "#a5d6a7")  # grey, sand, pale green
HEAD_COLOURS = ("#0969da", "#bc4c00", "#1a7f37")  # blue, orange, green
COLOUR_NAMES = {"#8c959f": "grey", "#d4a373": "sand", "#a5d6a7": "pale green",
                "#0969da": "blue", "#bc4c00": "orange", "#1a7f37": "green"}
SHARE_OF_BUDGET = 4  # the plots may take a quarter of the report's size limit; the rest read as one line each
STATUS_WORDS = {"changed": "changed", "added": "new", "removed": "removed at the head", "unchanged": "unchanged",
                "no base": "no base to compare", "unreadable": "unreadable", "base unread": "the base's data not read"}


def _esc() -> tuple[Any, Any]:
    from mlgate.report.render import code, text  # the report's escaping filters (imported late: report imports us)

    return code, text


def plot_summary(p: dict[str, Any]) -> str:
    """'`eval/plots/roc.json` — AUC 0.9620 → 0.9480' and the like: the numbers survive where Mermaid does not."""
    code, text = _esc()
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
    _, text = _esc()
    return f" (the base's data was not read: {text(p['base_unread'])})" if p.get("base_unread") else ""


def _shifts(m: dict[str, Any]) -> str:
    code, _ = _esc()
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
        code, _ = _esc()
        return "\n".join((f"{code(m['file'], False)}:\n\n" if many else "") + _confusion(p, m) for m in _matrices(p))
    return ""


def _chart(p: dict[str, Any], base_label: str, head_label: str) -> str:
    code, text = _esc()
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
    code, _ = _esc()
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
