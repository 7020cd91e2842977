"""The verdict as people read it first: the report's heading (icon and words), the one verdict line, and the
order of the gates' table: ✅ only for a pass that checked something."""

from __future__ import annotations

from typing import Any

from mlgate.gating import compare
from mlgate.gating.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, GateOutcome
from mlgate.report.cells import finite, judgement
from mlgate.result import Result
from mlgate.text.metric_names import guess_higher_is_better
from mlgate.text.numbers import NO_CHANGE, number_format

_ORDER = {FAIL: 0, WARN: 1, NO_BASELINE: 2, PASS: 3, SKIPPED: 4}


ERROR_ICON = "⛔"  # the run could not be completed: nothing is judged, whatever the gates would say


NOT_GATED_ICON = "📊"  # no mlgate.yaml: a comparison, not a verdict


NOT_JUDGED_ICON = "➖"  # gates configured, none of them judged (no baseline, all skipped, none at all)


def heading(r: Result) -> tuple[str, str]:
    """The report's and the terminal's verdict: an icon and a headline. ✅ only when a gate really passed:
    a run without mlgate.yaml is a comparison (its heading counts what got better and worse), one whose
    gates were all left unjudged says so, and an errored run has its own icon, not a pass's ⚠️."""
    if r.verdict == "error":
        return ERROR_ICON, r.headline()
    if r.verdict == "fail":
        return "❌", r.headline()
    if not r.config_path:
        return NOT_GATED_ICON, not_gated_headline(r)
    if not earned_pass(r):
        return NOT_JUDGED_ICON, r.headline()
    return ("⚠️" if r.count(WARN) else "✅"), r.headline()


def earned_pass(r: Result) -> bool:
    """A pass that checked something: the run had a mlgate.yaml and at least one gate was judged and passed."""
    return r.verdict == "pass" and bool(r.config_path) and any(g.status in (PASS, WARN) for g in r.gates)


def verdict_line(r: Result) -> str:
    """The terminal's verdict: 'PASS — all 3 KPI gates passed', 'ERROR — …', 'NOT JUDGED — …', and for a run
    without mlgate.yaml only its headline (no word of a verdict it never gave)."""
    icon, headline = heading(r)
    if icon == NOT_GATED_ICON:
        return headline
    return f"{'NOT JUDGED' if icon == NOT_JUDGED_ICON else r.verdict.upper()} — {headline}"


def metric_changes(r: Result) -> dict[str, int]:
    """How the metrics moved, at the precision they are shown: better / worse by their names' direction,
    changed with no direction in their names, unchanged."""
    counts = {"better": 0, "worse": 0, "changed": 0, "unchanged": 0}
    for keys in r.metrics.values():
        for key, e in keys.items():
            if not is_changed(e):
                counts["unchanged"] += 1
                continue
            word = judgement(compare.numeric_diff(e.get("old"), e.get("new")),
                             guess_higher_is_better(key)) if finite(e.get("old")) is not None else ""
            counts[word or "changed"] += 1
    return counts


def not_gated_headline(r: Result) -> str:
    """'no mlgate.yaml: 2 metrics better and 1 worse by their names' direction, 3 more changed'."""
    c = metric_changes(r)
    lead = "no mlgate.yaml"
    if not r.metrics:
        return f"{lead}: no metrics to compare"
    if r.base is None or r.baseline.source == "none":
        return f"{lead}, nothing to compare with: {sum(c.values())} metric{'s' if sum(c.values()) != 1 else ''}"
    if not (c["better"] or c["worse"] or c["changed"]):
        return f"{lead}: no metric changed ({c['unchanged']} compared)"
    parts = []
    if c["better"] or c["worse"]:
        parts.append(f"{c['better']} metric{'s' if c['better'] != 1 else ''} better and {c['worse']} worse"
                     " by their names' direction")
    if c["changed"]:
        parts.append(f"{c['changed']} {'more ' if parts else 'metric' + ('s ' if c['changed'] != 1 else ' ')}changed")
    return f"{lead}: " + ", ".join(parts)


def is_changed(e: dict[str, Any]) -> bool:
    """A metric's entry moved at the precision it is shown (float noise is no change)."""
    if compare.entry_status(e) == "unchanged":
        return False
    return number_format(e.get("old"), e.get("new")).change(e.get("old"), e.get("new")) != NO_CHANGE


def table_gates(result: Result) -> list[GateOutcome]:
    """The gates the report's table shows, in its order: failures, warnings, no baseline, passes (skipped apart)."""
    return sorted((g for g in result.gates if g.status != SKIPPED), key=lambda g: _ORDER.get(g.status, 9))
