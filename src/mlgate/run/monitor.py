"""``mlgate monitor``: is production still what we trained for?

A production sample (a file, a glob or a directory of CSV/Parquet partitions) is compared with what the
default branch's last recorded run says: the ledger entry (``refs/notes/mlgate``) found on the default
branch's first-parent line names the commit; its training dataset (``monitor.dataset`` under ``data:``)
and its test predictions are read at that commit through DVC, and its recorded ``predictions.*`` metrics
come from the entry. The checks themselves are pure (mlgate.run.monitor_gates). The outcome is a Result like a
run's (report id ``monitoring``), with the verdict word ``ok`` | ``drift`` | ``degraded`` in its context.

Recording: each monitoring result goes into the ledger under its own ref (``refs/notes/mlgate-<report id>``),
keyed by the commit it monitored, so ``mlgate history --report-id monitoring`` shows production's trend.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mlgate.config.load import replace
from mlgate.config.schema import Config, DatasetConfig, MonitorConfig
from mlgate.edges.ledger import Ledger, LedgerHit
from mlgate.edges.progress import Progress
from mlgate.edges.sides import RevisionSide, Side
from mlgate.errors import InputError, MlgateError
from mlgate.families.data.drift import BINS_TEXT, drifts_of
from mlgate.families.data.profile import DatasetProfile
from mlgate.families.data.read import DatasetReader, file_format, is_glob
from mlgate.families.data.section import dataset_section
from mlgate.gating.gates import SKIPPED
from mlgate.result import Baseline, Result, Revision
from mlgate.run.gate import Edges, RunOptions, default_branch_rev, display, display_branch, ledger_trend, open_edges
from mlgate.run.judge import assemble
from mlgate.run.monitor_gates import FILE, OK, Checked, SamplePredictions, checks
from mlgate.text.safe import excerpt, one_line

SAMPLE_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq", ".parq", ".csv.gz", ".csv.bz2", ".csv.zst", ".tsv.gz")
NOTHING_RECORDED = ("nothing to compare with: record the default branch first (the Action on push, or "
                    "`mlgate run --record`)")


@dataclass(frozen=True)
class MonitorOptions:
    project_dir: Path = Path(".")
    config_path: Path | None = None
    sample: Path | None = None  # --sample: may be outside the repository (the user named it)
    trend_entries: int = 20
    run_url: str | None = None


@dataclass(frozen=True)
class Monitored:
    """The finished monitoring result and what the steps after it need."""

    result: Result
    word: str  # ok | drift | degraded
    sha: str  # the commit it monitored
    drifting: tuple[str, ...]
    alarms: Mapping[str, list[str]]
    config: MonitorConfig
    ledger: Ledger | None = None  # the monitoring ledger (fetched before the trend was read)


def monitor_config(config: Config, source: str, sample_given: bool) -> MonitorConfig:
    if config.monitor is not None:
        return config.monitor
    if not sample_given:
        raise InputError(f"{source}: no monitor: block; add one (monitor: {{sample: prod/*.parquet}}) or pass "
                         "--sample PATH")
    if not config.data:
        raise InputError(f"{source}: no data: block to compare the sample with; add the training dataset "
                         "(e.g. data: {train: data/train.csv})")
    return MonitorConfig()


def sample_files(root: Path, pattern: str, given: bool) -> list[tuple[str, Path]]:
    """The sample's files as (name, path): a file, a glob (relative to ``root``) or a directory of partitions."""
    where = "--sample" if given else "monitor.sample"
    if is_glob(pattern):
        import glob

        hits = (Path(p) if Path(p).is_absolute() else root / p for p in glob.glob(pattern, root_dir=root, recursive=True))
        found = sorted(p for p in hits if p.is_file())
        if not found:
            raise InputError(f"{where} {one_line(pattern)}: matches no file; fix the pattern or fetch the sample "
                             "(dvc update / dvc pull)")
        return [(_shown(p, root), p) for p in found]
    path = Path(pattern) if Path(pattern).is_absolute() else root / pattern
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SAMPLE_SUFFIXES))
        if not found:
            raise InputError(f"{where} {one_line(pattern)}: the directory holds no CSV or Parquet file; put the "
                             "sample's partitions there or fix the path")
        return [(_shown(p, root), p) for p in found]
    if not path.is_file():
        raise InputError(f"{where} {one_line(pattern)}: no such file or directory; fix the path or fetch the "
                         "sample (dvc update / dvc pull)")
    return [(_shown(path, root), path)]


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def last_recorded(git: Any, ledger: Ledger | None) -> tuple[str, LedgerHit]:
    rev = default_branch_rev(git)
    if rev is None or ledger is None:
        raise InputError(f"{NOTHING_RECORDED}; there is no default branch here yet")
    hits = ledger.history(rev, 1)
    if not hits:
        raise InputError(f"{NOTHING_RECORDED}; no entry on {display_branch(rev)} in {ledger.ref}")
    return rev, hits[0]


def run_monitor(options: MonitorOptions, edges: Edges) -> Monitored:
    """The monitoring result, from open edges (``open_monitor_edges``)."""
    started = time.monotonic()
    config, progress, git = edges.config, edges.progress, edges.git
    source = display(edges.config_path)
    cfg = monitor_config(config, source, options.sample is not None)
    name = cfg.dataset or next(iter(config.data))
    dataset = config.data[name]
    rev, hit = last_recorded(git, edges.ledger)
    short = hit.sha[:7]
    progress.line(f"mlgate: monitoring against {short}, the last recorded run on {display_branch(rev)}")

    pattern = str(options.sample) if options.sample is not None else cfg.sample
    if pattern is None:
        raise InputError(f"{source}: monitor.sample is not set; set it to the production sample (a file, a glob or a "
                         "directory) or pass --sample PATH")
    files = sample_files(Path.cwd() if options.sample is not None else edges.project.root, pattern,
                         options.sample is not None)
    side = RevisionSide("recorded", hit.sha, edges.project,
                        Path(edges.scratch.enter_context(tempfile.TemporaryDirectory(prefix="mlgate-monitor-"))))
    exempt = tuple(c for c in (dataset.target, config.predictions.label if config.predictions else None) if c)
    categorical = (dataset.target,) if dataset.target else ()
    warnings: list[str] = []
    with progress.step(f"monitor: profiling {name} at {short} and the production sample"):
        training = _training_profile(name, dataset, side, categorical, warnings)
        as_sample = replace(dataset, path=pattern, format=None, target=None, header=None, columns=None)
        reader = DatasetReader(name, as_sample, "production sample", categorical)
        sample = reader.profile(files)
        warnings.extend(reader.notes)
    _check_sample(name, short, pattern, files, training, sample, exempt)
    identifiers = (config.predictions.id,) if config.predictions is not None and config.predictions.id else ()
    drifts = drifts_of(training, sample, identifiers)

    predictions = test_prediction = None
    recorded: dict[str, Any] = {}
    classification = True
    if config.predictions is not None:
        pcfg = config.predictions
        recorded = _recorded(hit.entry, pcfg.path)
        if pcfg.prediction in sample.columns:
            predictions = _sample_predictions(files, as_sample, pcfg.prediction,
                                              pcfg.label if pcfg.label in sample.columns else None,
                                              pcfg.score if pcfg.score and pcfg.score in sample.columns else None)
            test_prediction, classification = _test_predictions(config, side, short, warnings)
        else:
            warnings.append(f"the production sample has no prediction column {pcfg.prediction!r} "
                            "(predictions.prediction): prediction health and metrics are not checked")
    checked = checks(cfg, training, sample, drifts, exempt=exempt, predictions=predictions,
                     test_prediction=test_prediction, recorded=recorded, classification=classification)
    _check_judged(checked, pattern)
    warnings = [*edges.notes, *checked.warnings, *warnings]
    return _result(options, edges, cfg, checked, hit, rev, name, as_sample, training, sample, drifts, files,
                   warnings, started, source)


def _result(options: MonitorOptions, edges: Edges, cfg: MonitorConfig, checked: Checked, hit: LedgerHit, rev: str,
            name: str, as_sample: DatasetConfig, training: DatasetProfile, sample: DatasetProfile, drifts: Any,
            files: list[tuple[str, Path]], warnings: list[str], started: float, source: str) -> Monitored:
    word = checked.word
    branch = display_branch(rev)
    data_section = dataset_section(name, as_sample, sample, training, drifts, None)
    data_section["schema_changes"] = _unexpected(data_section["schema_changes"], edges.config,
                                                 edges.config.data[name].target)
    section = {**checked.section, "dataset": name, "commit": hit.sha, "branch": branch,
               "sample": as_sample.path, "files": len(files), "rows": sample.rows, "training_rows": training.rows}
    trend: dict[str, list[list[Any]]] = {}
    trend_context: dict[str, Any] = {}
    monitoring = _monitoring_ledger(edges, cfg, warnings)
    if monitoring is not None and options.trend_entries > 0:
        try:
            trend, trend_context = ledger_trend(monitoring, rev, options.trend_entries, checked.gates)
        except MlgateError as exc:
            warnings.append(f"no trend: the monitoring ledger could not be read ({exc})")
    result = assemble(
        outcomes=checked.gates, head_metrics={FILE: checked.head}, base_metrics={FILE: checked.base}, started=started,
        verdict="pass" if word == OK else "fail",
        head=Revision(ref="production sample"),
        base=Revision(ref=branch, sha=hit.sha),
        base_how="last recorded run",
        baseline=Baseline("ledger", f"the last entry on {branch}", sha=hit.sha, distance=hit.distance),
        params={},
        warnings=tuple(warnings),
        reproduced=False,
        report_id=cfg.report_id,
        project_dir=edges.project_rel.as_posix() or ".",
        config_path=source,
        links={"run_url": options.run_url} if options.run_url else {},
        context={"title": f"{edges.config.report.title} monitoring", "event": "monitor", "monitor_verdict": word,
                 "monitored": hit.sha, **trend_context},
        trend=trend,
        sections={"monitor": section, "data": {"datasets": [data_section], "bins": BINS_TEXT}},
    )
    return Monitored(result, word, hit.sha, tuple(checked.section.get("drifting_columns", [])),
                     {k: list(v) for k, v in checked.alarms.items()}, cfg, monitoring)


def _unexpected(changes: list[dict[str, Any]], config: Config, target: str | None) -> list[dict[str, Any]]:
    """The schema changes a production sample is not expected to show against the training data: a prediction
    log adds its own columns (id, prediction, score), and its labels arrive later (or never)."""
    pcfg = config.predictions
    added = {c for c in ((pcfg.id, pcfg.prediction, pcfg.score) if pcfg else ()) if c}
    removed = {c for c in (target, pcfg.label if pcfg else None) if c}
    return [c for c in changes if not ((c["change"] == "added" and c["column"] in added)
                                       or (c["change"] == "removed" and c["column"] in removed))]


def _monitoring_ledger(edges: Edges, cfg: MonitorConfig, warnings: list[str]) -> Ledger | None:
    from mlgate.edges.ledger import open_ledger

    try:
        ledger, notes = open_ledger(edges.git, cfg.report_id, progress=edges.progress)
    except MlgateError as exc:
        warnings.append(f"the monitoring ledger could not be opened: {exc}")
        return None
    warnings.extend(notes)
    return ledger




def open_monitor_edges(options: MonitorOptions, progress: Progress, git_env: Mapping[str, str] | None = None) -> Any:
    """Git, the DVC project, the config and the default branch's ledger (fetched), as for a run."""
    run_options = RunOptions(project_dir=options.project_dir, config_path=options.config_path, report_id="default",
                             trend_entries=0)
    return open_edges(run_options, progress, git_env=git_env, ledger=True)


def _check_sample(name: str, short: str, pattern: str, files: list[tuple[str, Path]], training: DatasetProfile,
                  sample: DatasetProfile, exempt: tuple[str, ...]) -> None:
    """A sample without rows, or without a column of the training data, can be checked for nothing: bad
    input (exit 2) naming what is missing, never "ok"."""
    where = f"the production sample {excerpt(pattern, 100)}"
    if len(files) > 1:
        where += f" ({len(files)} files)"
    if sample.rows == 0:
        raise InputError(f"{where} holds no rows, so nothing can be checked; monitor a sample with rows in it")
    if training.rows == 0:
        raise InputError(f"data.{name}.path holds no rows at {short} (the recorded commit), so the sample cannot be "
                         "compared with it; record a run whose training data has rows")
    if not any(c in training.columns and c not in exempt for c in sample.columns):
        raise InputError(
            f"{where} shares no column with data.{name} at {short} (sample: {sample.names_text()}; training: "
            f"{training.names_text()}), so nothing can be compared; give the sample the training data's columns "
            "(check its delimiter and header)")


def _check_judged(checked: Checked, pattern: str) -> None:
    """Every check skipped (nothing compared, too few rows to judge): a verdict would claim what was not
    checked, so it is bad input naming why."""
    if any(g.status != SKIPPED for g in checked.gates):
        return
    why = "; ".join(dict.fromkeys(f"{g.key}: {g.message}" for g in checked.gates[:3])) or "no check applies"
    raise InputError(f"the production sample {excerpt(pattern, 100)} could not be checked: no check was judged "
                     f"({excerpt(why, 300)}); monitor a larger sample, or one with the training data's columns")


# -- reading -------------------------------------------------------------------------------------------

def _training_profile(name: str, dataset: DatasetConfig, side: Side, categorical: tuple[str, ...],
                      warnings: list[str]) -> DatasetProfile:
    short = (side.sha or "")[:7]
    try:
        rels = side.glob(dataset.path) if is_glob(dataset.path) else [dataset.path]
        files = [(rel, path) for rel in rels if (path := side.path(rel)) is not None]
    except MlgateError as exc:
        raise InputError(f"data.{name}.path: {dataset.path} at {short} cannot be read through DVC: {exc}") from None
    if not files:
        raise InputError(f"data.{name}.path: {dataset.path} is neither committed nor in the DVC cache or remote at "
                         f"{short} (the recorded commit); push the DVC cache where it was trained (dvc push)")
    reader = DatasetReader(name, dataset, f"recorded commit {short}", categorical)
    profile = reader.profile(files)
    warnings.extend(reader.notes)
    return profile


def _recorded(entry: dict[str, Any], path: str) -> dict[str, Any]:
    metrics = entry.get("metrics")
    values = metrics.get(path) if isinstance(metrics, dict) else None
    return dict(values) if isinstance(values, dict) else {}


def _sample_predictions(files: list[tuple[str, Path]], dataset: DatasetConfig, prediction: str, label: str | None,
                        score: str | None) -> SamplePredictions:
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    wanted = [c for c in (prediction, label, score) if c]
    tables = []
    for rel, path in files:
        try:
            if file_format(rel, dataset) == "parquet":
                tables.append(pq.read_table(path, columns=wanted))
            else:
                delimiter = dataset.delimiter or ("\t" if ".tsv" in path.name.lower() else ",")
                tables.append(pa_csv.read_csv(
                    pa.input_stream(str(path), compression="detect"),
                    read_options=pa_csv.ReadOptions(encoding=dataset.encoding),
                    parse_options=pa_csv.ParseOptions(delimiter=delimiter),
                    convert_options=pa_csv.ConvertOptions(include_columns=wanted)))
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InputError(f"production sample {rel}: the prediction columns cannot be read "
                             f"({one_line(str(exc))[:200]}); fix the file") from None
    frame = pa.concat_tables(tables, promote_options="permissive").to_pandas()

    def column(name: str | None) -> np.ndarray | None:
        if name is None:
            return None
        values = frame[name]
        return values.to_numpy() if values.dtype.kind in "biuf" else values.astype(object).where(values.notna(), None).to_numpy()

    scores = column(score)
    return SamplePredictions(prediction=column(prediction), labels=column(label),  # type: ignore[arg-type]
                             score=None if scores is None else np.asarray(scores, dtype=np.float64))


def _test_predictions(config: Config, side: Side, short: str, warnings: list[str]) -> tuple[np.ndarray | None, bool]:
    from mlgate.families.predictions.family import is_regression
    from mlgate.stats import PredictionSpec, load_predictions

    cfg = config.predictions
    assert cfg is not None
    try:
        where = side.path(cfg.path)
        if where is None:
            warnings.append(f"{cfg.path} is not readable at {short}: the predicted labels are not compared with "
                            "the test predictions")
            return None, True
        spec = PredictionSpec(cfg.path, id=cfg.id, label=cfg.label, prediction=cfg.prediction, score=cfg.score)
        test = load_predictions(spec, where, name=f"{cfg.path} (recorded {short})")
    except MlgateError as exc:
        warnings.append(f"the test predictions at {short} are unusable: {exc}")
        return None, True
    return test.prediction, not is_regression(test)
