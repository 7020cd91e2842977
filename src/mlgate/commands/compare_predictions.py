"""mlgate compare-predictions CHAMPION CHALLENGER: two models on real traffic (canary, A/B, shadow mode).

Two prediction logs from production, with the columns of mlgate.yaml's ``predictions:`` block (its
``path`` is not used). Rows pair by id when both models scored the same requests (shadow mode), else
the comparison is unpaired and says so. The champion is the base, the challenger the head: the same
predictions family, the same gates (``predictions.*`` KPIs, with confidence intervals where asked), the
same report and result as a run, and the verdict's exit code. The KPIs that are not ``predictions.*``
(pipeline metrics, ``model.*``, ``data.*``: one mlgate.yaml serves every command) are listed as not judged;
when nothing could be judged the verdict is ``error`` (exit 2): green means something was checked.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from mlgate.commands.run import exit_code, write_outputs
from mlgate.config.load import CONFIG_NAME, PREDICTIONS_PREFIX, load_config, replace
from mlgate.errors import InputError
from mlgate.families.predictions import family
from mlgate.gating import gates
from mlgate.gating.snapshot import Snapshot
from mlgate.report.terminal import verdict_table
from mlgate.result import Baseline, Revision
from mlgate.run.gate import display
from mlgate.run.judge import assemble, with_families

NOT_FROM_LOGS = "not a predictions.* metric: a prediction log does not give it (mlgate run judges it)"


@dataclass(frozen=True)
class FileSide:
    """One model's prediction log as the predictions family reads it (see mlgate.families.Side)."""

    name: str
    file: Path
    rel: str
    sha: str | None = None

    def path(self, rel: str) -> Path | None:
        return self.file if rel == self.rel and self.file.is_file() else None

    def glob(self, pattern: str) -> list[str]:
        return [self.rel]


def compare_predictions_command(args: argparse.Namespace) -> int:
    champion, challenger = Path(args.champion), Path(args.challenger)
    config_path = Path(args.config) if args.config else Path(args.project_dir) / CONFIG_NAME
    config = load_config(config_path)
    if config.predictions is None:
        raise InputError(f"{display(config_path)}: no predictions: block; add one naming the id, label, prediction "
                         "and score columns of the prediction logs")
    for path in (champion, challenger):
        if not path.is_file():
            raise InputError(f"{path}: no such prediction log; pass the champion's and the challenger's files")
    if champion.suffix.lower() != challenger.suffix.lower():
        raise InputError(f"{champion} and {challenger}: give both logs in one format (CSV, JSON lines or Parquet)")
    rel = f"production-predictions{challenger.suffix.lower()}"
    config = replace(config, predictions=replace(config.predictions, path=rel))
    found = family.compute(config, FileSide("challenger", challenger, rel), FileSide("champion", champion, rel))
    assert found is not None
    head, base = with_families(Snapshot(), Snapshot(), [found])
    assert base is not None  # it was given one
    applies = {s: kpi for s, kpi in config.kpis.items() if family.metric_pattern(s).startswith(PREDICTIONS_PREFIX)}
    outcomes = gates.evaluate(replace(config, kpis=applies), head, base, source=display(config_path),
                              judge=found.judge)
    outcomes += [gates.not_judged(s, kpi, NOT_FROM_LOGS) for s, kpi in config.kpis.items() if s not in applies]
    order = {selector: i for i, selector in enumerate(config.kpis)}
    outcomes.sort(key=lambda g: order[g.kpi])  # mlgate.yaml's order, as in a run
    error = None
    if not any(g.status in (gates.PASS, gates.FAIL, gates.WARN) for g in outcomes):  # green means checked
        names = [g.name for g in outcomes]
        why = (f"not judged: {', '.join(names[:3])}{' …' if len(names) > 3 else ''}" if names else "kpis: is empty")
        error = (f"{display(config_path)}: no KPI could be judged on the prediction logs ({why}); add predictions.* "
                 "KPIs, e.g. predictions.accuracy: {max_drop: 0.01}")
    result = assemble(
        outcomes=outcomes, head_metrics=head.metrics, base_metrics=base.metrics, started=None,
        sections={found.key: found.section},
        error=error,
        head=Revision(ref=f"challenger {challenger.name}"),
        base=Revision(ref=f"champion {champion.name}"),
        base_how=None,
        baseline=Baseline("files", f"champion's predictions from {champion}"),
        params={},
        warnings=found.warnings,
        report_id=args.report_id,
        config_path=display(config_path),
        context={"title": f"{config.report.title}: champion vs challenger", "event": "compare-predictions"},
    )
    write_outputs(result, Path(args.report), Path(args.json))
    print(verdict_table(result), file=sys.stdout)
    print(f"mlgate: report {args.report} · result {args.json}", file=sys.stdout)
    return exit_code(result)
