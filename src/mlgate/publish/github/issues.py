"""The sticky monitoring issue and the ``repository_dispatch`` event of ``mlgate monitor``.

One open issue per report id: its body's first line is the report's hidden marker
(``<!-- mlgate:report id=<id> head=… -->``, mlgate.report.marker), and ours is the oldest open issue whose body
starts with our id's marker AND whose author is our login (as for the sticky comment: another user
quoting the marker is never touched). An alarm opens it or updates its title and body in place; an ``ok``
only updates one that is open (it says production recovered) and never opens one.

``dispatch`` sends ``POST /repos/{repo}/dispatches`` with an event type (``mlgate-drift`` by default) and
a small client payload that a retraining workflow (``on: repository_dispatch``) reads.

Both raise ``mlgate.publish.github.client.PublishDenied`` on a read-only token (403); the caller makes it a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlgate.publish.github.client import GitHubClient
from mlgate.publish.github.comments import find_login, with_marker
from mlgate.report.marker import COMMENT_LIMIT, parse_marker


@dataclass(frozen=True)
class IssueResult:
    action: str  # created | updated | unchanged | none (an ok with no open issue)
    number: int | None = None
    url: str | None = None


def find_issue(client: GitHubClient, report_id: str, login: str) -> dict[str, Any] | None:
    """The oldest open issue (not a pull request) with our marker and author."""
    found = []
    for issue in client.paginate(client.repo_path("/issues"), {"state": "open"}):
        if "pull_request" in issue:
            continue
        parsed = parse_marker(issue.get("body"))
        author = (issue.get("user") or {}).get("login")
        if parsed and parsed[0] == report_id and author == login:
            found.append(issue)
    return min(found, key=lambda i: i.get("number", 0)) if found else None


def upsert_issue(client: GitHubClient, *, report_id: str, title: str, body: str, alarm: bool,
                 login: str | None = None) -> IssueResult:
    """Open or update the monitoring issue (see the module doc)."""
    full = with_marker(body, report_id, "")
    if len(full) > COMMENT_LIMIT:
        full = full[: COMMENT_LIMIT - 80].rsplit("\n", 1)[0] + "\n\n_…cut to fit; the full report is in the job summary._\n"
    me = login or find_login(client)
    issue = find_issue(client, report_id, me)
    if issue is None:
        if not alarm:
            return IssueResult("none")
        created = client.post(client.repo_path("/issues"), {"title": title, "body": full}) or {}
        return IssueResult("created", created.get("number"), created.get("html_url"))
    if (issue.get("body") or "").replace("\r\n", "\n").strip() == full.strip() and issue.get("title") == title:
        return IssueResult("unchanged", issue.get("number"), issue.get("html_url"))
    updated, _ = client.request("PATCH", client.repo_path(f"/issues/{issue['number']}"),
                                json={"title": title, "body": full})
    updated = updated or {}
    return IssueResult("updated", updated.get("number", issue.get("number")), updated.get("html_url", issue.get("html_url")))


def dispatch(client: GitHubClient, event_type: str, payload: Mapping[str, Any]) -> None:
    """``repository_dispatch``: GitHub answers 204; a workflow ``on: repository_dispatch: types: [event_type]`` runs."""
    client.request("POST", client.repo_path("/dispatches"),
                   json={"event_type": event_type, "client_payload": dict(payload)})
