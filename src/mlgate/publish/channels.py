"""Publishing: every channel gets the same Result and report, and each is attempted on its own.

``publish_all`` is the one entry: the artifact (``mode: run``), the sticky PR comment and the commit
status (the comment over the REST API or with ``cml comment update``; the status over the REST API
with either), the annotations, the job summary and the step
outputs. A channel that fails — a read-only token, a 5xx that survives the retries, a 422, a rate
limit that resets too late, an API that does not answer — becomes one warning annotation and a line
in the job summary; the others still run and the exit code stays the verdict's. Only a publisher
the user asked for that cannot run at all (``publisher: cml`` without the ``cml`` CLI) is an error
(exit 4), raised after every other channel has been attempted.

All calls to GitHub together get at most ``MLGATE_GITHUB_SECONDS`` (default 120 s): the comment
may use half of it, the status what is left, so an API that never answers cannot hold a runner.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mlgate.errors import InputError, MlgateError, PublishError
from mlgate.gating.gates import FAIL, WARN
from mlgate.result import Result
from mlgate.config import settings
from mlgate.text.safe import one_line

_STATE = {"pass": "success", "fail": "failure", "error": "error"}
GITHUB_SECONDS = 120.0
SECONDS_ENV = "MLGATE_GITHUB_SECONDS"
ARTIFACT_FILES = ("mlgate-report.md", "mlgate-result.json")


class PublisherMissing(PublishError):
    """A publisher the user asked for cannot run at all (exit 4)."""


@dataclass
class Published:
    comment_action: str | None = None  # created | updated | unchanged | skipped-stale | None
    comment_url: str | None = None
    status_posted: bool = False
    warnings: list[str] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)  # channel -> "done" | "skipped" | "failed"


@dataclass(frozen=True)
class GitHubTarget:
    """Where on GitHub the report goes, and how."""

    api_url: str
    token: str
    repository: str
    head_sha: str
    pr_number: int | None = None
    target_url: str | None = None
    comment: str = "always"  # always | on-failure | never
    status: bool = True


def github_seconds(environ: Mapping[str, str]) -> float:
    """The time all GitHub calls may take together: ``MLGATE_GITHUB_SECONDS``, default 120."""
    return settings.seconds(SECONDS_ENV, GITHUB_SECONDS, 3600, environ=environ)


def open_client(api_url: str, token: str, repository: str, seconds: float) -> Any:
    """A GitHub client whose calls, retries and waits all end within ``seconds`` from now."""
    from mlgate.publish.github import GitHubClient

    return GitHubClient(api_url, token, repository, timeout=min(10.0, seconds / 8), backoff=min(1.0, seconds / 60),
                        max_wait=min(60.0, seconds / 2), deadline=time.monotonic() + seconds)


def check_destinations(environ: Mapping[str, str], artifact_dir: Path | None = None) -> None:
    """Before any work: the summary and output files must be files, the artifact dir a directory."""
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        value = environ.get(name)
        if value and Path(value).is_dir():
            raise InputError(f"{name}={one_line(value)}: is a directory; it must name a file (GitHub Actions sets it:"
                             f" unset it or point it at a file)")
    if artifact_dir is not None and artifact_dir.exists() and not artifact_dir.is_dir():
        raise InputError(f"--artifact-dir {one_line(artifact_dir)}: is a file, not a directory; pass a directory"
                         " (it is created when missing)")


def publish_all(
    result: Result,
    report: str,
    *,
    environ: Mapping[str, str],
    report_path: Path,
    result_path: Path,
    publisher: str = "github",
    github: GitHubTarget | None = None,
    artifact_dir: Path | None = None,
    seconds: float = GITHUB_SECONDS,
    stream: TextIO | None = None,
    which: Callable[[str], str | None] = shutil.which,
) -> Published:
    """Attempt every channel; see the module docstring. Raises only ``PublisherMissing``."""
    from mlgate.edges import ci_context as workflow

    stream = stream or sys.stdout
    out = Published()
    missing: PublisherMissing | None = None

    def attempt(channel: str, action: Callable[[], Any]) -> None:
        try:
            action()
        except (MlgateError, OSError) as exc:
            out.channels[channel] = "failed"
            detail = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.strerror else str(exc)
            message = one_line(f"{_NOT_DONE[channel]}: {detail}")
            out.warnings.append(message)
            workflow.warning(message, title="mlgate report not published", stream=stream)
        else:
            out.channels.setdefault(channel, "done")

    if artifact_dir is not None:
        attempt("artifact", lambda: save_artifact(artifact_dir, report_path, result_path))
    if publisher == "cml":
        pr = github.pr_number if github else None
        token = github.token if github else None
        try:
            cml_comment(report_path, report_id=result.report_id, pr_number=pr, token=token, which=which)
            out.channels["comment"] = "done"
        except PublisherMissing as exc:
            missing = exc
        except PublishError as exc:
            attempt("comment", lambda error=exc: _raise(error))
    # The commit status goes over the REST API with either publisher: CML's CLI posts no status, and branch
    # protection needs one to require.
    if publisher in ("github", "cml") and github is not None and (publisher == "github" or github.status):
        if not github.token:
            what = "comment and status were" if publisher == "github" else "commit status was"
            message = f"no GITHUB_TOKEN: the {what} not posted (the job summary has the report)"
            out.warnings.append(message)
            workflow.warning(message, title="mlgate report not published", stream=stream)
        else:
            with open_client(github.api_url, github.token, github.repository, seconds) as client:
                overall = client.deadline
                if publisher == "github" and github.pr_number is not None and github.comment != "never":
                    client.deadline = time.monotonic() + client.remaining() / (2 if github.status else 1)
                    attempt("comment", lambda: _comment(result, report, client, github, out))
                    client.deadline = overall
                if github.status:
                    attempt("status", lambda: _status(result, client, github, out))
    attempt("annotations", lambda: gate_annotations(result, stream))
    if environ.get("GITHUB_STEP_SUMMARY"):
        attempt("summary",
                lambda: workflow.append_summary(environ["GITHUB_STEP_SUMMARY"], report + _summary_notes(out.warnings)))
    if environ.get("GITHUB_OUTPUT"):
        attempt("outputs", lambda: workflow.set_outputs(environ["GITHUB_OUTPUT"], {
            "verdict": result.verdict,
            "failed-gates": ",".join(g.name for g in result.failed_gates),
            "report-path": str(report_path.resolve()),
            "result-path": str(result_path.resolve()),
            "comment-url": out.comment_url or "",
        }))
    if missing is not None:
        raise missing
    return out


_NOT_DONE = {
    "artifact": "the artifact was not saved",
    "comment": "the pull-request comment was not posted",
    "status": "the commit status was not posted",
    "annotations": "the gate annotations were not written",
    "summary": "the job summary was not written",
    "outputs": "the step outputs were not set",
}


def _raise(exc: Exception) -> None:
    raise exc


def _comment(result: Result, report: str, client: Any, github: GitHubTarget, out: Published) -> None:
    from mlgate.publish.github import upsert_comment
    from mlgate.publish.github.comments import find_login, find_report_comments

    wanted = github.comment == "always" or result.verdict != "pass" or result.count(WARN) > 0
    if not wanted:  # on-failure: still refresh an existing report, so it never goes stale
        login = find_login(client)
        wanted = bool(find_report_comments(client, github.pr_number, result.report_id, login))
    if not wanted:
        out.channels["comment"] = "skipped"
        return
    done = upsert_comment(client, github.pr_number, report, head_sha=github.head_sha, report_id=result.report_id)
    out.comment_action, out.comment_url = done.action, done.url


def _status(result: Result, client: Any, github: GitHubTarget, out: Published) -> None:
    from mlgate.publish.github import post_status, status_context

    post_status(client, github.head_sha, _STATE.get(result.verdict, "error"), result.status_description(),
                status_context(None if result.report_id == "default" else result.report_id), github.target_url)
    out.status_posted = True


def _summary_notes(warnings: list[str]) -> str:
    """The channels that failed, as lines under the report in the job summary."""
    if not warnings:
        return ""
    from mlgate.text.markdown import text

    return "\n\n" + "\n".join(f"> ⚠️ {text(w)}" for w in warnings) + "\n"


def save_artifact(directory: Path, report_path: Path, result_path: Path) -> None:
    """Copy the report and the result into ``directory`` for the publish half of the fork setup."""
    directory.mkdir(parents=True, exist_ok=True)
    for path, name in ((report_path, ARTIFACT_FILES[0]), (result_path, ARTIFACT_FILES[1])):
        if path.resolve() != (directory / name).resolve():
            shutil.copyfile(path, directory / name)


def gate_annotations(result: Result, stream: TextIO | None = None) -> None:
    """One annotation per failed (error) or warn-only (warning) gate."""
    from mlgate.edges import ci_context as workflow

    for gate in result.gates:
        if gate.status in (FAIL, WARN):
            emit = workflow.error if gate.status == FAIL else workflow.warning
            emit(f"{gate.name}: {gate.message}", title=f"mlgate KPI gate {gate.status}ed", stream=stream)


def cml_comment(
    report_path: Path,
    *,
    report_id: str,
    pr_number: int | None,
    token: str | None,
    run: Callable[..., Any] = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
) -> list[str]:
    """Publish through ``cml comment update``; returns the command line it ran."""
    exe = which("cml")
    if exe is None:
        raise PublisherMissing("publisher 'cml' was asked for but the cml CLI is not on PATH; install it or use publisher: github")
    target = f"pr/{pr_number}" if pr_number is not None else "commit"
    argv = [exe, "comment", "update", f"--target={target}", f"--watermark-title=mlgate:{report_id}",
            "--no-publish", str(report_path)]
    env = dict(os.environ)
    if token:
        env["REPO_TOKEN"] = token
    env["ITERATIVE_DO_NOT_TRACK"] = "true"
    proc = run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout or "").strip().splitlines()
        raise PublishError(f"cml comment update failed: {detail[-1] if detail else f'exit {proc.returncode}'}")
    return argv
