"""Publishing: every channel gets the same Result and report, and each is attempted on its own.

``publish_all`` is the one entry; ``channels`` chooses the ``Channel`` list it attempts, in order: the
artifact (``mode: run``), the sticky PR comment and the commit status (the comment over the REST API or
with ``cml comment update``; the status over the REST API with either), the annotations, the job summary
and the step outputs. Another destination (a GitLab merge-request note) is one more ``Channel`` and one
line in ``channels`` (docs/architecture.md). A channel that fails — a read-only token, a 5xx that survives the retries, a 422, a rate
limit that resets too late, an API that does not answer — becomes one warning annotation and a line
in the job summary; the others still run and the exit code stays the verdict's. Only a publisher
the user asked for that cannot run at all (``publisher: cml`` without the ``cml`` CLI) is an error
(exit 4), raised after every other channel has been attempted.

All calls to GitHub together get at most ``MLGATE_GITHUB_SECONDS`` (default 120 s): the comment
may use half of it, the status what is left, so an API that never answers cannot hold a runner.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

from mlgate.config import settings
from mlgate.errors import InputError, MlgateError, PublishError
from mlgate.gating.gates import FAIL, WARN
from mlgate.result import Result
from mlgate.text.safe import one_line

State = Literal["error", "failure", "pending", "success"]
_STATE: dict[str, State] = {"pass": "success", "fail": "failure", "error": "error"}
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


@dataclass
class Publishing:
    """What every channel gets: the same Result and report, the files they were written to, the job's
    environment and log; ``attempt`` runs one channel's step, turning its failure into a warning."""

    result: Result
    report: str
    report_path: Path
    result_path: Path
    environ: Mapping[str, str]
    stream: TextIO
    out: Published = field(default_factory=Published)

    def attempt(self, channel: str, action: Callable[[], Any]) -> None:
        try:
            action()
        except (MlgateError, OSError) as exc:
            self.out.channels[channel] = "failed"
            detail = f"{exc.strerror}: {exc.filename}" if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.warn(one_line(f"{NOT_DONE[channel]}: {detail}"))
        else:
            self.out.channels.setdefault(channel, "done")

    def warn(self, message: str) -> None:
        from mlgate.edges import ci_context as workflow

        self.out.warnings.append(message)
        workflow.warning(message, title="mlgate report not published", stream=self.stream)


class Channel(Protocol):
    """One place the report goes. ``publish`` makes its attempts through ``p.attempt`` (so a failure is a
    warning and the next channel still runs); only ``PublisherMissing`` may escape it."""

    def publish(self, p: Publishing) -> None: ...


@dataclass(frozen=True)
class Artifact:
    """The report and the result copied into a folder, for the publish half of the fork set-up."""

    directory: Path

    def publish(self, p: Publishing) -> None:
        p.attempt("artifact", lambda: save_artifact(self.directory, p.report_path, p.result_path))


@dataclass(frozen=True)
class CmlComment:
    """The sticky comment through ``cml comment update`` (CML's CLI posts no commit status)."""

    github: GitHubTarget | None
    which: Callable[[str], str | None] = shutil.which

    def publish(self, p: Publishing) -> None:
        pr = self.github.pr_number if self.github else None
        token = self.github.token if self.github else None
        try:
            cml_comment(p.report_path, report_id=p.result.report_id, pr_number=pr, token=token, which=self.which)
            p.out.channels["comment"] = "done"
        except PublisherMissing:
            raise
        except PublishError as exc:
            p.attempt("comment", functools.partial(_raise, exc))


@dataclass(frozen=True)
class GitHubRest:
    """The sticky comment (unless CML posts it) and the commit status, over GitHub's REST API, sharing one
    client and one time budget: the comment may use half of it, the status what is left."""

    github: GitHubTarget
    seconds: float
    comment: bool = True  # False: the cml publisher posts the comment

    def publish(self, p: Publishing) -> None:
        github = self.github
        if not github.token:
            what = "comment and status were" if self.comment else "commit status was"
            p.warn(f"no GITHUB_TOKEN: the {what} not posted (the job summary has the report)")
            return
        with open_client(github.api_url, github.token, github.repository, self.seconds) as client:
            overall = client.deadline
            pr = github.pr_number
            if self.comment and pr is not None and github.comment != "never":
                client.deadline = time.monotonic() + client.remaining() / (2 if github.status else 1)
                p.attempt("comment", lambda: _comment(p.result, p.report, client, github, pr, p.out))
                client.deadline = overall
            if github.status:
                p.attempt("status", lambda: _status(p.result, client, github, p.out))


class Annotations:
    """One annotation per failed or warn-only gate in the job's log."""

    def publish(self, p: Publishing) -> None:
        p.attempt("annotations", lambda: gate_annotations(p.result, p.stream))


@dataclass(frozen=True)
class JobSummary:
    """The report (and the channels that failed before it) in the job summary file."""

    path: str

    def publish(self, p: Publishing) -> None:
        from mlgate.edges import ci_context as workflow

        p.attempt("summary", lambda: workflow.append_summary(self.path, p.report + _summary_notes(p.out.warnings)))


@dataclass(frozen=True)
class StepOutputs:
    """The step's outputs: verdict, failed gates, the files, the comment's address."""

    path: str

    def publish(self, p: Publishing) -> None:
        from mlgate.edges import ci_context as workflow

        p.attempt("outputs", lambda: workflow.set_outputs(self.path, {
            "verdict": p.result.verdict,
            "failed-gates": ",".join(g.name for g in p.result.failed_gates),
            "report-path": str(p.report_path.resolve()),
            "result-path": str(p.result_path.resolve()),
            "comment-url": p.out.comment_url or "",
        }))


def channels(*, environ: Mapping[str, str], publisher: str = "github", github: GitHubTarget | None = None,
             artifact_dir: Path | None = None, seconds: float = GITHUB_SECONDS,
             which: Callable[[str], str | None] = shutil.which) -> list[Channel]:
    """The channels of one publish, in the order they are attempted: the one place a publisher is chosen."""
    out: list[Channel] = []
    if artifact_dir is not None:
        out.append(Artifact(artifact_dir))
    if publisher == "cml":
        out.append(CmlComment(github, which))
    # The commit status goes over the REST API with either publisher: CML's CLI posts no status, and branch
    # protection needs one to require.
    if publisher in ("github", "cml") and github is not None and (publisher == "github" or github.status):
        out.append(GitHubRest(github, seconds, comment=publisher == "github"))
    out.append(Annotations())
    if environ.get("GITHUB_STEP_SUMMARY"):
        out.append(JobSummary(environ["GITHUB_STEP_SUMMARY"]))
    if environ.get("GITHUB_OUTPUT"):
        out.append(StepOutputs(environ["GITHUB_OUTPUT"]))
    return out


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
    p = Publishing(result, report, report_path, result_path, environ, stream or sys.stdout)
    missing: PublisherMissing | None = None
    for channel in channels(environ=environ, publisher=publisher, github=github, artifact_dir=artifact_dir,
                            seconds=seconds, which=which):
        try:
            channel.publish(p)
        except PublisherMissing as exc:  # raised once every other channel has been attempted
            missing = exc
    if missing is not None:
        raise missing
    return p.out


NOT_DONE = {
    "artifact": "the artifact was not saved",
    "comment": "the pull-request comment was not posted",
    "status": "the commit status was not posted",
    "annotations": "the gate annotations were not written",
    "summary": "the job summary was not written",
    "outputs": "the step outputs were not set",
}


def _raise(exc: Exception) -> None:
    raise exc


def _comment(result: Result, report: str, client: Any, github: GitHubTarget, pr: int, out: Published) -> None:
    from mlgate.publish.github import upsert_comment
    from mlgate.publish.github.comments import find_login, find_report_comments

    wanted = github.comment == "always" or result.verdict != "pass" or result.count(WARN) > 0
    if not wanted:  # on-failure: still refresh an existing report, so it never goes stale
        login = find_login(client)
        wanted = bool(find_report_comments(client, pr, result.report_id, login))
    if not wanted:
        out.channels["comment"] = "skipped"
        return
    done = upsert_comment(client, pr, report, head_sha=github.head_sha, report_id=result.report_id)
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
