"""The short verdict table printed in the terminal after a run."""

from __future__ import annotations

from mlgate.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN
from mlgate.report import delta, digits, num, rule_text
from mlgate.result import Result

_MARKS = {FAIL: "FAIL", WARN: "warn", PASS: "pass", NO_BASELINE: "n/a ", SKIPPED: "skip"}


def verdict_table(result: Result) -> str:
    lines = [f"mlgate: {result.verdict.upper()} — {result.headline()}"]
    if result.base:
        lines.append(
            f"  head {result.head.ref} @ {result.head.short or 'workspace'} vs {result.base.ref}"
            + (f" @ {result.base.short}" if result.base.short else "")
            + f" · baseline: {result.baseline.source} ({result.baseline.detail})"
        )
    else:
        lines.append(f"  head {result.head.ref} @ {result.head.short or 'workspace'} · baseline: none")
    rows = [(_MARKS.get(g.status, g.status), g.name, num(g.old, p), num(g.new, p), delta(g, p), rule_text(g), g.message)
            for g in result.gates for p in [digits(g)]]
    if rows:
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for row in rows:
            cells = [row[i].ljust(widths[i]) for i in range(5)]
            lines.append(f"  {cells[0]}  {cells[1]}  {cells[2]} → {cells[3]}  {cells[4]}  [{row[5]}]  {row[6]}")
    for warning in result.warnings:
        lines.append(f"  warning: {warning}")
    return "\n".join(lines)
