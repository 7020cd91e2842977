"""The steps after a run that touch the ledger and the DVC remote: record the head's entry, push the
ledger and the DVC cache. They only read the finished Result; each degrades to a warning, so the
verdict never depends on the network. (``open_ledger`` fetches the ledger before the run, for the
baseline and the trend.)

Only a complete run is recorded: never one whose verdict is ``error``, whose head metrics did not all
load, whose work tree was dirty, or whose pipeline was not reproduced. Recorded entries are what the
next pull request trusts as its baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlgate.edges.dvc.project import DvcProject
from mlgate.edges.ledger import Ledger
from mlgate.edges.progress import Progress
from mlgate.errors import MlgateError
from mlgate.result import Result
from mlgate.text.safe import redact_urls

if TYPE_CHECKING:  # the monitor's types only: importing it would load the data family's libraries
    from mlgate.run.gate import Edges
    from mlgate.run.monitor import Monitored


def ledger_entry(result: Result) -> dict[str, Any]:
    """The head's entry: its metrics and params nested per file (as Snapshot.from_dict reads them)."""
    return {
        "metrics": _head_values(result.metrics),
        "params": _head_values(result.params),
        "verdict": result.verdict,
        "created_at": result.created_at,
        "mlgate_version": result.mlgate_version,
        "ref": result.head.ref,
        "project_dir": result.project_dir,
        "report_id": result.report_id,
    }


def _head_values(diff: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path, keys in diff.items():
        values = {key: e["new"] for key, e in keys.items() if e.get("new") is not None}
        if values:
            out[path] = values
    return out


@dataclass
class AfterRun:
    """What ``after_run`` did, and what it could not do (warnings for the terminal and the summary)."""

    recorded: bool = False
    ledger_pushed: bool = False
    cache_pushed: int | None = None  # files pushed, None when not pushed
    warnings: list[str] = field(default_factory=list)


def after_run(
    result: Result,
    *,
    ledger: Ledger | None,
    project: DvcProject,
    progress: Progress,
    record: bool,
    push_ledger: bool,
    push_cache: bool | None,
) -> AfterRun:
    """Record the head (when asked and the run is complete), push the ledger, push the DVC cache.

    ``push_cache``: True pushes the DVC cache and run-cache, False never, None when recording and a
    DVC remote exists.
    """
    done = AfterRun()
    if record and ledger is not None:
        _record(result, ledger, progress, push_ledger, done)
    if _wants_cache_push(push_cache, record, result, project, done):
        with progress.step("pushing the DVC cache and run-cache to the remote"):
            try:
                done.cache_pushed = project.push()
            except MlgateError as exc:
                done.warnings.append(f"the DVC cache was not pushed: {exc}")
            else:
                progress.line(f"  {done.cache_pushed} file{'s' if done.cache_pushed != 1 else ''} pushed")
    return done


def _record(result: Result, ledger: Ledger, progress: Progress, push: bool, done: AfterRun) -> None:
    sha = result.head.sha
    if not sha:
        done.warnings.append("not recorded in the metrics ledger: there is no commit yet; commit and run again")
        return
    if result.head.dirty:
        done.warnings.append(
            f"not recorded in the metrics ledger: the work tree has uncommitted changes, so these numbers "
            f"are not commit {sha[:7]}'s; commit them (or stash them) and run again"
        )
        return
    incomplete = sorted(result.errors.get("head", {}))
    if result.verdict == "error" or incomplete or not result.reproduced:
        if result.verdict == "error":
            why = "the run could not complete"
        elif incomplete:
            why = f"the head's metrics are incomplete ({', '.join(incomplete)} did not load)"
        else:
            why = "the pipeline was not reproduced (--no-repro)"
        done.warnings.append(f"not recorded in the metrics ledger: {why}")
        return
    try:
        ledger.record(sha, ledger_entry(result))
    except MlgateError as exc:
        done.warnings.append(f"not recorded in the metrics ledger: {exc}")
        return
    done.recorded = True
    progress.line(f"mlgate: recorded {sha[:7]} in the metrics ledger ({ledger.ref})")
    if push and ledger.has_remote():
        try:
            ledger.push()
        except MlgateError as exc:
            done.warnings.append(
                f"the metrics ledger entry for {sha[:7]} was recorded locally but not pushed: {redact_urls(str(exc))}"
            )
        else:
            done.ledger_pushed = True
            progress.line(f"mlgate: pushed the metrics ledger to '{ledger.remote}'")


def _wants_cache_push(flag: bool | None, record: bool, result: Result, project: DvcProject, done: AfterRun) -> bool:
    if flag is False or not result.reproduced or result.verdict == "error":
        return False
    if flag is None and not record:
        return False
    if project.has_remote():
        return True
    if flag:
        done.warnings.append("--push-cache: the project has no default DVC remote; add one with 'dvc remote add -d NAME URL'")
    return False


def record_monitoring(done: Monitored, edges: Edges, *, push: bool = True) -> list[str]:
    """Record the result under the monitored commit in the monitoring ledger and push it; failures are warnings."""
    from mlgate.edges.ledger import ledger_ref
    from mlgate.publish.record import ledger_entry

    ledger = done.ledger
    if ledger is None:
        ledger = Ledger(edges.git.root, ledger_ref(done.config.report_id), env=edges.git.env)
    entry = {**ledger_entry(done.result), "verdict": done.word, "ref": done.result.base.ref if done.result.base else None}
    try:
        ledger.record(done.sha, entry)
    except MlgateError as exc:
        return [f"not recorded in the monitoring ledger: {exc}"]
    edges.progress.line(f"mlgate: recorded the monitoring of {done.sha[:7]} in {ledger.ref}")
    if push and ledger.has_remote():
        try:
            ledger.push()
        except MlgateError as exc:
            return [f"the monitoring entry was recorded locally but not pushed: {redact_urls(str(exc))}"]
    return []
