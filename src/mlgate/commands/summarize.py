"""mlgate summarize: one summary over a matrix of models (see mlgate.report.summary), as one sticky comment.

Reads each model's result file (the downloaded artifacts of the matrix's jobs), writes the summary's Markdown
(``--report``) and, in GitHub Actions (``--github``, on by default there), on a pull request: finds each
model's own sticky comment by its marker (report id) among the pull request's comments, links it, and posts
or updates the summary as one more sticky comment with its own marker (``--summary-id``, default
``summary``). Also the job summary and the step outputs (verdict, failed-gates as ``report-id:kpi``,
report-path, comment-url). A comment the token may not post is a warning.

Exit codes: 0 every model passed · 1 a model failed a blocking gate or could not be run · 2 bad input (no
result files, a file that is not a result, two results with one report id).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlgate.config.report_id import valid_report_id
from mlgate.errors import EXIT_GATE_FAILED, EXIT_OK, InputError
from mlgate.report.summary import Model, collect, failed_gates, render, verdict
from mlgate.text.safe import one_line, say


def summarize_command(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    summary_id = args.summary_id
    if not valid_report_id(summary_id):
        raise InputError(f"--summary-id {one_line(summary_id)[:60]!r} is not valid; use letters, digits, '.', '_', "
                         "'-' or '/' (at most 100 characters)")
    models = collect([Path(p) for p in args.results], summary_id)
    github = args.github if args.github is not None else environ.get("GITHUB_ACTIONS") == "true"
    report_path = Path(args.report)
    overall = verdict(models)
    warnings: list[str] = []
    comment_url = ""
    if github:
        report, comment_url, warnings = publish_summary(models, environ, summary_id, args.comment, overall)
    else:
        report = render(models, {})
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(report, encoding="utf-8")
    if github:
        from mlgate.edges import ci_context as workflow

        warnings += workflow.summary_and_outputs(environ, report, {
            "verdict": overall, "failed-gates": ",".join(failed_gates(models)),
            "report-path": str(report_path.resolve()), "comment-url": comment_url})
    for warning in warnings:
        say(f"mlgate: warning: {warning}", file=sys.stderr)
    say(f"mlgate: {len(models)} models, verdict {overall} · summary {args.report}"
        + (f" · comment {comment_url}" if comment_url else ""))
    return EXIT_OK if overall == "pass" else EXIT_GATE_FAILED


def publish_summary(models: Sequence[Model], environ: Mapping[str, str], summary_id: str, comment: str,
                    overall: str) -> tuple[str, str, list[str]]:
    """The summary with each model's comment linked, posted as the sticky summary comment on the pull request:
    (the Markdown, the comment's URL or "", warnings)."""
    from mlgate.edges.ci_context import mask
    from mlgate.publish.channels import github_seconds, open_client
    from mlgate.publish.github import GitHubContext, GitHubError, upsert_comment
    from mlgate.publish.github.comments import find_login, find_report_comments

    context = GitHubContext.from_env(environ)
    runs = f"{context.server_url.rstrip('/')}/{context.repository}/actions/runs/"
    token = environ.get("GITHUB_TOKEN", "")
    if comment == "never" or context.pr_number is None:  # a push: the job summary only
        return render(models, {}, head_sha=context.head_sha, runs=runs), "", []
    if not token:
        return render(models, {}, head_sha=context.head_sha, runs=runs), "", ["no GITHUB_TOKEN: the summary comment was skipped"]
    mask(token)
    links: dict[str, str] = {}
    with open_client(context.api_url, token, context.repository, github_seconds(environ)) as client:
        try:
            login = find_login(client)
            for model in models:
                found = find_report_comments(client, context.pr_number, model.report_id, login)
                if found and found[0].get("html_url"):
                    links[model.report_id] = str(found[0]["html_url"])
            report = render(models, links, head_sha=context.head_sha, runs=runs)
            if comment == "on-failure" and overall == "pass" and not find_report_comments(
                    client, context.pr_number, summary_id, login):
                return report, "", []
            done = upsert_comment(client, context.pr_number, report, head_sha=context.head_sha, report_id=summary_id)
        except GitHubError as exc:
            return render(models, links, head_sha=context.head_sha, runs=runs), "", [
                f"the summary comment was not posted: {exc}"]
    say(f"mlgate: summary comment {done.action}: {done.url}")
    return report, done.url or "", []
