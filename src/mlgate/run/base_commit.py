"""Which commit the head is compared with: one function for ``mlgate run`` and ``mlgate ci``.

Locally the request is a ref (``--base``, ``baseline.ref``, else the default branch) and the base is
its merge-base with HEAD. In CI the event names a revision (the pull request's base, the commit before
a push, the default branch); a revision missing from a shallow clone is fetched once. On the base
branch itself with nothing uncommitted, HEAD against HEAD says nothing, so the base is the previous
commit — and a root commit has none: that is a run with no baseline, judged on its absolute rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlgate.edges.git import Git, GitState
from mlgate.errors import InputError
from mlgate.result import Revision
from mlgate.text.safe import say


@dataclass(frozen=True)
class BaseRequest:
    ref: str | None = None  # a display name, and locally the ref to resolve (--base, baseline.ref)
    rev: str | None = None  # CI: the exact revision the event names (a sha, "origin/main", "<sha>~1")
    merge_base: bool = True  # compare with the merge-base of HEAD and the revision
    fetch: bool = False  # CI: fetch a revision that is not in the clone
    flag: str = "--base"  # how the user named `ref`, for messages


@dataclass(frozen=True)
class BaseChoice:
    revision: Revision | None
    how: str | None  # merge-base | previous commit | None
    why_none: str = ""  # with no revision: why, in words for the report


def choose_base(git: Git, request: BaseRequest, *, config_ref: str | None = None,
                state: GitState | None = None) -> BaseChoice:
    """The base revision to compare with; ``state`` is ``git.state()`` when the caller has it (else asked)."""
    head = state.sha if state else git.head_sha()
    if request.rev is not None:
        return _from_revision(git, request, head)
    ref, flag = (request.ref, request.flag) if request.ref else (config_ref, "baseline.ref")
    if not ref:
        ref = git.default_branch()
        if ref is None:
            return BaseChoice(None, None, "no default branch to compare with")
    sha = git.resolve(ref) or git.resolve(f"refs/remotes/origin/{ref}")  # a fresh clone has origin/main only
    if sha is None:
        if git.is_shallow():
            raise InputError(
                f"base '{ref}' is not in this shallow clone; fetch full history (actions/checkout with fetch-depth: 0)"
            )
        raise InputError(f"{flag} '{ref}': no such branch, tag or commit in {git.root}; fix the name or fetch it")
    if head is None:
        return BaseChoice(Revision(ref=ref, sha=sha), "merge-base")
    merge_base = git.merge_base(head, sha)
    if merge_base is None:
        raise InputError(f"base '{ref}' shares no history with HEAD; pass a related {flag}")
    if merge_base == head and not (state.dirty if state else git.is_dirty()) and git.parent(head):
        return _previous(git, head, f"{ref}~1")
    return BaseChoice(Revision(ref=ref, sha=merge_base), "merge-base")  # a root commit: itself, said so


def _from_revision(git: Git, request: BaseRequest, head: str | None) -> BaseChoice:
    assert request.rev is not None
    if head and request.rev in (f"{head}~1", "HEAD~1") and is_root(git, head):
        return BaseChoice(None, None, "the first commit: there is nothing before it to compare with")
    sha = ensure_commit(git, request.rev, fetch=request.fetch)
    if not request.merge_base:
        return BaseChoice(Revision(ref=request.ref or sha[:7], sha=sha), "previous commit")
    merge_base = (git.merge_base(head, sha) if head else None) or sha
    if merge_base == head:  # dispatch or schedule on the default branch itself
        return _previous(git, head, f"{request.ref or head[:7]}~1")
    return BaseChoice(Revision(ref=request.ref or sha[:7], sha=merge_base), "merge-base")


def _previous(git: Git, head: str, ref: str) -> BaseChoice:
    parent = git.parent(head)
    if parent is None:
        if is_root(git, head):
            return BaseChoice(None, None, "the first commit: there is nothing before it to compare with")
        raise InputError("the previous commit is not in this shallow clone; set 'fetch-depth: 0' on actions/checkout")
    return BaseChoice(Revision(ref=ref, sha=parent), "previous commit")


def is_root(git: Git, sha: str) -> bool:
    """A commit with no parent (true even in a shallow clone, where parents may be missing)."""
    body = git.run("cat-file", "commit", sha, check=False)
    return bool(body) and not any(line.startswith("parent ") for line in body.split("\n\n", 1)[0].splitlines())


def ensure_commit(git: Git, rev: str, *, fetch: bool) -> str:
    """The commit ``rev`` names, deepening a shallow clone once; else one line saying to fetch all history."""
    sha = git.resolve(rev)
    if sha is None and fetch and git.is_shallow():
        import sys

        say(f"mlgate: {rev} is not in this shallow clone; fetching the full history", file=sys.stderr)
        git.fetch("--unshallow")
        sha = git.resolve(rev)
    elif sha is None and fetch and len(rev) == 40:
        git.fetch(rev)
        sha = git.resolve(rev)
    if sha is None:
        raise InputError(
            f"base {rev} is not in the checkout and could not be fetched; "
            "set 'fetch-depth: 0' on actions/checkout so mlgate can compare with the base"
        )
    return sha
