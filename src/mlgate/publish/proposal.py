"""The git half of ``mlgate propose``: commit the work tree's changes on top of HEAD and push them as a branch.

The commit is built in a temporary index (a copy of the repository's), so the checkout, its branch and its
index stay as they were: ``git add --all`` (``.gitignore`` applies, so DVC-tracked outputs stay out) minus the
paths left out (the pull request's body file), ``git write-tree``, ``git commit-tree`` with HEAD as the parent.
Nothing changed → no commit, nothing to propose. The push is ``git push --force origin SHA:refs/heads/BRANCH``:
the branch is mlgate's own, rewritten by every proposal.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from mlgate.edges.git import NETWORK_TIMEOUT_S, Git, last_line
from mlgate.errors import InputError, PublishError
from mlgate.text.safe import one_line, redact_urls

BRANCH_LIMIT = 100  # characters: a branch name people read in a pull request's header


def check_branch(git: Git, branch: str) -> str:
    """``branch`` if it is a short name git accepts as a branch (``git check-ref-format --branch``, taken
    literally: no ``@{-1}``, no ``refs/`` or ``heads/`` prefix), else a one-line InputError."""
    shown = one_line(branch)[:60] + ("…" if len(branch) > 60 else "")
    if branch.startswith(("refs/", "heads/")):
        raise InputError(f"--branch {shown!r}: give the branch's short name without refs/ or heads/, "
                         "e.g. mlgate/retrain")
    if len(branch) > BRANCH_LIMIT:
        raise InputError(f"--branch {shown!r}: {len(branch)} characters, more than {BRANCH_LIMIT}; "
                         "use a short name, e.g. mlgate/retrain")
    literal = bool(branch) and not branch.startswith("-") and branch != "HEAD"
    if not literal or git.run("check-ref-format", "--branch", branch, check=False) != branch:
        raise InputError(f"--branch {shown!r} is not a valid branch name; use e.g. mlgate/retrain")
    return branch


def commit_changes(git: Git, message: str, *, leave_out: Sequence[Path] = ()) -> str | None:
    """A commit of the work tree's changes on top of HEAD (HEAD and the index untouched), or None without changes."""
    head = git.resolve("HEAD")
    if head is None:
        raise InputError(f"{git.root}: the repository has no commit yet; commit the project first")
    index = Path(git.run("rev-parse", "--path-format=absolute", "--git-path", "index"))
    with tempfile.TemporaryDirectory(prefix="mlgate-propose-") as tmp:
        scratch = Path(tmp) / "index"
        if index.exists():
            shutil.copyfile(index, scratch)
        env = {"GIT_INDEX_FILE": str(scratch)}
        if not index.exists():
            git.exec("read-tree", "HEAD", env=env)
        excluded = [f":(exclude,top){rel.as_posix()}" for rel in _inside(git.root, leave_out)]
        git.exec("add", "--all", "--", ":/", *excluded, env=env)
        tree = git.run("write-tree", env=env)
    if tree == git.run("rev-parse", "HEAD^{tree}"):
        return None
    return git.run("commit-tree", tree, "-p", head, "-m", message, env=git.identity_env())


def push_branch(git: Git, sha: str, branch: str, env: Mapping[str, str] | None = None) -> None:
    """Force-push ``sha`` to ``origin``'s ``branch``; a refusal is a PublishError (exit 4) in one line."""
    if not git.ok("remote", "get-url", "origin"):
        raise InputError(f"{git.root}: no remote named origin to push the branch {branch} to; "
                         "add it (git remote add origin URL)")
    proc = git.exec("push", "--force", "origin", f"{sha}:refs/heads/{branch}", check=False, env=env,
                    timeout=NETWORK_TIMEOUT_S)
    if proc.returncode != 0:
        raise PublishError(f"the branch {branch} was not pushed to origin: {redact_urls(last_line(proc.stderr))}; "
                           "the token needs `contents: write`")


def _inside(root: Path, paths: Sequence[Path]) -> list[Path]:
    inside = []
    for path in paths:
        try:
            inside.append(path.resolve().relative_to(root))
        except ValueError:
            continue  # outside the repository: nothing to leave out
    return inside
