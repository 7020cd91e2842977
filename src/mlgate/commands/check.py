"""mlgate check: validate mlgate.yaml and show which metric each KPI selector matches, without running.

Selectors are matched against the metrics mlgate can read without running anything: the workspace's,
else the base commit's (committed to git or in the DVC cache), else the metrics ledger's last entry on
the default branch. When there are none yet (a fresh clone of a project whose metrics are pipeline
outputs), that is said plainly and the check passes: the names are checked by the first run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgate.edges.dvc.discovery import check_pipeline, describe
from mlgate.edges.dvc.discovery import unreadable as broken
from mlgate.edges.progress import Progress
from mlgate.edges.sides import DirectorySide
from mlgate.errors import EXIT_OK, ConfigError, InputError, MlgateError
from mlgate.gating.compare import is_number
from mlgate.gating.gates import family_without_base
from mlgate.gating.history import reads_history, series
from mlgate.gating.selectors import match
from mlgate.gating.snapshot import Snapshot
from mlgate.run.base_commit import BaseRequest, choose_base
from mlgate.run.gate import Edges, RunOptions, default_branch_rev, display, open_edges
from mlgate.run.judge import compute_families, with_families
from mlgate.text.safe import one_line, say


def check_command(args: argparse.Namespace) -> int:
    options = RunOptions(project_dir=Path(args.project_dir), config_path=Path(args.config) if args.config else None)
    with open_edges(options, Progress(quiet=True)) as edges:
        check_pipeline(edges.project)  # a dvc.yaml or dvc.lock that does not parse: exit 2, naming it
        snap, where, notes, failed = visible_metrics(edges)
    config, source = edges.config, display(edges.config_path)
    unreadable = broken(snap.errors)
    count = f"{len(config.kpis)} KPI{'s' if len(config.kpis) != 1 else ''}"
    if not edges.configured:
        say(f"mlgate: no {source}, so nothing is gated: `mlgate init` writes one with a gate per headline metric")
        if snap.is_empty():
            say("  no metrics to show yet: run the pipeline once, or 'mlgate run'")
        else:
            say(f"  the metrics in {where} (a gate names one under kpis:, e.g. the key after the colon):")
            say("\n".join(_listing(snap, set())[0]))
        for note in [*notes, *(f"{block}: {why}" for block, why in failed.items())]:
            say(f"  warning: {one_line(note)}")
        _refuse_unreadable(unreadable)
        return EXIT_OK
    if snap.is_empty() and unreadable:
        say(f"mlgate: {source} is valid ({count}); no metrics could be read")
        _refuse_unreadable(unreadable)
    if snap.is_empty():
        say(f"mlgate: {source} is valid ({count}); no metrics to match yet: run the pipeline once, or 'mlgate run'")
        for selector in config.kpis:
            say(f"  {one_line(selector)}: not checked yet")
        return EXIT_OK
    lines, problems, matched = [], [], set()
    historic: list[tuple[str, str]] = []  # metrics a gate judges on main's ledger history
    gates = 0  # one per metric a selector matches: what 'mlgate run' counts in "2 of 5 KPI gates failed"
    for selector, kpi in config.kpis.items():
        rules = ", ".join(f"{rule} {value:g}" if is_number(value) else rule for rule, value in kpi.rules())
        rules += f", confidence {kpi.confidence_level:g}" if kpi.confidence_level is not None else ""
        rules += ", warn" if kpi.severity == "warn" else ""
        block = selector.rpartition(":")[2].split(".", 1)[0]
        if block in failed:  # its family could not measure here (a model sample that fails): not a wrong name
            lines.append(f"  {one_line(selector)}: not checked: {block}: {one_line(failed[block])}  [{rules}]")
            continue
        found = match(selector, snap.metrics, source=source)
        family = None if found or kpi.optional else family_without_base(selector, snap, None)
        if family:  # e.g. model.latency_ratio: as a run without a base says, not a wrong name
            lines.append(f"  {one_line(selector)}: measured against the base's {family} by each run  [{rules}]")
            gates += 1
            continue
        if not found:
            lines.append(f"  {one_line(selector)}: {'optional, skipped' if kpi.optional else 'MATCHES NOTHING'}  [{rules}]")
            if not kpi.optional:
                problems.append(selector)
            continue
        gates += len(found)
        matched.update(found)
        if reads_history(selector, kpi):
            historic.extend(f for f in found if f not in historic)
        if found == [(found[0][0], selector.rpartition(":")[2])]:  # the selector is the metric's own name
            path, key = found[0]
            lines.append(f"  {one_line(key)} = {one_line(_shown(snap.metrics[path][key]))}  [{rules}]{_source(path, key)}")
            continue
        lines.append(f"  {one_line(selector)}  [{rules}]")  # a pattern: the metrics it matched, under it
        lines.extend(f"    {one_line(key)} = {one_line(_shown(snap.metrics[path][key]))}{_source(path, key)}"
                     for path, key in found)
    if not problems:
        say(f"mlgate: {source} is valid: {count} → {gates} KPI gate{'s' if gates != 1 else ''}, one per metric they"
            f" match in {where}")
    if lines:
        say("\n".join(lines))
    if historic:
        say("\n".join(_history_lines(edges, historic)))
    others, ungated = _listing(snap, matched)
    if others:
        shown = f"; the first {MAX_LISTED} here" if ungated > MAX_LISTED else ""
        say(f"  not gated ({ungated}{shown}; a gate names one under kpis:):")
        say("\n".join(others))
    named = {selector.rpartition(":")[2].split(".", 1)[0] for selector in config.kpis}
    for note in [*notes, *(f"{block}: {why}" for block, why in failed.items() if block not in named)]:
        say(f"  warning: {one_line(note)}")
    if problems:
        _refuse_unreadable(unreadable)  # a KPI in a file that cannot be read: the file is the problem, not the name
        known = sorted({k for keys in snap.metrics.values() for k in keys})
        raise ConfigError(
            f"{source}: kpis.{problems[0]}: matches no metric in {where} (known: {', '.join(known[:12]) or 'none'}); "
            "fix the name, or add 'optional: true'"
        )
    _refuse_unreadable(unreadable)
    return EXIT_OK


def _refuse_unreadable(unreadable: dict[str, str]) -> None:
    """A metrics or params file DVC cannot read is bad input (exit 2), said as such, with DVC's reason."""
    if unreadable:
        path, why = next(iter(unreadable.items()))
        path = "the pipeline" if path == "(pipeline)" else path
        more = f" (and {len(unreadable) - 1} more file{'s' if len(unreadable) > 2 else ''})" if len(unreadable) > 1 else ""
        raise InputError(f"{one_line(path)}: cannot be read: {one_line(describe(why))}{more}; fix the file, or rerun the "
                         "stage that writes it ('dvc repro')")


def _history_lines(edges: Edges, metrics: list[tuple[str, str]]) -> list[str]:
    """How much of main's history each such gate has: 'history of r2: 14 recorded runs on main (8 needed):
    judged on main's noise'."""
    baseline = edges.config.baseline
    rev = default_branch_rev(edges.git)
    if not baseline.ledger:
        return ["  history: baseline.ledger is false, so the gates with confidence are judged on the number alone"]
    hits = []
    if edges.ledger is not None and rev:
        try:
            hits = edges.ledger.history(rev, baseline.window)
        except MlgateError:
            hits = []
    where = rev.removeprefix("origin/") if rev else "the default branch"
    out = []
    for path, key in metrics:
        n = len(series(hits, f"{path}:{key}"))
        said = ("judged on main's noise" if n >= baseline.min_history
                else "judged on the number alone until then; `mlgate run --record` on each commit of "
                     f"{one_line(where)} records them")
        out.append(f"  history of {one_line(key)}: {n} recorded run{'s' if n != 1 else ''} in the last "
                   f"{baseline.window} on {one_line(where)} ({baseline.min_history} needed): {said}")
    return out


MAX_LISTED = 60  # metrics listed without a gate; the rest are counted


def _listing(snap: Snapshot, matched: set[tuple[str, str]]) -> tuple[list[str], int]:
    """``    path:key = value`` for each metric no KPI matched (numbers first as DVC shows them), the first
    MAX_LISTED of them and a line counting the rest; and how many there are in all."""
    rows = [f"    {one_line(path)}:{one_line(key)} = {one_line(_shown(value))}"
            for path, keys in snap.metrics.items() for key, value in keys.items() if (path, key) not in matched]
    total = len(rows)
    if total > MAX_LISTED:
        rows = [*rows[:MAX_LISTED], f"    ... and {total - MAX_LISTED} more"]
    return rows, total


def _source(path: str, key: str) -> str:
    """``  in eval/metrics.json``: the file a metric was read from; nothing for a family's own figures
    (``data.train.rows`` from ``data``), whose name says it."""
    return "" if key.startswith(f"{path}.") else f"  in {one_line(path)}"


def _shown(value: object) -> str:
    return f"{value:.6g}" if is_number(value) else repr(value)


def visible_metrics(edges: Edges) -> tuple[Snapshot, str, list[str], dict[str, str]]:
    """The metrics readable without running: (numbers, where they came from, warnings, and each metric
    family that could not measure here -> why: a predictions file not written yet, a model sample that
    fails; its KPIs are checked by the first run, the other families' still here)."""
    project = edges.project
    snap = project.snapshot()
    notes = [f"{path}: {why}" for path, why in snap.errors.items() if path not in broken(snap.errors)]
    failed: dict[str, str] = {}
    families = compute_families(edges.config, DirectorySide("head", None, project.root), None, None, failed=failed)
    head, _ = with_families(snap, None, families)
    if not head.is_empty() or broken(snap.errors):
        return head, "the workspace", notes, failed  # a file there that cannot be read is said, not skipped
    try:
        base = choose_base(edges.git, BaseRequest(), config_ref=edges.config.baseline.ref).revision
    except MlgateError:
        base = None
    if base is not None and base.sha:
        at_base = project.snapshot(base.sha)
        if not at_base.is_empty():
            return at_base, f"the base commit {base.sha[:7]}", notes, failed
    rev = default_branch_rev(edges.git)
    if edges.ledger is not None and rev:
        try:
            hits = edges.ledger.history(rev, 1)
        except MlgateError:
            hits = []
        if hits:
            return Snapshot.from_dict(hits[-1].entry), f"the metrics ledger's entry for {hits[-1].sha[:7]}", notes, failed
    return Snapshot(), "nowhere yet", notes, failed
