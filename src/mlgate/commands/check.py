"""mlgate check: validate mlgate.yaml and show which metric each KPI selector matches, without running."""

from __future__ import annotations

import argparse
from pathlib import Path

from mlgate import prediction_gates
from mlgate.compare import is_number
from mlgate.errors import ConfigError, EXIT_OK
from mlgate.runner import RunOptions, prepare
from mlgate.selectors import match


def check_command(args: argparse.Namespace) -> int:
    prepared = prepare(RunOptions(project_dir=Path(args.project_dir), config_path=Path(args.config) if args.config else None))
    try:
        snap = prepared.project.snapshot()
        note = prediction_gates.add_workspace_metrics(prepared.config, prepared.project, snap)
    finally:
        prepared.project.close()
    source = str(prepared.config_path)
    print(f"mlgate: {source} is valid ({len(prepared.config.kpis)} KPI{'s' if len(prepared.config.kpis) != 1 else ''})")
    if note:
        print(f"  warning: {note}")
    for path, why in snap.errors.items():
        print(f"  warning: {path}: {why}")
    problems = []
    for selector, kpi in prepared.config.kpis.items():
        found = match(selector, snap.metrics, source=source)
        rules = ", ".join(f"{rule} {value:g}" for rule, value in kpi.rules())
        if not found:
            note = "optional, skipped" if kpi.optional else "MATCHES NOTHING"
            print(f"  {selector}: {note}  [{rules}]")
            if not kpi.optional:
                problems.append(selector)
            continue
        for path, key in found:
            value = snap.metrics[path][key]
            shown = f"{value:.6g}" if is_number(value) else repr(value)
            print(f"  {selector} → {path}:{key} = {shown}  [{rules}]")
    if problems:
        known = sorted({k for keys in snap.metrics.values() for k in keys})
        raise ConfigError(
            f"{source}: kpis.{problems[0]}: matches no metric in the workspace (known: {', '.join(known[:12]) or 'none'}); "
            "fix the name, or add 'optional: true'"
        )
    return EXIT_OK
