"""The commit status branch protection can require: context ``mlgate`` (or ``mlgate/<report-id>``),
state from the verdict, a description like "3/4 KPI gates passed", a link to the workflow run.

Post it on the pull request's *head* SHA (not the test merge commit in ``GITHUB_SHA``), or GitHub
will not show it on the PR. A read-only token answers 403: ``PublishDenied`` from the client.
"""

from __future__ import annotations

from typing import Any, Literal

from mlgate.config.report_id import check_report_id
from mlgate.errors import InputError
from mlgate.publish.github.client import GitHubClient
from mlgate.publish.github.comments import DEFAULT_REPORT_ID

State = Literal["error", "failure", "pending", "success"]
STATES: frozenset[str] = frozenset({"error", "failure", "pending", "success"})
MAX_DESCRIPTION = 140
BASE_CONTEXT = "mlgate"


def status_context(report_id: str | None = None) -> str:
    """``mlgate`` for the default report, ``mlgate/<report-id>`` for the others."""
    if not report_id or report_id == DEFAULT_REPORT_ID:
        return BASE_CONTEXT
    return f"{BASE_CONTEXT}/{check_report_id(report_id)}"


def fit_description(description: str) -> str:
    """One line of at most 140 characters (GitHub's limit), cut with an ellipsis."""
    line = " ".join(description.split())
    return line if len(line) <= MAX_DESCRIPTION else line[: MAX_DESCRIPTION - 1] + "…"


def post_status(
    client: GitHubClient,
    sha: str,
    state: State,
    description: str,
    context: str = BASE_CONTEXT,
    target_url: str | None = None,
) -> dict[str, Any]:
    """``POST /repos/{repo}/statuses/{sha}``; returns GitHub's status object."""
    if state not in STATES:
        raise InputError(f"commit status state {state!r} is not one of {sorted(STATES)}")
    payload: dict[str, Any] = {"state": state, "description": fit_description(description), "context": context}
    if target_url:
        payload["target_url"] = target_url
    return client.post(client.repo_path(f"/statuses/{sha}"), json=payload) or {}
