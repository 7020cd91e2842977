"""The GitHub edge: the REST client, the run's context, the sticky comment, the commit status, and
the workflow commands/outputs/summary.

Degradation on read-only tokens: publishing calls raise ``PublishDenied`` (a ``PublishError``, exit
code 4 if uncaught) on 401/403/404. A caller that publishes a report catches it, keeps the verdict and
exit code, and still writes the job summary, the report file and the outputs, e.g.::

    try:
        result = upsert_comment(client, ctx.pr_number, body, head_sha=ctx.head_sha, report_id=rid)
    except PublishDenied as exc:
        workflow.warning(f"report not posted: {exc}")  # fork PR: the summary still has it
"""

from __future__ import annotations

from mlgate.publish.github.client import (
    GitHubClient,
    GitHubConnectionError,
    GitHubError,
    GitHubHTTPError,
    PublishDenied,
    RateLimited,
)
from mlgate.publish.github.comments import (
    CommentResult,
    find_login,
    marker,
    parse_marker,
    pull_head_sha,
    truncate_body,
    upsert_comment,
)
from mlgate.publish.github.context import BaseChoice, GitHubContext
from mlgate.publish.github.statuses import post_status, status_context

__all__ = [
    "BaseChoice",
    "CommentResult",
    "GitHubClient",
    "GitHubConnectionError",
    "GitHubContext",
    "GitHubError",
    "GitHubHTTPError",
    "PublishDenied",
    "RateLimited",
    "find_login",
    "marker",
    "parse_marker",
    "post_status",
    "pull_head_sha",
    "status_context",
    "truncate_body",
    "upsert_comment",
]
