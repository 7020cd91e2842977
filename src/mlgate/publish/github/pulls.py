"""The sticky pull request of ``mlgate propose``: one open pull request per head branch, its body updated in place.

``upsert_pull`` lists the open pull requests whose head is ``owner:branch`` (``GET /repos/{repo}/pulls?head=``);
with one, it updates its title and body (``PATCH /repos/{repo}/pulls/{n}``, no call when both are unchanged);
without, it opens one (``POST /repos/{repo}/pulls``). When the create answers 422 "already exists" (a retried
POST whose first answer was lost, or a race with another run), the list is read again and that pull request is
updated instead: never two pull requests for one branch.

Failures are the client's ``GitHubError`` (a ``PublishError``, exit code 4); a 403 means the token may not
open pull requests (``pull-requests: write``, and the repository setting that lets GitHub Actions create them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlgate.publish.github.client import GitHubClient, GitHubHTTPError
from mlgate.publish.github.comments import truncate_body

BODY_LIMIT = 65_536  # characters GitHub accepts in a pull request's body


@dataclass(frozen=True)
class PullResult:
    action: str  # created | updated | unchanged
    number: int | None
    url: str | None


def default_branch(client: GitHubClient) -> str:
    """The repository's default branch (``GET /repos/{repo}``)."""
    repo = client.get(client.repo_path()) or {}
    branch = repo.get("default_branch") if isinstance(repo, dict) else None
    return branch if isinstance(branch, str) and branch else "main"


def find_open_pull(client: GitHubClient, branch: str) -> dict[str, Any] | None:
    """The oldest open pull request whose head is ``branch`` in this repository."""
    owner = client.repository.split("/")[0]
    pulls = [p for p in client.paginate(client.repo_path("/pulls"), {"state": "open", "head": f"{owner}:{branch}"})
             if isinstance(p, dict) and (p.get("head") or {}).get("ref") == branch]
    return min(pulls, key=lambda p: p.get("number", 0)) if pulls else None


def upsert_pull(client: GitHubClient, *, branch: str, base: str, title: str, body: str) -> PullResult:
    """Open the pull request from ``branch`` into ``base``, or update the open one's title and body."""
    body = truncate_body(body, BODY_LIMIT)
    found = find_open_pull(client, branch)
    if found is None:
        try:
            created = client.post(client.repo_path("/pulls"),
                                  {"title": title, "head": branch, "base": base, "body": body}) or {}
            return PullResult("created", created.get("number"), created.get("html_url"))
        except GitHubHTTPError as exc:
            if exc.status != 422 or "already exists" not in exc.detail:
                raise
        found = find_open_pull(client, branch)
        if found is None:
            raise GitHubHTTPError(422, f"a pull request for {branch} already exists but is not listed as open",
                                  method="POST", path=client.repo_path("/pulls"))
    if (found.get("body") or "").replace("\r\n", "\n").strip() == body.strip() and found.get("title") == title:
        return PullResult("unchanged", found.get("number"), found.get("html_url"))
    updated, _ = client.request("PATCH", client.repo_path(f"/pulls/{found['number']}"),
                                json={"title": title, "body": body})
    updated = updated or {}
    return PullResult("updated", updated.get("number", found.get("number")),
                      updated.get("html_url", found.get("html_url")))
