"""The sticky pull-request comment: one comment per pull request and report id, updated in place.

Algorithm (``upsert_comment``):

1. The body's first line is the hidden marker ``<!-- mlgate:report id=<id> head=<sha> -->`` (a
   marker the caller already put there is replaced, so the body can come straight from the renderer).
2. Our login: ``GET /user``; the workflow token answers 403 there, and its comments are authored by
   ``github-actions[bot]`` (``fallback_login``; a GitHub App token would pass ``<app-slug>[bot]``).
3. Page through *all* the issue's comments; ours are those whose first line is a marker with our
   report id AND whose author is our login. Another user quoting the marker is never touched.
4. None → create (POST, sent once: when its answer is lost or a 5xx, the comments are listed again
   and a comment that request created is adopted, before a back-off and another POST; so a lost
   response never leaves two sticky comments). Otherwise keep the oldest match:
   - the same body → ``unchanged``, no call;
   - its marker names another head commit → ``GET /repos/{repo}/pulls/{n}``; if the PR's head has
     moved past our commit and the existing comment already reports that head → ``skipped-stale``
     (a late run for an old commit never overwrites the newer report);
   - else update it in place (PATCH).
   Extra matches (two runs that raced to create) are deleted, best effort: one report, not two.
5. A 422 "body is too long" is retried once with ``shorten(body, max_chars)``, or, without a
   callback, a cut at a line boundary with a note pointing at the job summary.

Permissions: a read-only token (fork pull request) makes POST/PATCH answer 403; that surfaces as
``mlgate.publish.github.client.PublishDenied``, which the caller catches to keep the verdict and still
write the job summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mlgate.publish.github.client import (
    RETRY_STATUSES,
    GitHubClient,
    GitHubConnectionError,
    GitHubError,
    GitHubHTTPError,
    GitHubTimeout,
    PublishDenied,
)
from mlgate.report.marker import COMMENT_LIMIT, marker, parse_marker

log = logging.getLogger("mlgate.publish.github")

WORKFLOW_BOT_LOGIN = "github-actions[bot]"
DEFAULT_REPORT_ID = "default"
TRUNCATION_NOTE = (
    "\n\n> **Report truncated** to fit GitHub's {limit:,}-character comment limit;"
    " the full report is in the job summary and the workflow's report file.\n"
)


Action = Literal["created", "updated", "unchanged", "skipped-stale"]
Shorten = Callable[[str, int], str]


@dataclass(frozen=True)
class CommentResult:
    action: Action
    url: str | None
    id: int | None
    deleted: tuple[int, ...] = ()  # duplicate comments removed


def with_marker(body: str, report_id: str, head_sha: str) -> str:
    """``body`` with our marker as its first line (replacing a marker already there)."""
    if parse_marker(body) is not None:
        body = body.lstrip().split("\n", 1)[1] if "\n" in body.lstrip() else ""
    return f"{marker(report_id, head_sha)}\n{body}"


def truncate_body(body: str, limit: int = COMMENT_LIMIT) -> str:
    """Cut ``body`` to at most ``limit`` characters at a line boundary, keeping the marker line and
    ending with a note that says where the full report is."""
    if len(body) <= limit:
        return body
    note = TRUNCATION_NOTE.format(limit=limit)
    room = max(limit - len(note), 0)
    cut = _cut_at_line(body, room)
    # An open <details> would swallow the note; close what the cut left open.
    closing = "\n</details>" * max(cut.count("<details") - cut.count("</details>"), 0)
    if len(cut) + len(closing) > room:
        cut = _cut_at_line(body, max(room - len(closing), 0))
    return (cut + closing + note)[:limit]


def _cut_at_line(text: str, size: int) -> str:
    cut = text[:size]
    newline = cut.rfind("\n")
    return cut[:newline] if newline > 0 else cut


def find_login(client: GitHubClient, fallback_login: str = WORKFLOW_BOT_LOGIN) -> str:
    """The token's own login (``GET /user``); ``fallback_login`` when the endpoint answers 403,
    which is what the workflow token and GitHub App tokens do."""
    try:
        user = client.get("/user")
    except PublishDenied as exc:
        if exc.status == 403:
            return fallback_login
        raise
    login = user.get("login") if isinstance(user, Mapping) else None
    return login if isinstance(login, str) and login else fallback_login


def find_report_comments(client: GitHubClient, pr_number: int, report_id: str, login: str) -> list[dict[str, Any]]:
    """Every comment on the PR with our marker id and author ``login``, oldest first."""
    found = []
    for comment in client.paginate(client.repo_path(f"/issues/{pr_number}/comments")):
        parsed = parse_marker(comment.get("body"))
        author = (comment.get("user") or {}).get("login")
        if parsed and parsed[0] == report_id and author == login:
            found.append(comment)
    return found


def pull_head_sha(client: GitHubClient, pr_number: int) -> str:
    """The pull request's current head commit (``GET /repos/{repo}/pulls/{n}``), "" if absent.

    The publish half of the fork setup should also check with it that the PR number it read from
    the (untrusted) artifact really has ``workflow_run.head_sha`` as its head before publishing."""
    pr = client.get(client.repo_path(f"/pulls/{pr_number}"))
    head = pr.get("head") if isinstance(pr, Mapping) else None
    sha = head.get("sha") if isinstance(head, Mapping) else None
    return sha if isinstance(sha, str) else ""


def upsert_comment(
    client: GitHubClient,
    pr_number: int,
    body: str,
    *,
    head_sha: str,
    report_id: str = DEFAULT_REPORT_ID,
    fallback_login: str = WORKFLOW_BOT_LOGIN,
    login: str | None = None,
    shorten: Shorten | None = None,
    max_chars: int = COMMENT_LIMIT,
) -> CommentResult:
    """Create or update the sticky report comment (see the module docstring for the rules)."""
    full = with_marker(body, report_id, head_sha)
    me = login or find_login(client, fallback_login)
    matches = find_report_comments(client, pr_number, report_id, me)

    if not matches:
        created = _create(client, pr_number, full, report_id, me, shorten, max_chars)
        return CommentResult("created", created.get("html_url"), created.get("id"))

    keep, extras = matches[0], matches[1:]
    deleted = _delete_extras(client, extras)
    existing_body = keep.get("body") or ""
    if _normalise(existing_body) == _normalise(full):
        return CommentResult("unchanged", keep.get("html_url"), keep.get("id"), deleted)

    existing_head = (parse_marker(existing_body) or ("", ""))[1]
    if existing_head and existing_head.lower() != head_sha.lower():
        pr_head = pull_head_sha(client, pr_number).lower()
        if pr_head and pr_head != head_sha.lower() and existing_head.lower() == pr_head:
            log.info("comment %s already reports the PR head %s; not overwriting it with %s",
                     keep.get("id"), pr_head[:7], head_sha[:7])
            return CommentResult("skipped-stale", keep.get("html_url"), keep.get("id"), deleted)

    updated = _send(client, "PATCH", client.repo_path(f"/issues/comments/{keep['id']}"), full, shorten, max_chars)
    return CommentResult("updated", updated.get("html_url", keep.get("html_url")), updated.get("id", keep.get("id")),
                         deleted)


def _create(client: GitHubClient, pr_number: int, body: str, report_id: str, login: str,
            shorten: Shorten | None, max_chars: int) -> dict[str, Any]:
    """POST the comment without blind retries: after a lost answer (or a 5xx, which may have created it
    too), adopt the comment if the list now shows it; else back off and POST again."""
    path = client.repo_path(f"/issues/{pr_number}/comments")
    for attempt in range(client.max_retries + 1):
        try:
            return _send(client, "POST", path, body, shorten, max_chars, once=True)
        except (GitHubConnectionError, GitHubHTTPError) as exc:
            retriable = isinstance(exc, GitHubConnectionError) or exc.status in RETRY_STATUSES
            if not retriable or isinstance(exc, GitHubTimeout) or attempt == client.max_retries:
                raise
            log.info("the comment POST got no usable answer (%s); checking whether it was created", exc)
        found = find_report_comments(client, pr_number, report_id, login)
        if found:
            return found[0]
        client.pause(attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _send(client: GitHubClient, method: str, path: str, body: str, shorten: Shorten | None,
          max_chars: int, *, once: bool = False) -> dict[str, Any]:
    try:
        return client.request(method, path, json={"body": body}, once=once)[0] or {}
    except GitHubHTTPError as exc:
        if exc.status != 422 or "too long" not in exc.detail:
            raise
    shorter = shorten(body, max_chars) if shorten else truncate_body(body, max_chars)
    first_line = body.split("\n", 1)[0]
    if parse_marker(shorter) is None:  # a callback that dropped the marker would orphan the comment
        shorter = f"{first_line}\n{shorter}"
    if len(shorter) >= len(body):
        shorter = truncate_body(shorter, min(max_chars, len(body) - 1))
    log.warning("comment body too long for GitHub (%d characters); retrying with %d", len(body), len(shorter))
    return client.request(method, path, json={"body": shorter}, once=once)[0] or {}


def _delete_extras(client: GitHubClient, extras: list[dict[str, Any]]) -> tuple[int, ...]:
    deleted = []
    for comment in extras:
        try:
            client.delete(client.repo_path(f"/issues/comments/{comment['id']}"))
            deleted.append(comment["id"])
        except GitHubError as exc:  # best effort: a leftover duplicate is untidy, not an error
            log.warning("could not delete duplicate report comment %s: %s", comment.get("id"), exc)
    return tuple(deleted)


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").strip()
