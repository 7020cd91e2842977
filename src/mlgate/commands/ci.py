"""mlgate ci: what the Action runs. Reads the GitHub context, runs the gate, publishes the report.

Modes: ``full`` (run then publish), ``run`` (run, save result and report for a later publish; for
pull requests from forks, whose token cannot write), ``publish`` (read a saved result and publish it,
under ``workflow_run`` with a write token, never running pull-request code).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.commands.run import exit_code, options_from_args, record, remove_stale, write_outputs
from mlgate.edges.git import Git
from mlgate.edges.progress import Progress
from mlgate.errors import EXIT_OK, InputError, MlgateError
from mlgate.publish.channels import (
    GitHubTarget,
    Published,
    check_destinations,
    github_seconds,
    open_client,
    publish_all,
)
from mlgate.report.render import publishable
from mlgate.report.terminal import verdict_table
from mlgate.result import Result
from mlgate.run.base_commit import BaseRequest
from mlgate.run.gate import Edges, RunOptions, open_edges, run
from mlgate.text.safe import say

if TYPE_CHECKING:
    from mlgate.publish.github import GitHubContext


def ci_command(args: argparse.Namespace) -> int:
    from mlgate.edges import ci_context as workflow
    from mlgate.publish.github import GitHubContext

    environ = os.environ
    ctx = GitHubContext.from_env(environ)
    token = environ.get("GITHUB_TOKEN", "")
    if token:
        workflow.mask(token)
    report_path, json_path = Path(args.report), Path(args.json)
    check_destinations(environ, Path(args.artifact_dir) if args.mode == "run" else None)
    seconds = github_seconds(environ)

    if args.mode == "publish":
        result = publishable(Result.read(json_path))  # an artifact: untrusted
        report = _read_report(report_path)
        pr_number = _publish_target(ctx, result, token, args, seconds / 4)
        _publish(args, ctx, result, report, report_path, json_path, token, pr_number, seconds * 3 / 4)
        return EXIT_OK

    progress = Progress(github=True)
    remove_stale(report_path, json_path)
    try:
        result, report = _run(args, ctx, progress, report_path, json_path, token)
    except MlgateError as exc:
        _note_failure(ctx, token, args, str(exc), environ)
        raise
    _publish(args, ctx, result, report, report_path, json_path, token, ctx.pr_number, seconds)
    say(verdict_table(result))
    return exit_code(result)


def ci_options(args: argparse.Namespace, ctx: GitHubContext) -> RunOptions:
    """The run's options from the command line and the GitHub event: base, head, links, hypothesis."""
    if args.base:
        base = BaseRequest(ref=args.base)
    else:
        choice = ctx.comparison_base()
        base = BaseRequest(ref=choice.ref, rev=choice.rev, merge_base=choice.merge_base, fetch=True)
    event = {"event": ctx.event_name, "pr_number": ctx.pr_number, "repository": ctx.repository}
    hypothesis = pr_hypothesis(ctx.payload)
    if hypothesis:
        event["hypothesis"] = hypothesis
    return options_from_args(
        args, base=base, trend_branch=ctx.default_branch,
        head_ref=ctx.head_ref or (ctx.head_sha[:7] if ctx.head_sha else None), head_sha=ctx.head_sha,
        links={k: v for k, v in {"run_url": ctx.run_url}.items() if v}, event=event,
    )


def _run(args: argparse.Namespace, ctx: GitHubContext, progress: Progress, report_path: Path, json_path: Path,
         token: str) -> tuple[Result, str]:
    from mlgate.edges import ci_context as workflow
    from mlgate.publish.github.git_auth import token_env

    git_env = token_env(Git.discover(Path(args.project_dir)), server_url=ctx.server_url, token=token)
    options = ci_options(args, ctx)
    # A push to the default branch records its numbers, so pull requests compare without retraining.
    wants_record = args.record
    with open_edges(options, progress, git_env=git_env, ledger=True if args.record else None) as edges:
        if wants_record is None:
            wants_record = ctx.event_name == "push" and ctx.is_default_branch and edges.config.baseline.ledger
        result = run(options, edges)
        report = write_outputs(result, report_path, json_path, edges)
        done = record(result, edges, record=bool(wants_record), push_cache=args.push_cache)
        _save_plots(args, result, edges)
        if args.promote and ctx.event_name == "push" and ctx.is_default_branch:
            _promote(args, ctx, edges, result)
    for warning in done.warnings:  # a ledger or cache push that failed is a warning, never a failed run
        workflow.warning(warning, title="mlgate ledger and cache")
    return result, report


def _save_plots(args: argparse.Namespace, result: Result, edges: Edges) -> None:
    """The changed images and DVC's HTML page of all plots, in one folder the Action uploads as an artifact."""
    import shutil

    from mlgate.edges import ci_context as workflow

    section = result.sections.get("plots") or {}
    if not args.plots_dir or not section.get("plots") or not os.environ.get("GITHUB_OUTPUT"):
        return
    folder = Path(args.plots_dir)
    for rel in section.get("images_changed") or []:
        source = edges.project.root / rel
        if source.is_file() and edges.project.root.resolve() in source.resolve().parents:
            (folder / "images" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, folder / "images" / rel)
    edges.project.plots_html(result.base.sha if result.base else None, folder / "html")
    if folder.is_dir():
        name = "mlgate-plots-" + re.sub(r"[^A-Za-z0-9._-]", "-", result.report_id)
        workflow.set_outputs(os.environ["GITHUB_OUTPUT"], {"plots-dir": str(folder), "plots-artifact": name})


def _promote(args: argparse.Namespace, ctx: GitHubContext, edges: Edges, result: Result) -> None:
    """Tag the version that passed; a refusal is said, a push that fails is a warning, neither fails the run."""
    from mlgate.commands.promote import promote
    from mlgate.commands.promote import report as say
    from mlgate.edges import ci_context as workflow

    done = promote(edges.git, edges.project.root, result, artifact=args.artifact, stage=args.stage,
                   bump=args.bump, push=args.push_tags, fork=ctx.is_fork)
    say(done)
    for warning in done.warnings:
        workflow.warning(warning, title="mlgate promotion")


def pr_hypothesis(payload: Any) -> str | None:
    """The text after "Hypothesis:" on a line of the pull request's description, if the author wrote one."""
    pr = payload.get("pull_request") if isinstance(payload, dict) else None
    body = pr.get("body") if isinstance(pr, dict) else None
    if not isinstance(body, str):
        return None
    for line in body.splitlines():
        found = re.match(r"^\W*hypothesis\W*:\s*(.+)$", line.strip(), flags=re.IGNORECASE)
        if found:
            return found[1].strip().lstrip("*_ ").strip()[:500] or None
    return None


def _publish(args: argparse.Namespace, ctx: GitHubContext, result: Result, report: str, report_path: Path, json_path: Path,
             token: str, pr_number: int | None, seconds: float) -> Published:
    """Every channel, each on its own (mlgate.publish.channels); ``mode: run`` saves the artifact and posts nothing."""
    run_only = args.mode == "run"
    target = GitHubTarget(api_url=ctx.api_url, token=token, repository=ctx.repository, head_sha=ctx.head_sha,
                          pr_number=pr_number, target_url=ctx.run_url, comment=args.comment, status=args.status)
    published = publish_all(
        result, report, environ=os.environ, report_path=report_path, result_path=json_path,
        publisher="none" if run_only else args.publisher, github=target,
        artifact_dir=Path(args.artifact_dir) if run_only else None, seconds=seconds,
    )
    if published.comment_url:
        say(f"mlgate: pull-request comment {published.comment_action}: {published.comment_url}")
    return published


def _publish_target(ctx: GitHubContext, result: Result, token: str, args: argparse.Namespace,
                    seconds: float) -> int | None:
    """The pull request to publish to under workflow_run: the event's, else the artifact's once verified.

    A fork's artifact is untrusted: its PR number is used only if that PR's head is the commit the
    triggering run tested, so a crafted artifact cannot post to another pull request.
    """
    if ctx.pr_number is not None:
        return ctx.pr_number
    claimed = result.context.get("pr_number")
    if not isinstance(claimed, int) or args.publisher != "github" or not token:
        return None
    from mlgate.publish.github import GitHubError, pull_head_sha

    with open_client(ctx.api_url, token, ctx.repository, seconds) as client:
        try:
            head = pull_head_sha(client, claimed)
        except GitHubError:
            return None
    return claimed if head and head == ctx.head_sha else None


def _read_report(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the report to publish: {exc.strerror or exc}; download the run's artifact first") from None


def _note_failure(ctx: GitHubContext, token: str, args: argparse.Namespace, message: str, environ: Mapping[str, str]) -> None:
    """The run could not finish: say so in the job summary and, best effort, as an error status."""
    from mlgate.edges import ci_context as workflow
    from mlgate.publish.github import GitHubError, post_status, status_context
    from mlgate.text.markdown import code

    try:
        if environ.get("GITHUB_STEP_SUMMARY"):
            workflow.append_summary(environ["GITHUB_STEP_SUMMARY"], f"## ⚠️ mlgate could not complete\n\n{code(message)}\n")
        if environ.get("GITHUB_OUTPUT"):
            workflow.set_outputs(environ["GITHUB_OUTPUT"], {"verdict": "error"})
    except OSError as exc:  # the error itself is what the job must show
        workflow.warning(f"the job summary or outputs could not be written: {exc.strerror or exc}", title="mlgate")
    if args.mode == "full" and args.status and token and args.publisher in ("github", "cml") and ctx.head_sha:
        try:
            with open_client(ctx.api_url, token, ctx.repository, github_seconds(environ) / 4) as client:
                context = status_context(None if args.report_id == "default" else args.report_id)
                post_status(client, ctx.head_sha, "error", message, context, ctx.run_url)
        except GitHubError:
            pass
