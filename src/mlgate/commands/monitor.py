"""mlgate monitor: a production sample against the default branch's last recorded run (see mlgate.run.monitor).

Writes the result and the report like ``mlgate run``, records the result in the monitoring ledger, and in
GitHub Actions (``--github``, on by default when ``GITHUB_ACTIONS=true``) opens or updates the sticky
monitoring issue, sends the ``repository_dispatch`` event on an alarm, and writes the job summary and the
step outputs. Anything GitHub refuses (a read-only token) is a warning: the exit code is the verdict's —
0 for ``ok``, 1 for ``drift`` or ``degraded``, 2 for bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from mlgate.commands.run import exit_code, write_outputs
from mlgate.edges.progress import Progress
from mlgate.publish.record import record_monitoring
from mlgate.report.terminal import verdict_table
from mlgate.run.monitor import Monitored, MonitorOptions, open_monitor_edges, run_monitor
from mlgate.text.safe import say


def monitor_command(args: argparse.Namespace) -> int:
    environ = os.environ
    github = args.github if args.github is not None else environ.get("GITHUB_ACTIONS") == "true"
    progress = Progress(quiet=args.quiet, github=github)
    token = environ.get("GITHUB_TOKEN", "")
    git_env = None
    if github:
        from mlgate.edges import ci_context as workflow
        from mlgate.edges.git import Git
        from mlgate.publish.github.git_auth import token_env

        if token:
            workflow.mask(token)
        server = environ.get("GITHUB_SERVER_URL") or "https://github.com"
        git_env = token_env(Git.discover(Path(args.project_dir)), server_url=server, token=token)
    options = MonitorOptions(project_dir=Path(args.project_dir), config_path=Path(args.config) if args.config else None,
                             sample=Path(args.sample) if args.sample else None, trend_entries=args.trend,
                             run_url=_run_url(environ) if github else None)
    with open_monitor_edges(options, progress, git_env) as edges:
        done = run_monitor(options, edges)
        report = write_outputs(done.result, Path(args.report), Path(args.json), edges)
        warnings = record_monitoring(done, edges, push=args.record) if args.record else []
    if github:
        warnings += publish_monitoring(done, report, environ, token, dispatch_type=args.dispatch_type,
                                       paths=(Path(args.report), Path(args.json)))
    say(verdict_table(done.result))
    for warning in warnings:
        say(f"mlgate: warning: {warning}", file=sys.stderr)
    say(f"mlgate: monitoring verdict: {done.word} · report {args.report} · result {args.json}")
    return exit_code(done.result)


def publish_monitoring(done: Monitored, report: str, environ: Mapping[str, str], token: str, *,
                       dispatch_type: str | None = None, paths: tuple[Path, Path] | None = None) -> list[str]:
    """The sticky issue, the dispatch on an alarm, the job summary and the outputs (``paths``: the report
    and the result file, for the outputs report-path and result-path); each failure a warning."""
    from mlgate.edges import ci_context as workflow
    from mlgate.publish.channels import github_seconds, open_client
    from mlgate.publish.github.issues import dispatch, upsert_issue

    warnings: list[str] = []
    result = done.result
    event_type = dispatch_type if dispatch_type is not None else done.config.dispatch
    alarm = done.word != "ok"
    issue_url = ""
    repository = environ.get("GITHUB_REPOSITORY", "")
    if not token or not repository:
        warnings.append("no GITHUB_TOKEN or GITHUB_REPOSITORY: the monitoring issue and the dispatch were skipped "
                        "(the job summary has the report)")
    else:
        api = environ.get("GITHUB_API_URL") or "https://api.github.com"
        with open_client(api, token, repository, github_seconds(environ)) as client:
            from mlgate.publish.github import GitHubError

            title = f"mlgate {result.report_id}: {done.word} on production data"
            try:
                issue = upsert_issue(client, report_id=result.report_id, title=title, body=report, alarm=alarm)
                issue_url = issue.url or ""
                if issue.url:
                    say(f"mlgate: monitoring issue {issue.action}: {issue.url}")
            except GitHubError as exc:
                warnings.append(f"the monitoring issue was not opened or updated: {exc}; the token needs "
                                "`issues: write`")
            if alarm and event_type:
                payload = {"verdict": done.word, "report_id": result.report_id, "commit": done.sha,
                           "drifting_columns": list(done.drifting)[:50],
                           "alarms": sorted({k for keys in done.alarms.values() for k in keys})[:50],
                           "run_url": result.links.get("run_url")}
                try:
                    dispatch(client, event_type, payload)
                    say(f"mlgate: sent repository_dispatch {event_type}")
                except GitHubError as exc:
                    warnings.append(f"the repository_dispatch event {event_type} was not sent: {exc}; the token "
                                    "needs `contents: write`")
    for warning in warnings:
        workflow.warning(warning, title="mlgate monitoring")
    files = {"report-path": str(paths[0].resolve()), "result-path": str(paths[1].resolve())} if paths else {}
    return warnings + workflow.summary_and_outputs(environ, report, {
        "verdict": result.verdict, "monitor-verdict": done.word, "issue-url": issue_url,
        "failed-gates": ",".join(g.name for g in result.failed_gates),
        "drifting-columns": ",".join(done.drifting), **files})


def _run_url(environ: Mapping[str, str]) -> str | None:
    run_id, repository = environ.get("GITHUB_RUN_ID"), environ.get("GITHUB_REPOSITORY")
    if not run_id or not repository:
        return None
    return f"{(environ.get('GITHUB_SERVER_URL') or 'https://github.com').rstrip('/')}/{repository}/actions/runs/{run_id}"
