"""The metrics ledger and the DVC remote around a run: fetch the ledger before it; afterwards record the
head's entry, push the ledger and the DVC cache, and attach the trend on the default branch.

The commands call these in order (``open_ledger`` → ``runner.execute(ledger=...)`` → ``after_run``);
each step that touches a remote degrades to a warning, so the verdict never depends on the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mlgate.dvc_project import DvcProject, redact_urls
from mlgate.errors import MlgateError
from mlgate.git import Git
from mlgate.ledger import DEFAULT_REF, Ledger
from mlgate.progress import Progress
from mlgate.result import Result
from mlgate.runner import Prepared, RunOptions, execute
from mlgate.trend import gate_trends

DEFAULT_TREND_ENTRIES = 20


def ledger_ref(report_id: str = "default") -> str:
    """One notes ref per report id: several projects of one repository never overwrite each other."""
    if report_id == "default":
        return DEFAULT_REF
    return f"{DEFAULT_REF}-{re.sub(r'[^A-Za-z0-9_.-]', '_', report_id).strip('.')[:100] or '_'}"


def open_ledger(git: Git, report_id: str = "default", *, progress: Progress | None = None,
                git_env: Mapping[str, str] | None = None) -> tuple[Ledger, list[str]]:
    """The local ledger, first merged with origin's when there is an origin (quietly: none is fine).

    Returns the ledger and warnings (origin unreachable: the run goes on with what is local). ``git_env``
    is the environment for git (in Actions: the token's credentials, see mlgate.github.git_auth).
    """
    ledger = Ledger(git.root, ledger_ref(report_id), env=git_env)
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


def run_with_ledger(
    prepared: Prepared,
    options: RunOptions,
    progress: Progress,
    *,
    record: bool,
    push_cache: bool | None,
    trend_entries: int = DEFAULT_TREND_ENTRIES,
    default_branch: str | None = None,
    git_env: Mapping[str, str] | None = None,
) -> tuple[Result, AfterRun]:
    """Fetch the ledger, run (the baseline tries the ledger first), then ``after_run``.

    Without ``baseline.ledger`` and without ``record`` no ledger is opened at all (and no trend).
    """
    use = prepared.config.baseline.ledger or record
    ledger, notes = (open_ledger(prepared.git, options.report_id, progress=progress, git_env=git_env)
                     if use else (None, []))
    result = execute(prepared, options, progress, ledger=ledger)
    result.warnings.extend(notes)
    done = after_run(
        result, ledger=ledger, project=prepared.project, progress=progress, record=record, push_ledger=True,
        push_cache=push_cache, trend_rev=default_branch_rev(prepared.git, default_branch),
        trend_entries=trend_entries,
    )
    done.warnings[:0] = notes
    return result, done


@dataclass
class AfterRun:
    """What ``after_run`` did; ``warnings`` were also added to the Result."""

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
    trend_rev: str | None,
    trend_entries: int = DEFAULT_TREND_ENTRIES,
) -> AfterRun:
    """Record the head (when asked and the work tree is clean), push, then attach the trend.

    ``push_cache``: True pushes the DVC cache and run-cache, False never, None when recording and a
    DVC remote exists. ``trend_rev`` is the default branch's revision (None: no trend).
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
    if ledger is not None and trend_rev and trend_entries > 0:
        attach_trend(result, ledger, trend_rev, trend_entries, done)
    result.warnings.extend(done.warnings)
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
    if result.verdict == "error" or not result.reproduced:
        why = "the run could not complete" if result.verdict == "error" else "the pipeline was not reproduced (--no-repro)"
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


def attach_trend(result: Result, ledger: Ledger, rev: str, n: int, done: AfterRun | None = None) -> None:
    """``result.trend``: each gate's metric over the last ``n`` entries on ``rev``'s first-parent line."""
    try:
        hits = ledger.history(rev, n)
    except MlgateError as exc:
        if done is not None:
            done.warnings.append(f"no trend: the ledger history of {rev} could not be read ({exc})")
        return
    result.trend = gate_trends(result.gates, hits)
    if result.trend:
        result.context["trend_ref"] = display_branch(rev)
        result.context["trend_entries"] = len(hits)


def display_branch(rev: str) -> str:
    """``origin/main`` → ``main``."""
    for prefix in ("refs/remotes/origin/", "origin/", "refs/heads/"):
        if rev.startswith(prefix):
            return rev[len(prefix):]
    return rev


def default_branch_rev(git: Git, default_branch: str | None = None) -> str | None:
    """The revision whose history the trend follows: origin's default branch when present, else local."""
    if default_branch:
        for rev in (f"origin/{default_branch}", default_branch):
            if git.resolve(rev):
                return rev
        return None
    return git.default_branch()
