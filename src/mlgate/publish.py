"""Publishing adapters: each takes the same Result and report and delivers them to one channel.

- ``github_channels``: the sticky PR comment and the commit status, over the REST API;
- ``cml_comment``: ``cml comment update`` where the CML CLI exists (no image upload to third parties);
- ``actions_outputs``: job summary, step outputs and one annotation per failed or warn-only gate.

A read-only token (a fork's pull request) is not a crash: the comment and status are skipped with a
warning, and the summary, report file and outputs still carry the report; the verdict never changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from mlgate.errors import PublishError
from mlgate.gates import FAIL, WARN
from mlgate.result import Result

_STATE = {"pass": "success", "fail": "failure", "error": "error"}


@dataclass
class Published:
    comment_action: str | None = None  # created | updated | unchanged | skipped-stale | None
    comment_url: str | None = None
    status_posted: bool = False
    warnings: list[str] = field(default_factory=list)


def github_channels(
    result: Result,
    report: str,
    *,
    client: Any,
    pr_number: int | None,
    head_sha: str,
    comment: str = "always",
    status: bool = True,
    target_url: str | None = None,
) -> Published:
    """Upsert the sticky comment and post the commit status; denial degrades to a warning."""
    from mlgate.github import PublishDenied, post_status, status_context, upsert_comment
    from mlgate.github.comments import find_report_comments, find_login

    out = Published()
    if pr_number is not None and comment != "never":
        try:
            wanted = comment == "always" or result.verdict != "pass" or result.count(WARN) > 0
            if not wanted:  # on-failure: still refresh an existing report, so it never goes stale
                login = find_login(client)
                wanted = bool(find_report_comments(client, pr_number, result.report_id, login))
            if wanted:
                done = upsert_comment(client, pr_number, report, head_sha=head_sha, report_id=result.report_id)
                out.comment_action, out.comment_url = done.action, done.url
        except PublishDenied as exc:
            out.warnings.append(f"the pull-request comment was not posted: {exc}")
    if status:
        try:
            post_status(
                client, head_sha, _STATE.get(result.verdict, "error"), result.status_description(),
                status_context(None if result.report_id == "default" else result.report_id), target_url,
            )
            out.status_posted = True
        except PublishDenied as exc:
            out.warnings.append(f"the commit status was not posted: {exc}")
    return out


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
        raise PublishError("publisher 'cml' was asked for but the cml CLI is not on PATH; install it or use publisher: github")
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


def actions_outputs(
    result: Result,
    report: str,
    *,
    environ: Mapping[str, str],
    report_path: Path,
    result_path: Path,
    comment_url: str | None,
    stream: TextIO | None = None,
) -> None:
    """Annotations, job summary and step outputs, for a run inside GitHub Actions."""
    from mlgate.github import workflow

    stream = stream or sys.stdout
    for gate in result.gates:
        if gate.status in (FAIL, WARN):
            emit = workflow.error if gate.status == FAIL else workflow.warning
            emit(f"{gate.name}: {gate.message}", title=f"mlgate KPI gate {gate.status}ed", stream=stream)
    if environ.get("GITHUB_STEP_SUMMARY"):
        workflow.append_summary(environ["GITHUB_STEP_SUMMARY"], report)
    if environ.get("GITHUB_OUTPUT"):
        workflow.set_outputs(environ["GITHUB_OUTPUT"], {
            "verdict": result.verdict,
            "failed-gates": ",".join(g.name for g in result.failed_gates),
            "report-path": str(report_path.resolve()),
            "result-path": str(result_path.resolve()),
            "comment-url": comment_url or "",
        })
