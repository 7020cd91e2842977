"""mlgate run: reproduce, compare with the base, check the gates, write the report and the result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mlgate.edges.progress import Progress
from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK, InputError
from mlgate.publish.record import AfterRun, after_run
from mlgate.report.render import render
from mlgate.report.terminal import verdict_table
from mlgate.result import Result, write_text
from mlgate.run.base_commit import BaseRequest
from mlgate.run.gate import Edges, RunOptions, open_edges, run
from mlgate.text.safe import say


def options_from_args(args: argparse.Namespace, **more: Any) -> RunOptions:
    """The run's options from the shared flags; ``more`` sets the rest (ci: the event's base, head, links)."""
    fields: dict[str, Any] = {
        "project_dir": Path(args.project_dir),
        "config_path": Path(args.config) if args.config else None,
        "base": BaseRequest(ref=args.base) if args.base else BaseRequest(),
        "repro": args.repro,
        "pull": args.pull,
        "report_id": args.report_id,
        "trend_entries": args.trend,
        "outputs": (Path(args.report), Path(args.json)),
    }
    return RunOptions(**{**fields, **more})


def run_command(args: argparse.Namespace) -> int:
    progress = Progress(quiet=args.quiet)
    options = options_from_args(args)
    report_path, json_path = Path(args.report), Path(args.json)
    remove_stale(report_path, json_path)
    with open_edges(options, progress, ledger=True if args.record else None) as edges:
        result = run(options, edges)
        write_outputs(result, report_path, json_path, edges)
        done = record(result, edges, record=args.record, push_cache=args.push_cache)
    print(verdict_table(result), file=sys.stdout)
    for warning in done.warnings:
        say(f"mlgate: warning: {warning}", file=sys.stderr)
    print(f"mlgate: report {args.report} · result {args.json}", file=sys.stdout)
    return exit_code(result)


def write_outputs(result: Result, report_path: Path, json_path: Path, edges: Edges | None = None) -> str:
    """The result first (a report template error must not lose it), then the report."""
    result.write(json_path)
    report = render(result, template_dir=edges.template_dir if edges else None)
    write_text(report_path, report)
    return report


def remove_stale(report_path: Path, json_path: Path) -> None:
    """Before a run: remove the report and the result an earlier run left there, so a run that ends in an error
    leaves no older verdict to be read as its own (one that finishes writes both again)."""
    for path in (json_path, report_path):
        try:
            if path.is_file():
                path.unlink()
        except OSError:
            pass  # writing there later says what is wrong, in the run's own words


def record(result: Result, edges: Edges, *, record: bool, push_cache: bool | None) -> AfterRun:
    return after_run(result, ledger=edges.ledger, project=edges.project, progress=edges.progress, record=record,
                     push_ledger=True, push_cache=push_cache)


def exit_code(result: Result) -> int:
    """The verdict's exit code; a run that could not judge its head raises (exit 2) after its files are written."""
    if result.verdict == "error":
        raise InputError(result.error or "the run could not be completed; see the report")
    return EXIT_GATE_FAILED if result.verdict == "fail" else EXIT_OK
