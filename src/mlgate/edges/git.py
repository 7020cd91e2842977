"""The git edge: the one runner over the git CLI, and the few questions mlgate asks of a repository.

Every git call in mlgate goes through one runner (:meth:`Git.exec`; :meth:`Git.save_file` streams a file's
bytes): the same locale (parseable messages), no credential prompt on a CI runner, a timeout, and one kind of
error (:class:`GitError`, one line).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from mlgate.errors import GitError, InputError

LOCAL_TIMEOUT_S = 60
NETWORK_TIMEOUT_S = 300
_FIXED_ENV = {"LC_ALL": "C", "LANGUAGE": "C", "GIT_TERMINAL_PROMPT": "0"}
LFS_POINTER = b"version https://git-lfs.github.com/spec/"  # how a Git LFS pointer file begins


class TreeEntry(NamedTuple):
    mode: str  # "100644", "100755", "120000" (a symbolic link), "160000" (a submodule)
    kind: str  # "blob", or "commit" for a submodule
    object: str  # the object's name (its hash)
    size: int  # bytes; -1 for a submodule


class GitState(NamedTuple):
    branch: str | None  # None when HEAD is detached
    sha: str | None  # HEAD's commit; None before the first commit
    dirty: bool  # tracked files changed (staged or not)


IDENTITY = ("mlgate", "mlgate@users.noreply.github.com")  # for notes and tags when the repository has none


def last_line(stream: bytes | str) -> str:
    """The last non-empty line of a git message stream, or a placeholder."""
    text = stream.decode("utf-8", errors="replace") if isinstance(stream, bytes) else stream
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else "(no message)"


@dataclass(frozen=True)
class Git:
    root: Path  # the repository's top level
    env: Mapping[str, str] = field(default_factory=dict, compare=False)  # added to os.environ for every call

    @classmethod
    def discover(cls, path: Path, env: Mapping[str, str] | None = None) -> Git:
        if not path.is_dir():
            raise InputError(f"{path}: no such directory; pass an existing --project-dir")
        proc = _spawn(["rev-parse", "--show-toplevel"], path, None, dict(env or {}), LOCAL_TIMEOUT_S)
        if proc.returncode != 0:
            raise InputError(f"{path}: not inside a git repository; run 'git init' or pass --project-dir")
        return cls(Path(proc.stdout.decode().strip()).resolve(), dict(env or {}))

    def with_env(self, env: Mapping[str, str]) -> Git:
        """The same repository, with more environment for every call (e.g. the token's credentials)."""
        return Git(self.root, {**self.env, **env})

    def exec(self, *args: str, stdin: bytes | None = None, check: bool = True, env: Mapping[str, str] | None = None,
             timeout: float = LOCAL_TIMEOUT_S) -> subprocess.CompletedProcess[bytes]:
        proc = _spawn(list(args), self.root, stdin, {**self.env, **(env or {})}, timeout)
        if check and proc.returncode != 0:
            raise GitError(f"git {args[0]} failed in {self.root}: {last_line(proc.stderr or proc.stdout)}")
        return proc

    def run(self, *args: str, stdin: bytes | None = None, check: bool = True, env: Mapping[str, str] | None = None,
            timeout: float = LOCAL_TIMEOUT_S) -> str:
        proc = self.exec(*args, stdin=stdin, check=check, env=env, timeout=timeout)
        return proc.stdout.decode("utf-8", "replace").strip()

    def ok(self, *args: str) -> bool:
        return self.exec(*args, check=False).returncode == 0

    def resolve(self, ref: str) -> str | None:
        """The commit sha a ref names, or None."""
        if not ref or ref.startswith("-") or "\x00" in ref:
            return None
        proc = self.exec("rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}", check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def head_sha(self) -> str | None:
        return self.resolve("HEAD")

    def current_branch(self) -> str | None:
        return self.run("branch", "--show-current", check=False) or None

    def is_dirty(self, path: Path | None = None) -> bool:
        args = ["status", "--porcelain", "--untracked-files=no"]
        if path is not None:
            args += ["--", str(path)]
        return bool(self.run(*args, check=False))

    def state(self, ignore: Sequence[Path] = ()) -> GitState:
        """What ``branch --show-current``, ``rev-parse HEAD`` and ``status`` say, in one call. A change to a file
        in ``ignore`` (mlgate's own report and result, which a run replaces) does not make the tree dirty."""
        skip = {rel for rel in (self._relative(path) for path in ignore) if rel is not None}
        branch = sha = None
        dirty = False
        records = self.exec("status", "--porcelain=v2", "--branch", "--untracked-files=no", "-z", check=False)
        fields = iter(records.stdout.decode("utf-8", "surrogateescape").split("\0"))
        for line in fields:
            if line.startswith("# branch.oid "):
                sha = line.removeprefix("# branch.oid ") if line != "# branch.oid (initial)" else None
            elif line.startswith("# branch.head "):
                branch = line.removeprefix("# branch.head ") if line != "# branch.head (detached)" else None
            elif line and not line.startswith("#"):
                kind = line[0]
                path = line.split(" ", {"1": 8, "2": 9, "u": 10}.get(kind, 8))[-1]
                if kind == "2":
                    next(fields, None)  # a rename's original path
                if path not in skip:
                    dirty = True
        return GitState(branch, sha, dirty)

    def _relative(self, path: Path) -> str | None:
        """``path`` as git names it (relative to the work tree's root, with /), or None outside the tree."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except (OSError, ValueError):
            return None

    def is_shallow(self) -> bool:
        return self.run("rev-parse", "--is-shallow-repository", check=False) == "true"

    def merge_base(self, a: str, b: str) -> str | None:
        return self.run("merge-base", a, b, check=False) or None

    def parent(self, sha: str) -> str | None:
        """The first parent of a commit; None for a root commit (or one whose parent is not fetched)."""
        return self.resolve(f"{sha}~1")

    def default_branch(self) -> str | None:
        """origin's HEAD branch when known, else a local main or master."""
        remote_head = self.run("symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD", check=False)
        if remote_head:
            return remote_head
        for name in ("main", "master"):
            if self.resolve(f"refs/heads/{name}"):
                return name
            if self.resolve(f"refs/remotes/origin/{name}"):
                return f"origin/{name}"
        return None

    def tracks(self, sha: str, path: str) -> bool:
        """Whether ``path`` (relative to the repository) is committed to git at ``sha``."""
        return self.ok("cat-file", "-e", f"{sha}:{path}")

    def save_file(self, sha: str, path: str, dest: Path) -> bool:
        """Stream ``path`` (relative to the repository) as committed at ``sha`` into ``dest``; False (and no
        ``dest``) when it is not committed there."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb") as out:
            proc = _spawn(["cat-file", "blob", f"{sha}:{path}"], self.root, None, self.env, LOCAL_TIMEOUT_S, stdout=out)
        if proc.returncode != 0:
            dest.unlink(missing_ok=True)
        return proc.returncode == 0

    def tree(self, sha: str, under: str = ".") -> dict[str, TreeEntry]:
        """Every file committed at ``sha`` under the folder ``under`` (relative to the repository), by path."""
        found: dict[str, TreeEntry] = {}
        listing = self.exec("ls-tree", "-r", "-l", "-z", "--full-tree", sha, "--", under).stdout
        for record in listing.split(b"\0"):
            meta, tab, name = record.partition(b"\t")
            if not tab:
                continue
            mode, kind, obj, size = meta.decode().split()
            found[name.decode("utf-8", "surrogateescape")] = TreeEntry(mode, kind, obj, int(size) if size != "-" else -1)
        return found

    def blobs(self, ids: list[str]) -> dict[str, bytes]:
        """The content of each blob in ``ids`` (object names) that the repository has, read by one
        ``git cat-file --batch``; a missing one is left out."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return {}
        out = self.exec("cat-file", "--batch", stdin="".join(f"{i}\n" for i in unique).encode()).stdout
        found: dict[str, bytes] = {}
        at = 0
        for name in unique:
            end = out.index(b"\n", at)
            header = out[at:end].split()
            at = end + 1
            if len(header) != 3:  # "<name> missing"
                continue
            size = int(header[2])
            if header[1] == b"blob":
                found[name] = out[at:at + size]
            at += size + 1
        return found

    def fetch(self, *args: str) -> bool:
        """``git fetch --no-tags origin ARGS``; False when it failed (the caller says what that means)."""
        return self.exec("fetch", "--no-tags", "origin", *args, check=False, timeout=NETWORK_TIMEOUT_S).returncode == 0

    def identity_env(self) -> dict[str, str]:
        """Author/committer/tagger for what mlgate writes (ledger notes, tags): the repository's own when
        configured, else mlgate's."""
        env = {**os.environ, **self.env}

        def configured(key: str, var: str) -> bool:
            return bool(env.get(var)) or self.exec("config", "--get", key, check=False).returncode == 0

        if configured("user.name", "GIT_COMMITTER_NAME") and configured("user.email", "GIT_COMMITTER_EMAIL"):
            return {}
        name, email = IDENTITY
        return {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
                "GIT_COMMITTER_EMAIL": email}

    def tags_by_commit(self) -> dict[str, list[str]]:
        """Every tag, by the commit it points at (annotated tags peeled)."""
        out: dict[str, list[str]] = {}
        listing = self.run("for-each-ref", "refs/tags", "--format=%(objectname) %(*objectname) %(refname:short)",
                           check=False)
        for line in listing.splitlines():
            parts = line.split(" ")
            if len(parts) == 3:
                target = parts[1] or parts[0]
                out.setdefault(target, []).append(parts[2])
        return out

    def worktree_add(self, path: Path, sha: str) -> None:
        self.exec("worktree", "add", "--detach", "--force", str(path), sha)

    def worktree_remove(self, path: Path) -> None:
        self.exec("worktree", "remove", "--force", str(path), check=False)
        self.exec("worktree", "prune", check=False)


def _spawn(args: list[str], cwd: Path, stdin: bytes | None, env: Mapping[str, str],
           timeout: float, stdout: Any = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, input=stdin, stdout=stdout, stderr=subprocess.PIPE,
                              check=False, env={**os.environ, **env, **_FIXED_ENV}, timeout=timeout)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH; install git") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} timed out after {timeout:.0f} s in {cwd}; check the network and the remote") from None
