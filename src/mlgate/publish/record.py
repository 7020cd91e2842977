"""The steps after a run that touch the ledger and the DVC remote: record the head's entry, push the
ledger and the DVC cache. They only read the finished Result; each degrades to a warning, so the
verdict never depends on the network. (``open_ledger`` fetches the ledger before the run, for the
baseline and the trend.)

Only a complete run is recorded: never one whose verdict is ``error``, whose head metrics did not all
load, whose work tree was dirty, or whose pipeline was not reproduced. Recorded entries are what the
next pull request trusts as its baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlgate.edges.dvc.project import DvcProject, redact_urls
from mlgate.errors import MlgateError
from mlgate.edges.git import Git
from mlgate.edges.ledger import DEFAULT_REF, Ledger
from mlgate.edges.progress import Progress
from mlgate.result import Result

def ledger_ref(report_id: str = "default") -> str:
    """One notes ref per report id: several projects of one repository never overwrite each other."""
    if report_id == "default":
        return DEFAULT_REF
    return f"{DEFAULT_REF}-{re.sub(r'[^A-Za-z0-9_.-]', '_', report_id).strip('.')[:100] or '_'}"


def open_ledger(git: Git, report_id: str = "default", *,
                progress: Progress | None = None) -> tuple[Ledger, list[str]]:
    """The local ledger, first merged with origin's when there is an origin (quietly: none is fine).

    Returns the ledger and warnings (origin unreachable: the run goes on with what is local). Git runs
    with ``git.env`` (in Actions: the token's credentials, see mlgate.publish.github.git_auth).
    """
    ledger = Ledger(git.root, ledger_ref(report_id), env=git.env)
    warnings: list[str] = []
    if ledger.has_remote():
        try:
            found = ledger.fetch()
        except MlgateError as exc:
            warnings.append(f"the metrics ledger was not fetched ({redact_urls(str(exc))}); "
                            "baselines come from git or DVC instead")
        else:
            if progress is not None:
                progress.line(f"mlgate: metrics ledger {ledger.ref} {'fetched' if found else 'not on origin yet'}")
    return ledger, warnings


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
