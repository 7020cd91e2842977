"""mlgate history: the metrics ledger in the terminal — one row per commit, a sparkline per KPI.

Reads ``refs/notes/mlgate`` (fetched from origin first when there is one) along the first-parent
history of the default branch (or ``--ref``). The KPIs are mlgate.yaml's selectors, or ``--kpi``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mlgate.config.load import CONFIG_NAME, load_config
from mlgate.edges.git import Git
from mlgate.edges.ledger import Ledger, LedgerHit, ledger_ref
from mlgate.errors import EXIT_OK, ConfigError, InputError, MlgateError
from mlgate.gating.selectors import match
from mlgate.gating.trend import flat_metrics, kpi_series
from mlgate.run.gate import default_branch_rev, display_branch
from mlgate.text.safe import one_line, say


def history_command(args: argparse.Namespace) -> int:
    if args.n <= 0:
        raise InputError(f"-n {args.n}: give a positive number of entries, e.g. -n 20")
    project_dir = Path(args.project_dir)
    if not project_dir.is_dir():
        raise InputError(f"{args.project_dir}: no such directory; pass an existing --project-dir")
    git = Git.discover(project_dir)
    ledger = Ledger(git.root, ledger_ref(args.report_id))
    if args.fetch and ledger.has_remote():
        try:
            ledger.fetch()
        except MlgateError as exc:
            say(f"mlgate: warning: showing the local ledger only: {exc}", file=sys.stderr)
    rev = args.ref or default_branch_rev(git) or "HEAD"
    if args.ref and git.resolve(args.ref) is None:  # bad usage, not a git failure
        raise InputError(f"--ref {one_line(args.ref)!r}: no such branch, tag or commit in {git.root}; fix the name"
                         " or fetch it")
    hits = ledger.history(rev, args.n)
    for warning in ledger.warnings():
        say(f"mlgate: warning: {warning}", file=sys.stderr)
    if not hits:
        say(f"mlgate: no metrics ledger entries on {rev} ({ledger.ref}); "
              "record some with 'mlgate run --record' on that branch, or the Action on push")
        return EXIT_OK
    selectors, strict = (args.kpi, True) if args.kpi else _config_selectors(args, project_dir)
    if getattr(args, "changes", False):
        say(render_changes(hits, selectors, title=display_branch(rev), strict=strict))
        return EXIT_OK
    say(render_history(hits, selectors, title=display_branch(rev), tags=git.tags_by_commit(), strict=strict))
    return EXIT_OK


def _config_selectors(args: argparse.Namespace, project_dir: Path) -> tuple[list[str], bool]:
    """mlgate.yaml's KPIs (each must match), or for the monitoring report id its summary figures (where present)."""
    path = Path(args.config) if args.config else project_dir / CONFIG_NAME
    if not args.config and not path.exists():
        return [], True
    config = load_config(path)
    if config.monitor is not None and args.report_id == config.monitor.report_id:
        from mlgate.run.monitor_gates import HISTORY

        return list(HISTORY), False
    return list(config.kpis), True


def metric_columns(hits: list[LedgerHit], selectors: list[str], *, strict: bool = True) -> list[tuple[str, str]]:
    """(label, "file:key") for each metric the selectors name in the entries; all metrics without selectors.
    ``strict``: a selector that matches nothing is an error (else it is left out)."""
    keys: dict[str, set[str]] = {}
    for hit in hits:
        for name in flat_metrics(hit.entry.get("metrics")):
            path, _, key = name.partition(":")
            keys.setdefault(path, set()).add(key)
    if selectors:
        found: list[tuple[str, str]] = []
        for selector in selectors:
            try:
                matched = match(selector, keys, source="--kpi")
            except ConfigError as exc:
                raise InputError(str(exc)) from None
            if not matched and not strict:
                continue
            if not matched:
                known = ", ".join(sorted(f"{p}:{k}" for p, ks in keys.items() for k in ks)[:12]) or "none"
                raise InputError(f"--kpi {selector}: no ledger entry has this metric (known: {known}); fix the name")
            found += [m for m in matched if m not in found]
    else:
        found = sorted((p, k) for p, ks in keys.items() for k in ks)
    bare = [k for _, k in found]
    return [(one_line(k if bare.count(k) == 1 else f"{p}:{k}"), f"{p}:{k}") for p, k in found]


def render_history(hits: list[LedgerHit], selectors: list[str], *, title: str,
                   tags: dict[str, list[str]] | None = None, strict: bool = True) -> str:
    """The table (oldest first, like the sparklines) and one sparkline line per KPI, within 100 columns; a
    commit promoted to a model version (``mlgate promote``) shows its version tag after the verdict."""
    from mlgate.report.history_table import render_history as layout

    columns = metric_columns(hits, selectors, strict=strict)
    series = {name: [v for _, v in kpi_series(hits, name)] for _, name in columns}
    rows = [{"sha": hit.sha, "date": _date(hit.entry), "verdict": one_line(_verdict(hit, tags or {}))} for hit in hits]
    return layout(rows, columns, series, title=title)


def render_changes(hits: list[LedgerHit], selectors: list[str], *, title: str, strict: bool = True) -> str:
    """``--changes``: per KPI, the commits where its level shifted (mlgate.run.history_changes)."""
    from mlgate.gating.history import series
    from mlgate.run.history_changes import render_changes as layout

    columns = metric_columns(hits, selectors, strict=strict)
    dates = {hit.sha: _date(hit.entry) for hit in hits}
    return layout([(label, [(p.sha, dates[p.sha], p.value) for p in series(hits, name)]) for label, name in columns],
                  title=title)


def _verdict(hit: LedgerHit, tags: dict[str, list[str]]) -> str:
    versions = sorted(t for t in tags.get(hit.sha, []) if "@v" in t)
    verdict = str(hit.entry.get("verdict", "?"))
    return f"{verdict} ★ {' '.join(versions)}" if versions else verdict


def _date(entry: dict[str, Any]) -> str:
    stamp = entry.get("created_at") or entry.get("recorded_at")
    if not isinstance(stamp, str) or len(stamp) < 16:
        return "?"
    return stamp[:10] + " " + stamp[11:16]
