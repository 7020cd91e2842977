"""A GitHub REST API test double: a real HTTP server on 127.0.0.1 with the state mlgate touches.

In a test::

    with start_double() as gh:
        gh.add_pull(7, head_sha="a" * 40, base_sha="b" * 40)
        client = GitHubClient(gh.url, "any-token", gh.repository)
        ...
        assert [c["body"] for c in gh.comments(7)] == [...]

As a process (the Action end-to-end test runs it next to ``act``)::

    python -m tests.support.github_double --port 0 --seed seed.json --state state.json

prints its URL as the first stdout line, serves until SIGTERM/SIGINT and rewrites ``--state`` (JSON,
the same document as ``GET /_double/state``) after every change.

What it serves (the subset of the REST API mlgate uses, with GitHub's shapes and status codes):
``GET /user`` · ``GET /repos/{o}/{r}`` · ``GET /repos/{o}/{r}/pulls[/{n}]`` (``state``, ``head=owner:branch``
filters) · ``POST /repos/{o}/{r}/pulls`` (422 without ``title``/``head``/``base``, or when an open pull request
has that head and base, like GitHub) · ``PATCH /repos/{o}/{r}/pulls/{n}`` (``title``, ``body``, ``state``, ``base``) ·
``GET|POST /repos/{o}/{r}/issues/{n}/comments`` (paginated: ``per_page`` ≤ 100, ``page``, ``Link``) ·
``GET|PATCH|DELETE /repos/{o}/{r}/issues/comments/{id}`` · ``POST /repos/{o}/{r}/statuses/{sha}`` ·
``GET /repos/{o}/{r}/commits/{ref}/statuses`` · ``GET|POST /repos/{o}/{r}/issues`` (``state`` filter,
paginated) · ``GET|PATCH /repos/{o}/{r}/issues/{n}`` · ``POST /repos/{o}/{r}/dispatches`` (204, kept in
``dispatches``; ``event_type`` required, ``client_payload`` at most 10 top-level keys, like GitHub).

Identity: requests need ``Authorization: Bearer|token <t>`` (else 401). The token maps to an identity
(``tokens`` by exact token, else the default ``identity``): ``login`` authors comments and statuses,
``user_endpoint: false`` makes ``GET /user`` answer 403 like the workflow token does, ``write: false``
makes every POST/PATCH/DELETE answer 403 like a fork's read-only token. The default identity is the
workflow token: ``github-actions[bot]``, no ``/user``, write allowed.

Faults (``add_fault`` or ``POST /_double/faults``) apply to the next ``times`` matching API calls
(``method``/``path`` regex filters): answer ``status`` with ``headers`` and a ``message``, and/or wait
``delay`` seconds first (capped at 5 s); ``lose_response`` does the work (a comment is created) and then
closes the connection without an answer, like a response lost on the way back. Comment bodies over ``max_comment_chars`` (65,536) get
GitHub's 422. Every API call is logged (method, path, query, JSON body, status, a few headers; the
token itself is never stored).

Control endpoints: ``GET /_double/state``, ``POST /_double/state`` (merge a seed), ``POST
/_double/faults``, ``DELETE /_double/faults``, ``GET /_double/requests``, ``POST /_double/reset``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import signal
import tempfile
import threading
import time
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_REPOSITORY = "octo-org/ml-project"
WORKFLOW_BOT = "github-actions[bot]"
MAX_COMMENT_CHARS = 65536
MAX_DELAY = 5.0
NOT_ACCESSIBLE = "Resource not accessible by integration"
DOCS = "https://docs.github.com/rest"

_REPO = r"/repos/(?P<repo>[^/]+/[^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"/user"), "get_user"),
    ("GET", re.compile(_REPO), "get_repo"),
    ("GET", re.compile(_REPO + r"/pulls"), "list_pulls"),
    ("POST", re.compile(_REPO + r"/pulls"), "create_pull"),
    ("GET", re.compile(_REPO + r"/pulls/(?P<number>\d+)"), "get_pull"),
    ("PATCH", re.compile(_REPO + r"/pulls/(?P<number>\d+)"), "update_pull"),
    ("GET", re.compile(_REPO + r"/issues/(?P<number>\d+)/comments"), "list_comments"),
    ("POST", re.compile(_REPO + r"/issues/(?P<number>\d+)/comments"), "create_comment"),
    ("GET", re.compile(_REPO + r"/issues/comments/(?P<id>\d+)"), "get_comment"),
    ("PATCH", re.compile(_REPO + r"/issues/comments/(?P<id>\d+)"), "update_comment"),
    ("DELETE", re.compile(_REPO + r"/issues/comments/(?P<id>\d+)"), "delete_comment"),
    ("POST", re.compile(_REPO + r"/statuses/(?P<sha>[0-9a-fA-F]{4,40})"), "create_status"),
    ("GET", re.compile(_REPO + r"/commits/(?P<ref>[^/]+)/statuses"), "list_statuses"),
    ("GET", re.compile(_REPO + r"/issues"), "list_issues"),
    ("POST", re.compile(_REPO + r"/issues"), "create_issue"),
    ("GET", re.compile(_REPO + r"/issues/(?P<number>\d+)"), "get_issue"),
    ("PATCH", re.compile(_REPO + r"/issues/(?P<number>\d+)"), "update_issue"),
    ("POST", re.compile(_REPO + r"/dispatches"), "create_dispatch"),
]
_STATUS_STATES = {"error", "failure", "pending", "success"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Reply(Exception):
    """Raised inside a handler to answer with ``status`` and a GitHub-style error body."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": DOCS, **(extra or {})}
        self.headers = dict(headers or {})


def empty_state() -> dict[str, Any]:
    return {
        "repos": {DEFAULT_REPOSITORY: {"default_branch": "main"}},
        "identity": {"login": WORKFLOW_BOT, "user_endpoint": False, "write": True},
        "tokens": {},
        "max_comment_chars": MAX_COMMENT_CHARS,
        "pulls": [],
        "comments": [],
        "statuses": [],
        "issues": [],
        "dispatches": [],
        "faults": [],
        "requests": [],
        "next_id": 1000,
    }


class GitHubDouble:
    """The server and its state. Use ``start_double()`` (or ``with start_double() as gh``)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, state_file: str | os.PathLike[str] | None = None,
                 seed: Mapping[str, Any] | None = None) -> None:
        self._lock = threading.RLock()
        self._state = empty_state()
        self._state_file = Path(state_file) if state_file else None
        double = self

        class Handler(_Handler):
            owner = double

        self._server = _Server((host, port), Handler)
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.repository = DEFAULT_REPOSITORY
        if seed:
            self.load(seed)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="github-double", daemon=True)
        self._thread.start()
        self._save()

    # -- lifecycle ------------------------------------------------------------------------------

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> GitHubDouble:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state, seen from a test ------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything the double holds, as JSON-ready data (a deep copy)."""
        with self._lock:
            return copy.deepcopy(self._state)

    def load(self, seed: Mapping[str, Any]) -> None:
        """Merge a seed: ``repos``, ``identity``, ``tokens``, ``max_comment_chars`` replace;
        ``pulls``, ``comments`` (``number``, ``body``, ``author``), ``issues`` (``title``, ``body``, ``author``),
        ``faults`` are added."""
        with self._lock:
            for key in ("identity", "max_comment_chars"):
                if key in seed:
                    self._state[key] = copy.deepcopy(seed[key])
            for key in ("repos", "tokens"):
                self._state[key].update(copy.deepcopy(seed.get(key, {})))
            for pr in seed.get("pulls", []):
                self.add_pull(**pr)
            for comment in seed.get("comments", []):
                self.add_comment(**comment)
            for issue in seed.get("issues", []):
                self.add_issue(**issue)
            for fault in seed.get("faults", []):
                self.add_fault(**fault)
            self._save()

    def reset(self) -> None:
        with self._lock:
            self._state = empty_state()
            self._save()

    def add_pull(self, number: int, *, head_sha: str, base_sha: str, head_ref: str = "feature",
                 base_ref: str = "main", head_repo: str | None = None, repo: str = DEFAULT_REPOSITORY,
                 state: str = "open", title: str = "A change", body: str = "",
                 author: str = "octocat") -> dict[str, Any]:
        with self._lock:
            self._state["repos"].setdefault(repo, {"default_branch": base_ref})
            pr = {
                "number": int(number),
                "state": state,
                "title": title,
                "body": body,
                "user": {"login": author, "type": "Bot" if author.endswith("[bot]") else "User"},
                "repository": repo,
                "html_url": f"{self.url}/{repo}/pull/{number}",
                "head": {"sha": head_sha, "ref": head_ref, "repo": {"full_name": head_repo or repo}},
                "base": {"sha": base_sha, "ref": base_ref, "repo": {"full_name": repo}},
            }
            self._state["pulls"] = [p for p in self._state["pulls"]
                                    if not (p["repository"] == repo and p["number"] == int(number))]
            self._state["pulls"].append(pr)
            self._save()
            return copy.deepcopy(pr)

    def pulls(self, *, repo: str = DEFAULT_REPOSITORY) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(p) for p in self._state["pulls"] if p["repository"] == repo]

    def set_pull_head(self, number: int, sha: str, *, repo: str = DEFAULT_REPOSITORY) -> None:
        with self._lock:
            self._pull(repo, int(number))["head"]["sha"] = sha
            self._save()

    def add_comment(self, number: int, body: str, *, author: str, repo: str = DEFAULT_REPOSITORY) -> dict[str, Any]:
        """Seed a comment as if ``author`` had written it (another user, an older mlgate run...)."""
        with self._lock:
            return copy.deepcopy(self._new_comment(repo, int(number), body, author))

    def comments(self, number: int | None = None, *, repo: str = DEFAULT_REPOSITORY) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(c) for c in self._state["comments"]
                    if c["repository"] == repo and (number is None or c["issue_number"] == number)]

    def add_issue(self, title: str, body: str, *, author: str, state: str = "open",
                  repo: str = DEFAULT_REPOSITORY) -> dict[str, Any]:
        """Seed an issue as if ``author`` had opened it."""
        with self._lock:
            return copy.deepcopy(self._new_issue(repo, title, body, author, state))

    def issues(self, *, repo: str = DEFAULT_REPOSITORY) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(i) for i in self._state["issues"] if i["repository"] == repo]

    def dispatches(self, *, repo: str = DEFAULT_REPOSITORY) -> list[dict[str, Any]]:
        """The repository_dispatch events received: ``event_type``, ``client_payload``, ``sender``."""
        with self._lock:
            return [copy.deepcopy(d) for d in self._state["dispatches"] if d["repository"] == repo]

    def statuses(self, sha: str | None = None, *, repo: str = DEFAULT_REPOSITORY) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(s) for s in self._state["statuses"]
                    if s["repository"] == repo and (sha is None or s["sha"] == sha)]

    def set_identity(self, login: str = WORKFLOW_BOT, *, user_endpoint: bool | None = None, write: bool = True,
                     token: str | None = None) -> None:
        """The identity of ``token`` (or of every token without its own). ``user_endpoint`` defaults
        to False for ``github-actions[bot]`` (the workflow token) and True for anyone else."""
        if user_endpoint is None:
            user_endpoint = login != WORKFLOW_BOT
        identity = {"login": login, "user_endpoint": user_endpoint, "write": write}
        with self._lock:
            if token is None:
                self._state["identity"] = identity
            else:
                self._state["tokens"][token] = identity
            self._save()

    def add_fault(self, status: int | None = None, *, times: int = 1, method: str | None = None,
                  path: str | None = None, headers: Mapping[str, str] | None = None, message: str | None = None,
                  delay: float = 0.0, lose_response: bool = False) -> None:
        fault = {"status": status, "times": int(times), "method": method, "path": path,
                 "headers": dict(headers or {}), "message": message,
                 "delay": min(max(float(delay), 0.0), MAX_DELAY), "lose_response": bool(lose_response)}
        if status is None and not fault["delay"] and not lose_response:
            raise ValueError("a fault needs a status, a delay, lose_response, or a combination")
        with self._lock:
            self._state["faults"].append(fault)
            self._save()

    def fail_next(self, status: int, times: int = 1, **filters: Any) -> None:
        messages = {403: NOT_ACCESSIBLE, 404: "Not Found", 500: "Server Error", 502: "Bad Gateway",
                    503: "Service Unavailable"}
        self.add_fault(status, times=times, message=messages.get(status), **filters)

    def rate_limit(self, retry_after: int, *, status: int = 429, times: int = 1, **filters: Any) -> None:
        """A secondary rate limit: ``status`` with ``Retry-After: retry_after``."""
        self.add_fault(status, times=times, headers={"Retry-After": str(retry_after)},
                       message="You have exceeded a secondary rate limit.", **filters)

    def primary_rate_limit(self, reset: int, *, status: int = 403, times: int = 1, **filters: Any) -> None:
        """The primary rate limit: ``x-ratelimit-remaining: 0`` until epoch second ``reset``."""
        headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0", "x-ratelimit-used": "5000",
                   "x-ratelimit-reset": str(reset), "x-ratelimit-resource": "core"}
        self.add_fault(status, times=times, headers=headers, message="API rate limit exceeded", **filters)

    def slow(self, delay: float, *, times: int = 1, **filters: Any) -> None:
        self.add_fault(None, times=times, delay=delay, **filters)

    def lose_responses(self, *, times: int = 1, **filters: Any) -> None:
        """Do the next matching calls, then drop the connection before answering."""
        self.add_fault(None, times=times, lose_response=True, **filters)

    def clear_faults(self) -> None:
        with self._lock:
            self._state["faults"] = []
            self._save()

    def requests(self) -> list[dict[str, Any]]:
        """The API calls received so far (control endpoints excluded), oldest first."""
        with self._lock:
            return copy.deepcopy(self._state["requests"])

    def calls(self, method: str, path_regex: str = ".*") -> list[dict[str, Any]]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests() if r["method"] == method and pattern.fullmatch(r["path"])]

    def clear_requests(self) -> None:
        with self._lock:
            self._state["requests"] = []

    # -- internals used by the handler -------------------------------------------------------------

    def _save(self) -> None:
        if self._state_file is None:
            return
        with self._lock:
            text = json.dumps(self._state, indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self._state_file.parent, prefix=".double-state-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, self._state_file)

    def _next_id(self) -> int:
        self._state["next_id"] += 1
        return self._state["next_id"]

    def _pull(self, repo: str, number: int) -> dict[str, Any]:
        for pr in self._state["pulls"]:
            if pr["repository"] == repo and pr["number"] == number:
                return pr
        raise _Reply(404, "Not Found")

    def _new_comment(self, repo: str, number: int, body: str, author: str) -> dict[str, Any]:
        self._pull(repo, number)
        cid = self._next_id()
        now = _now()
        comment = {
            "id": cid,
            "node_id": f"IC_{cid}",
            "url": f"{self.url}/repos/{repo}/issues/comments/{cid}",
            "html_url": f"{self.url}/{repo}/pull/{number}#issuecomment-{cid}",
            "issue_url": f"{self.url}/repos/{repo}/issues/{number}",
            "body": body,
            "user": {"login": author, "type": "Bot" if author.endswith("[bot]") else "User"},
            "created_at": now,
            "updated_at": now,
            "repository": repo,
            "issue_number": number,
        }
        self._state["comments"].append(comment)
        self._save()
        return comment

    def _new_issue(self, repo: str, title: str, body: str, author: str, state: str = "open") -> dict[str, Any]:
        numbers = [p["number"] for p in self._state["pulls"] if p["repository"] == repo]
        numbers += [i["number"] for i in self._state["issues"] if i["repository"] == repo]
        number = max(numbers, default=0) + 1  # issues and pull requests share one sequence, as on GitHub
        now = _now()
        issue = {
            "id": self._next_id(), "number": number, "title": title, "body": body, "state": state,
            "html_url": f"{self.url}/{repo}/issues/{number}",
            "url": f"{self.url}/repos/{repo}/issues/{number}",
            "user": {"login": author, "type": "Bot" if author.endswith("[bot]") else "User"},
            "created_at": now, "updated_at": now, "repository": repo,
        }
        self._state["issues"].append(issue)
        self._save()
        return issue

    def _issue(self, repo: str, number: int) -> dict[str, Any]:
        for issue in self._state["issues"]:
            if issue["repository"] == repo and issue["number"] == number:
                return issue
        raise _Reply(404, "Not Found")

    def _comment(self, repo: str, cid: int) -> dict[str, Any]:
        for comment in self._state["comments"]:
            if comment["repository"] == repo and comment["id"] == cid:
                return comment
        raise _Reply(404, "Not Found")

    def _take_fault(self, method: str, path: str) -> dict[str, Any] | None:
        with self._lock:
            for fault in self._state["faults"]:
                if fault["times"] <= 0:
                    continue
                if fault["method"] and fault["method"].upper() != method:
                    continue
                if fault["path"] and not re.search(fault["path"], path):
                    continue
                fault["times"] -= 1
                self._state["faults"] = [f for f in self._state["faults"] if f["times"] > 0]
                return dict(fault)
        return None

    def _identity(self, authorization: str | None) -> dict[str, Any]:
        if not authorization:
            raise _Reply(401, "Requires authentication")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token.strip():
            raise _Reply(401, "Bad credentials")
        return self._state["tokens"].get(token.strip(), self._state["identity"])

    def _check_comment_body(self, payload: Any) -> str:
        body = payload.get("body") if isinstance(payload, Mapping) else None
        if not isinstance(body, str):
            raise _Reply(422, "Invalid request.\n\n\"body\" wasn't supplied.")
        limit = self._state["max_comment_chars"]
        if len(body) > limit:
            raise _Reply(422, "Validation Failed", extra={"errors": [{
                "resource": "IssueComment", "code": "custom", "field": "body",
                "message": f"body is too long (maximum is {limit} characters)"}]})
        return body

    # -- API handlers: (match groups, query, payload, identity, base_url) -> (status, body, headers) --

    def get_user(self, m, query, payload, who, base):
        if not who["user_endpoint"]:
            raise _Reply(403, NOT_ACCESSIBLE)
        return 200, {"login": who["login"], "id": zlib.crc32(who["login"].encode()), "type": "User"}, {}

    def get_repo(self, m, query, payload, who, base):
        repo = m["repo"]
        if repo not in self._state["repos"]:
            raise _Reply(404, "Not Found")
        return 200, {"full_name": repo, "name": repo.split("/")[1], "private": False,
                     **self._state["repos"][repo]}, {}

    def list_pulls(self, m, query, payload, who, base):
        state = query.get("state", "open")
        head = query.get("head")
        pulls = [p for p in self._state["pulls"] if p["repository"] == m["repo"]
                 and (state == "all" or p["state"] == state)
                 and (head is None or f"{p['head']['repo']['full_name'].split('/')[0]}:{p['head']['ref']}" == head)]
        return self._page(pulls, query, base)

    def get_pull(self, m, query, payload, who, base):
        return 200, self._pull(m["repo"], int(m["number"])), {}

    def create_pull(self, m, query, payload, who, base):
        payload = payload if isinstance(payload, Mapping) else {}
        missing = [k for k in ("title", "head", "base") if not isinstance(payload.get(k), str) or not payload[k]]
        if missing:
            raise _Reply(422, "Validation Failed", extra={"errors": [{
                "resource": "PullRequest", "code": "missing_field", "field": missing[0]}]})
        owner, _, ref = payload["head"].rpartition(":")
        head_repo = f"{owner}/{m['repo'].split('/')[1]}" if owner else m["repo"]
        for pr in self._state["pulls"]:
            if (pr["repository"] == m["repo"] and pr["state"] == "open" and pr["head"]["ref"] == ref
                    and pr["head"]["repo"]["full_name"] == head_repo and pr["base"]["ref"] == payload["base"]):
                raise _Reply(422, "Validation Failed", extra={"errors": [{
                    "resource": "PullRequest", "code": "custom",
                    "message": f"A pull request already exists for {head_repo.split('/')[0]}:{ref}."}]})
        body = self._check_comment_body({"body": payload.get("body") or ""})
        numbers = [p["number"] for p in self._state["pulls"] if p["repository"] == m["repo"]]
        numbers += [i["number"] for i in self._state["issues"] if i["repository"] == m["repo"]]
        pr = self.add_pull(max(numbers, default=0) + 1, head_sha="", base_sha="", head_ref=ref,
                           base_ref=payload["base"], head_repo=head_repo, repo=m["repo"], title=payload["title"],
                           body=body, author=who["login"])
        return 201, pr, {}

    def update_pull(self, m, query, payload, who, base):
        pr = self._pull(m["repo"], int(m["number"]))
        payload = payload if isinstance(payload, Mapping) else {}
        if "body" in payload:
            pr["body"] = self._check_comment_body(payload)
        if isinstance(payload.get("title"), str):
            pr["title"] = payload["title"]
        if payload.get("state") in ("open", "closed"):
            pr["state"] = payload["state"]
        if isinstance(payload.get("base"), str):
            pr["base"]["ref"] = payload["base"]
        self._save()
        return 200, pr, {}

    def list_comments(self, m, query, payload, who, base):
        number = int(m["number"])
        self._pull(m["repo"], number)
        items = [c for c in self._state["comments"] if c["repository"] == m["repo"] and c["issue_number"] == number]
        return self._page(items, query, base)

    def create_comment(self, m, query, payload, who, base):
        body = self._check_comment_body(payload)
        return 201, self._new_comment(m["repo"], int(m["number"]), body, who["login"]), {}

    def get_comment(self, m, query, payload, who, base):
        return 200, self._comment(m["repo"], int(m["id"])), {}

    def update_comment(self, m, query, payload, who, base):
        comment = self._comment(m["repo"], int(m["id"]))
        if comment["user"]["login"] != who["login"]:
            raise _Reply(403, NOT_ACCESSIBLE)
        comment["body"] = self._check_comment_body(payload)
        comment["updated_at"] = _now()
        self._save()
        return 200, comment, {}

    def delete_comment(self, m, query, payload, who, base):
        comment = self._comment(m["repo"], int(m["id"]))
        if comment["user"]["login"] != who["login"]:
            raise _Reply(403, NOT_ACCESSIBLE)
        self._state["comments"].remove(comment)
        self._save()
        return 204, None, {}

    def create_status(self, m, query, payload, who, base):
        if not isinstance(payload, Mapping) or payload.get("state") not in _STATUS_STATES:
            raise _Reply(422, "Validation Failed", extra={"errors": [{
                "resource": "Status", "code": "custom", "field": "state",
                "message": f"state must be one of {sorted(_STATUS_STATES)}"}]})
        description = payload.get("description") or ""
        if len(description) > 140:
            raise _Reply(422, "Validation Failed", extra={"errors": [{
                "resource": "Status", "code": "custom", "field": "description",
                "message": "description is too long (maximum is 140 characters)"}]})
        sid = self._next_id()
        now = _now()
        status = {
            "id": sid, "url": f"{base}/repos/{m['repo']}/statuses/{m['sha']}", "state": payload["state"],
            "description": description, "target_url": payload.get("target_url"),
            "context": payload.get("context") or "default", "created_at": now, "updated_at": now,
            "creator": {"login": who["login"]}, "repository": m["repo"], "sha": m["sha"],
        }
        self._state["statuses"].append(status)
        self._save()
        return 201, status, {}

    def list_statuses(self, m, query, payload, who, base):
        items = [s for s in reversed(self._state["statuses"])
                 if s["repository"] == m["repo"] and s["sha"] == m["ref"]]
        return self._page(items, query, base)

    def list_issues(self, m, query, payload, who, base):
        state = query.get("state", "open")
        items = [i for i in self._state["issues"] if i["repository"] == m["repo"]
                 and (state == "all" or i["state"] == state)]
        return self._page(items, query, base)

    def create_issue(self, m, query, payload, who, base):
        title = payload.get("title") if isinstance(payload, Mapping) else None
        if not isinstance(title, str) or not title.strip():
            raise _Reply(422, "Validation Failed", extra={"errors": [{
                "resource": "Issue", "code": "missing_field", "field": "title"}]})
        body = self._check_comment_body({"body": payload.get("body") or ""})
        return 201, self._new_issue(m["repo"], title, body, who["login"]), {}

    def get_issue(self, m, query, payload, who, base):
        return 200, self._issue(m["repo"], int(m["number"])), {}

    def update_issue(self, m, query, payload, who, base):
        issue = self._issue(m["repo"], int(m["number"]))
        payload = payload if isinstance(payload, Mapping) else {}
        if "body" in payload:
            issue["body"] = self._check_comment_body(payload)
        if isinstance(payload.get("title"), str):
            issue["title"] = payload["title"]
        if payload.get("state") in ("open", "closed"):
            issue["state"] = payload["state"]
        issue["updated_at"] = _now()
        self._save()
        return 200, issue, {}

    def create_dispatch(self, m, query, payload, who, base):
        event_type = payload.get("event_type") if isinstance(payload, Mapping) else None
        client_payload = payload.get("client_payload", {}) if isinstance(payload, Mapping) else None
        if not isinstance(event_type, str) or not event_type or len(event_type) > 100:
            raise _Reply(422, "Invalid request.\n\n\"event_type\" wasn't supplied.")
        if not isinstance(client_payload, Mapping) or len(client_payload) > 10:
            raise _Reply(422, "Invalid request.\n\nclient_payload must be an object of at most 10 properties.")
        self._state["dispatches"].append({"repository": m["repo"], "event_type": event_type,
                                          "client_payload": dict(client_payload), "sender": who["login"]})
        self._save()
        return 204, None, {}

    def _page(self, items: list[Any], query: Mapping[str, str], base: str) -> tuple[int, Any, dict[str, str]]:
        try:
            per_page = max(1, min(int(query.get("per_page", 30)), 100))
            page = max(1, int(query.get("page", 1)))
        except ValueError:
            raise _Reply(422, "Invalid per_page or page") from None
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        links = []

        def link(p: int, rel: str) -> str:
            q = {**query, "per_page": str(per_page), "page": str(p)}
            return f'<{base}?{urlencode(q)}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})

    def _log(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._state["requests"].append(entry)
            self._save()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a slow answer is not an error here


class _Handler(BaseHTTPRequestHandler):
    owner: GitHubDouble
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # headers and body leave in one write (flushed per request by the base class) ...
    disable_nagle_algorithm = True  # ... and without waiting for the client's delayed ACK
    server_version = "GitHubDouble/1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _send(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _read_json(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise _Reply(400, "Problems parsing JSON") from None

    def _dispatch(self) -> None:
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        method = self.command
        double = self.owner
        if path.startswith("/_double/"):
            self._control(method, path, query)
            return
        entry: dict[str, Any] = {
            "method": method, "path": path, "query": query, "json": None, "status": None,
            "headers": {k: self.headers.get(k) for k in ("Accept", "X-GitHub-Api-Version", "User-Agent")},
            "auth_scheme": (self.headers.get("Authorization") or " ").split(" ")[0] or None,
        }
        status, body, headers = 500, {"message": "double bug"}, {}
        fault = None
        try:
            payload = self._read_json()
            entry["json"] = payload
            fault = double._take_fault(method, path)
            if fault and fault["delay"]:
                double._log(entry)  # logged on arrival: a client may give up before the answer
                time.sleep(fault["delay"])
            if fault and fault["status"] is not None:
                raise _Reply(fault["status"], fault["message"] or "fault", headers=fault["headers"])
            with double._lock:
                who = double._identity(self.headers.get("Authorization"))
                if method in ("POST", "PATCH", "DELETE", "PUT") and not who["write"]:
                    raise _Reply(403, NOT_ACCESSIBLE)
                handler = self._route(method, path)
                base = f"http://{self.headers.get('Host') or double.url.split('//')[1]}{path}"
                status, body, headers = getattr(double, handler[0])(handler[1], query, payload, who, base)
        except _Reply as reply:
            status, body, headers = reply.status, reply.body, reply.headers
        with double._lock:
            entry["status"] = status
        if fault and fault.get("lose_response"):
            entry["lost"] = True
            double._log(entry)
            self.close_connection = True  # the work is done, the answer never arrives
            return
        if not (fault and fault["delay"]):
            double._log(entry)
        self._send(status, body, headers)

    def _route(self, method: str, path: str) -> tuple[str, Mapping[str, str]]:
        known_path = False
        for verb, pattern, name in _ROUTES:
            match = pattern.fullmatch(path)
            if match:
                known_path = True
                if verb == method:
                    return name, match.groupdict()
        raise _Reply(405 if known_path else 404, "Not Found" if not known_path else "Method Not Allowed")

    def _control(self, method: str, path: str, query: Mapping[str, str]) -> None:
        double = self.owner
        try:
            payload = self._read_json()
            if (method, path) == ("GET", "/_double/state"):
                self._send(200, double.snapshot())
            elif (method, path) == ("POST", "/_double/state"):
                double.load(payload or {})
                self._send(200, double.snapshot())
            elif (method, path) == ("GET", "/_double/requests"):
                self._send(200, double.requests())
            elif (method, path) == ("POST", "/_double/faults"):
                faults = payload.get("faults", [payload]) if isinstance(payload, Mapping) else payload or []
                for fault in faults:
                    double.add_fault(**fault)
                self._send(200, double.snapshot()["faults"])
            elif (method, path) == ("DELETE", "/_double/faults"):
                double.clear_faults()
                self._send(204, None)
            elif (method, path) == ("POST", "/_double/reset"):
                double.reset()
                self._send(204, None)
            else:
                self._send(404, {"message": f"no control endpoint {method} {path}"})
        except (TypeError, ValueError) as exc:
            self._send(400, {"message": str(exc)})
        except _Reply as reply:
            self._send(reply.status, reply.body, reply.headers)


def start_double(*, port: int = 0, state_file: str | os.PathLike[str] | None = None,
                 seed: Mapping[str, Any] | None = None) -> GitHubDouble:
    """Start the double on 127.0.0.1 (a free port unless given) in a background thread."""
    return GitHubDouble("127.0.0.1", port, state_file=state_file, seed=seed)


def point_env_at(double: GitHubDouble, setenv: Any, *, token: str = "test-token", seconds: int = 20) -> None:
    """Set what mlgate's GitHub client reads (``setenv``: ``monkeypatch.setenv``) to talk to ``double``."""
    for name, value in (("GITHUB_TOKEN", token), ("GITHUB_REPOSITORY", double.repository),
                        ("GITHUB_API_URL", double.url), ("GITHUB_SERVER_URL", double.url),
                        ("MLGATE_GITHUB_SECONDS", str(seconds))):
        setenv(name, value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.github_double", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--seed", help="JSON file with initial state (repos, identity, tokens, pulls, comments, faults)")
    parser.add_argument("--state", help="JSON file rewritten with the whole state after every change")
    parser.add_argument("--url-file", help="also write the URL to this file")
    args = parser.parse_args(argv)
    seed = json.loads(Path(args.seed).read_text(encoding="utf-8")) if args.seed else None
    double = start_double(port=args.port, state_file=args.state, seed=seed)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if args.url_file:
        Path(args.url_file).write_text(double.url + "\n", encoding="utf-8")
    print(double.url, flush=True)
    try:
        stop.wait()
    finally:
        double.stop()
        double._save()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
