"""The short verdict table printed in the terminal after a run."""

from __future__ import annotations

from mlgate.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN
from mlgate.report import delta, digits, num, rule_text
from mlgate.result import Result
from mlgate.safe_text import one_line

_MARKS = {FAIL: "FAIL", WARN: "warn", PASS: "pass", NO_BASELINE: "n/a ", SKIPPED: "skip"}


def verdict_table(result: Result) -> str:
    """The table, one line per gate. Names, refs and messages are untrusted: each cell is made one line,
    and every line starts with mlgate's own text, so nothing in it can become a workflow command."""
    c = one_line
    lines = [f"mlgate: {c(result.verdict.upper())} — {c(result.headline())}"]
    if result.base:
        lines.append(
            f"  head {c(result.head.ref)} @ {c(result.head.short or 'workspace')} vs {c(result.base.ref)}"
            + (f" @ {c(result.base.short)}" if result.base.short else "")
            + f" · baseline: {c(result.baseline.source)} ({c(result.baseline.detail)})"
        )
    else:
        lines.append(f"  head {c(result.head.ref)} @ {c(result.head.short or 'workspace')} · baseline: none")
    rows = [tuple(c(cell) for cell in (_MARKS.get(g.status, g.status), g.name, num(g.old, p), num(g.new, p),
                                        delta(g, p), rule_text(g), g.message))
            for g in result.gates for p in [digits(g)]]
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(5)]
            lines.append(f"  {cells[0]}  {cells[1]}  {cells[2]} → {cells[3]}  {cells[4]}  [{row[5]}]  {row[6]}")
    for warning in result.warnings:
        lines.append(f"  warning: {c(warning)}")
    return "\n".join(lines)
