"""mlgate run: reproduce, compare with the base, check the gates, write the report and the result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mlgate.dvc_project import is_missing
from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK, InputError
from mlgate.progress import Progress
from mlgate.report import render
from mlgate.result import Result, write_text
from mlgate.recording import run_with_ledger
from mlgate.runner import RunOptions, prepare
from mlgate.terminal import verdict_table


def options_from_args(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        project_dir=Path(args.project_dir),
        config_path=Path(args.config) if args.config else None,
        base=args.base,
        repro=args.repro,
        pull=args.pull,
        report_id=args.report_id,
    )


def run_command(args: argparse.Namespace) -> int:
    progress = Progress(quiet=args.quiet)
    options = options_from_args(args)
    prepared = prepare(options)
    try:
        result, _ = run_with_ledger(prepared, options, progress, record=args.record, push_cache=args.push_cache,
                                    trend_entries=args.trend)
    finally:
        prepared.project.close()
    finish(result, Path(args.report), Path(args.json), template_dir=prepared.template_dir)
    print(verdict_table(result), file=sys.stdout)
    print(f"mlgate: report {args.report} · result {args.json}", file=sys.stdout)
    return exit_code(result)


def finish(result: Result, report_path: Path, json_path: Path, *, template_dir: Path | None = None) -> str:
    """Write the result and the report (always, so nothing is lost), then refuse unreadable head metrics."""
    unreadable = {p: why for p, why in result.errors.get("head", {}).items() if not is_missing(why)}
    if unreadable:
        result.verdict = "error"
    result.write(json_path)  # first: a report template error must not lose the result
    report = render(result, template_dir=template_dir)
    write_text(report_path, report)
    if unreadable:
        path, why = next(iter(unreadable.items()))
        raise InputError(f"{path}: cannot be read at the head: {why}; fix the file the pipeline writes")
    return report


def exit_code(result: Result) -> int:
    return EXIT_GATE_FAILED if result.verdict == "fail" else EXIT_OK
