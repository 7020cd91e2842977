"""The short verdict table printed in the terminal after a run: the report's rows, in its order, sized to fit.

One line per gate: status, name, base → head, the signed change and its judgement, and why (the failing
rule's message, or the rules of a passing gate), each rule stated once. A long name loses its middle (its
end tells slices and columns apart), rows stay distinct, and the last column is cut at a word, so no line
is longer than the terminal and nothing wraps mid-word. The verdict line is the report's heading.
"""

from __future__ import annotations

import os
import shutil
import textwrap

from mlgate.gating.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, GateOutcome
from mlgate.report.cells import delta, fmt, rule_text, skip_reason
from mlgate.report.verdict import table_gates, verdict_line
from mlgate.result import Result
from mlgate.text.safe import one_line

_MARKS = {FAIL: "FAIL", WARN: "warn", PASS: "pass", NO_BASELINE: "n/a", SKIPPED: "skip"}
MIN_WIDTH = 60
NAME_MIN = 10
VALUE_MAX = 10  # a value that is text (untrusted, a fingerprint) is cut: the name gets the room
DELTA_MAX = 20  # room for "−12.34% within noise" whole; a longer Δ (text values) is cut


def clip(text: str, width: int, *, at_word: bool = False) -> str:
    """`text` in at most `width` characters, ending in '…' when cut (at a word boundary if asked)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    cut = text[: width - 1]
    if at_word and " " in cut:
        cut = cut[: cut.rfind(" ")].rstrip(" ,;:")
    return cut + "…"


def cut_middle(text: str, width: int, keep: int | None = None) -> str:
    """`text` in at most `width` characters: its start, '…', and as much of its end as fits — or, given
    `keep` (an index that must stay visible), the part from a little before it."""
    if len(text) <= width:
        return text
    if width <= 2:
        return clip(text, width)
    tail = width - 1 - min(max(width // 4, 1), text.find(".") + 1 if 0 < text.find(".") < width // 3 else width // 4)
    if keep is not None and keep < len(text) - tail:
        start = max(keep - 2, 1)
        return "…" + clip(text[start:], width - 1)
    return text[: width - 1 - tail] + "…" + text[-tail:]


def short_names(names: list[str], width: int) -> dict[str, str]:
    """Each name cut to `width` by `cut_middle`, different names kept different: where two cuts read alike,
    each shows the part where it differs from the others."""
    shown = {n: cut_middle(n, width) for n in names}
    groups: dict[str, list[str]] = {}
    for name, cut in shown.items():
        groups.setdefault(cut, []).append(name)
    for same in (g for g in groups.values() if len(g) > 1):
        for name in same:
            first = min(len(os.path.commonprefix([name, other])) for other in same if other != name)
            shown[name] = cut_middle(name, width, keep=first)
    return shown


def _why(g: GateOutcome) -> str:
    if g.status in (FAIL, WARN, NO_BASELINE):
        return g.message + (" (warn only)" if g.status == WARN else "")
    return rule_text(g)


NO_CONFIG_HINT = "no mlgate.yaml, so nothing is gated: `mlgate init` writes one with a gate per headline metric"


def verdict_table(result: Result, width: int | None = None) -> str:
    """The table, one line per gate. Names, refs and messages are untrusted: each cell is made one line,
    and every line starts with mlgate's own text, so nothing in it can become a workflow command."""
    c = one_line
    width = max(MIN_WIDTH, width or shutil.get_terminal_size((100, 24)).columns)
    # the verdict is wrapped, never cut: its counts are the line's point
    lines = textwrap.wrap(f"mlgate: {c(verdict_line(result))}", width, subsequent_indent="  ",
                          break_on_hyphens=False)
    head = f"{c(result.head.ref)} @ {c(result.head.short or 'workspace')}"
    if result.base and result.base.sha and result.base.sha == result.head.sha and not result.head.dirty:
        where = f"{head} compared with itself: no changes"
    elif result.base:
        where = f"{head} vs {c(result.base.ref)}" + (f" @ {c(result.base.short)}" if result.base.short else "")
    else:
        where = f"{head} · nothing to compare with"
    source = f"baseline: {c(result.baseline.source)}" + (f" ({c(result.baseline.detail)})" if result.baseline.detail else "")
    lines.append(clip(f"  head {where} · {source}", width, at_word=True))  # mlgate's own word first
    gates = table_gates(result)
    rows = []
    for g in gates:
        f = fmt(g)
        cells = (_MARKS.get(g.status, g.status), g.name, clip(c(f.value(g.old)), VALUE_MAX),
                 clip(c(f.value(g.new)), VALUE_MAX), clip(c(delta(g, f)), DELTA_MAX), _why(g))
        rows.append(tuple(c(cell) for cell in cells))
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        fixed = 2 + widths[0] + 2 + 2 + widths[2] + 3 + widths[3] + 2 + widths[4] + 2
        name_width = max(NAME_MIN, min(widths[1], width - fixed - 20))
        names = short_names([r[1] for r in rows], name_width)
        for mark, name, old, new, change, why in rows:
            left = (f"  {mark.ljust(widths[0])}  {names[name].ljust(name_width)}  "
                    f"{old.rjust(widths[2])} → {new.ljust(widths[3])}  {change.ljust(widths[4])}  ")
            lines.append(clip((left + clip(why, max(8, width - len(left)), at_word=True)).rstrip(), width))
    for g in result.gates:
        if g.status == SKIPPED:
            lines.append(clip(f"  skip  {c(g.name)}: {c(skip_reason(g))}", width, at_word=True))
    if not result.config_path:
        lines.append(f"  {NO_CONFIG_HINT}")
    for warning in result.warnings:
        lines.append(clip(f"  warning: {one_line(warning)}", width, at_word=True))
    return "\n".join(lines).replace("\u00a0", " ")  # the report's no-break spaces are for browsers
