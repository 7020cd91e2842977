"""Where a GitHub Actions run stands: the event, the commits, the pull request, read from the
environment and the event payload (``GITHUB_EVENT_PATH``), plus which base to compare against.

Events: ``pull_request`` and ``pull_request_target`` (head/base from ``payload.pull_request``; the
head SHA is the PR head, not ``GITHUB_SHA``, which is the test merge commit), ``push`` (``after``,
``before``), ``workflow_dispatch`` and ``schedule`` (``GITHUB_SHA``), and ``workflow_run`` (the
publish half of the fork setup: ``payload.workflow_run.head_sha`` and ``pull_requests[]``; GitHub
leaves ``pull_requests`` empty for fork pull requests, so then ``pr_number`` is None and the number
must come from the saved result). Any other event is read like ``workflow_dispatch``.

Nothing here runs git or calls the API: ``comparison_base()`` says *what* to compare against; the
caller resolves it (``git merge-base``) in the checkout.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.errors import InputError

ZERO_SHA = "0" * 40
PULL_REQUEST_EVENTS = frozenset({"pull_request", "pull_request_target"})


@dataclass(frozen=True)
class BaseChoice:
    """What the head should be compared with.

    ``rev`` is a git revision (a SHA, ``origin/<default branch>``, or ``<head>~1``), or None when
    nothing sensible exists. With ``merge_base`` the caller compares against ``git merge-base
    <head> <rev>`` instead of ``rev`` itself. ``ref`` is the branch name to show.
    """

    rev: str | None
    merge_base: bool
    ref: str | None


@dataclass(frozen=True)
class GitHubContext:
    event_name: str
    repository: str
    head_sha: str
    checkout_sha: str | None = None  # GITHUB_SHA: for pull requests, the test merge commit
    ref: str | None = None  # GITHUB_REF, e.g. refs/heads/main, refs/pull/7/merge
    head_ref: str | None = None  # branch name of the head
    base_ref: str | None = None
    base_sha: str | None = None
    pr_number: int | None = None
    default_branch: str | None = None
    is_fork: bool = False
    push_before: str | None = None
    server_url: str = "https://github.com"
    api_url: str = "https://api.github.com"
    run_id: str | None = None
    run_attempt: str | None = None
    workspace: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- derived -----------------------------------------------------------------------------

    @property
    def is_pull_request(self) -> bool:
        return self.pr_number is not None

    @property
    def is_default_branch(self) -> bool:
        """True when the head is the default branch of this repository (never for a PR head)."""
        if self.default_branch is None or self.is_pull_request or self.is_fork:
            return False
        if self.event_name == "workflow_run":
            return self.head_ref == self.default_branch
        return self.ref == f"refs/heads/{self.default_branch}"

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        url = f"{self.server_url.rstrip('/')}/{self.repository}/actions/runs/{self.run_id}"
        if self.run_attempt and self.run_attempt != "1":
            url += f"/attempts/{self.run_attempt}"
        return url

    def comparison_base(self) -> BaseChoice:
        """Pull request → its base SHA (merge-base); push to the default branch → ``before`` (or
        ``<head>~1`` when the push created the branch); anything else → the default branch
        (merge-base)."""
        if self.is_pull_request and self.base_sha:
            return BaseChoice(self.base_sha, True, self.base_ref)
        if self.event_name == "push" and self.is_default_branch:
            if self.push_before:
                return BaseChoice(self.push_before, False, self.default_branch)
            return BaseChoice(f"{self.head_sha}~1", False, self.default_branch)
        if self.default_branch:
            return BaseChoice(f"origin/{self.default_branch}", True, self.default_branch)
        return BaseChoice(None, False, None)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> GitHubContext:
        """Read the run's context; a missing variable or a bad payload raises ``InputError``."""
        event_name = _required(environ, "GITHUB_EVENT_NAME")
        repository = _required(environ, "GITHUB_REPOSITORY")
        payload = _load_payload(environ)
        src = f"event payload {environ.get('GITHUB_EVENT_PATH')}"
        ref = environ.get("GITHUB_REF") or None
        checkout_sha = environ.get("GITHUB_SHA") or None
        repo_obj = payload.get("repository")
        default_branch = (_text(repo_obj, "default_branch", src, "repository.default_branch")
                          if isinstance(repo_obj, Mapping) else None)

        fields: dict[str, Any] = {}
        if event_name in PULL_REQUEST_EVENTS:
            pr = _mapping(payload, "pull_request", src)
            fields = _pull_request_fields(pr, repository, src, "pull_request")
            fields["head_ref"] = environ.get("GITHUB_HEAD_REF") or fields["head_ref"]
            fields["base_ref"] = environ.get("GITHUB_BASE_REF") or fields["base_ref"]
        elif event_name == "push":
            after = payload.get("after")
            fields = {
                "head_sha": after if _is_sha(after) and after != ZERO_SHA else checkout_sha,
                "head_ref": _branch(ref),
                "push_before": _sha_or_none(payload.get("before")),
            }
        elif event_name == "workflow_run":
            run = _mapping(payload, "workflow_run", src)
            head_sha = run.get("head_sha")
            if not _is_sha(head_sha):
                raise InputError(f"{src}: `workflow_run.head_sha` is missing or not a SHA; the payload is not a"
                                 " workflow_run event")
            head_repo = _full_name(run.get("head_repository"))
            base_repo = _full_name(run.get("repository")) or repository
            fields = {"head_sha": head_sha, "head_ref": _text(run, "head_branch", src, "workflow_run.head_branch"),
                      "is_fork": head_repo is not None and head_repo != base_repo}
            prs = run.get("pull_requests") or []
            if not isinstance(prs, list):
                raise InputError(f"{src}: `workflow_run.pull_requests` is {_kind(prs)}, expected a list; the payload"
                                 " is not a workflow_run event GitHub wrote")
            match = next((p for p in prs if isinstance(p, Mapping)
                          and _mapping(p, "head", src).get("sha") == head_sha), None)
            match = match or (prs[0] if len(prs) == 1 and isinstance(prs[0], Mapping) else None)
            if match is not None:
                pr_fields = _pull_request_fields(match, repository, src, "workflow_run.pull_requests[]")
                fields.update(pr_number=pr_fields["pr_number"], base_sha=pr_fields["base_sha"],
                              base_ref=pr_fields["base_ref"])
        else:  # workflow_dispatch, schedule, and anything else: the checked-out commit
            fields = {"head_sha": checkout_sha, "head_ref": _branch(ref)}

        if not fields.get("head_sha"):
            raise InputError(f"GITHUB_SHA is not set and the {event_name} payload names no head commit;"
                             " run inside GitHub Actions or set GITHUB_SHA")
        return cls(
            event_name=event_name,
            repository=repository,
            checkout_sha=checkout_sha,
            ref=ref,
            default_branch=default_branch,
            server_url=(environ.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            api_url=(environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
            run_id=environ.get("GITHUB_RUN_ID") or None,
            run_attempt=environ.get("GITHUB_RUN_ATTEMPT") or None,
            workspace=environ.get("GITHUB_WORKSPACE") or None,
            payload=payload,
            **fields,
        )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise InputError(f"{name} is not set; `mlgate ci` runs inside GitHub Actions (use `mlgate run` locally)")
    return value


def _load_payload(environ: Mapping[str, str]) -> dict[str, Any]:
    path = environ.get("GITHUB_EVENT_PATH", "").strip()
    if not path:
        raise InputError("GITHUB_EVENT_PATH is not set; it must name the event payload JSON file GitHub Actions"
                         " writes (run inside GitHub Actions, or set it for a local test)")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"GITHUB_EVENT_PATH={path}: cannot read the event payload ({exc.strerror or exc});"
                         " point it at the event JSON file") from None
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise InputError(f"GITHUB_EVENT_PATH={path}: the event payload is not valid JSON ({why});"
                         " point it at the event JSON file") from None
    if not isinstance(payload, dict):
        raise InputError(f"GITHUB_EVENT_PATH={path}: the event payload is a JSON {type(payload).__name__},"
                         " expected an object")
    return payload


def _mapping(obj: Mapping[str, Any], key: str, src: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if not isinstance(value, Mapping):
        raise InputError(f"{src}: `{key}` is missing or not an object; the payload does not match its event"
                         " (GITHUB_EVENT_NAME)")
    return value


def _pull_request_fields(pr: Mapping[str, Any], repository: str, src: str, where: str) -> dict[str, Any]:
    head = _mapping(pr, "head", src)
    base = _mapping(pr, "base", src)
    number = pr.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise InputError(f"{src}: `{where}.number` is missing or not an integer")
    for side, obj in (("head", head), ("base", base)):
        if not _is_sha(obj.get("sha")):
            raise InputError(f"{src}: `{where}.{side}.sha` is missing or not a commit SHA")
    base_repo = _full_name(base.get("repo")) or repository
    # A deleted fork leaves head.repo null: it was not this repository, so treat it as a fork.
    head_repo = _full_name(head.get("repo"))
    return {
        "pr_number": number,
        "head_sha": head["sha"],
        "head_ref": _text(head, "ref", src, f"{where}.head.ref"),
        "base_sha": base["sha"],
        "base_ref": _text(base, "ref", src, f"{where}.base.ref"),
        "is_fork": head_repo != base_repo,
    }


def _text(obj: Mapping[str, Any], key: str, src: str, where: str) -> str | None:
    """A text field of the payload (a branch name): absent or null is None, anything else but text is refused."""
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise InputError(f"{src}: `{where}` is {_kind(value)}, expected text; the payload does not match its event")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)


def _full_name(repo: Any) -> str | None:
    if isinstance(repo, Mapping) and isinstance(repo.get("full_name"), str):
        return repo["full_name"]
    return None


def _is_sha(value: Any) -> bool:
    return isinstance(value, str) and 7 <= len(value) <= 64 and all(c in "0123456789abcdefABCDEF" for c in value)


def _sha_or_none(value: Any) -> str | None:
    return value if _is_sha(value) and set(value) != {"0"} else None


def _branch(ref: str | None) -> str | None:
    if ref and ref.startswith("refs/heads/"):
        return ref[len("refs/heads/"):]
    return ref
