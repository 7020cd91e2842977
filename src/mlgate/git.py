"""The git edge: a thin runner over the git CLI, and the few questions mlgate asks of a repository."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlgate.errors import GitError, InputError


@dataclass(frozen=True)
class Git:
    root: Path  # the repository's top level

    @classmethod
    def discover(cls, path: Path) -> Git:
        try:
            out = subprocess.run(
                ["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True, check=False
            )
        except FileNotFoundError:
            raise GitError("git is not installed or not on PATH; install git") from None
        except NotADirectoryError:
            raise InputError(f"{path}: not a directory; pass an existing --project-dir") from None
        if out.returncode != 0:
            raise InputError(f"{path}: not inside a git repository; run 'git init' or pass --project-dir")
        return cls(Path(out.stdout.strip()).resolve())

    def run(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
        proc = subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=False, env=env)
        if check and proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise GitError(f"git {' '.join(args)} failed: {detail[-1] if detail else f'exit {proc.returncode}'}")
        return proc.stdout.strip()

    def ok(self, *args: str) -> bool:
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True, check=False).returncode == 0

    def resolve(self, ref: str) -> str | None:
        """The commit sha a ref names, or None."""
        if not ref or ref.startswith("-"):
            return None
        out = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            cwd=self.root, capture_output=True, text=True, check=False,
        )
        return out.stdout.strip() if out.returncode == 0 else None

    def head_sha(self) -> str | None:
        return self.resolve("HEAD")

    def current_branch(self) -> str | None:
        name = self.run("branch", "--show-current", check=False)
        return name or None

    def is_dirty(self, path: Path | None = None) -> bool:
        args = ["status", "--porcelain", "--untracked-files=no"]
        if path is not None:
            args += ["--", str(path)]
        return bool(self.run(*args, check=False))

    def is_shallow(self) -> bool:
        return self.run("rev-parse", "--is-shallow-repository", check=False) == "true"

    def merge_base(self, a: str, b: str) -> str | None:
        out = self.run("merge-base", a, b, check=False)
        return out or None

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

    def short(self, sha: str | None) -> str | None:
        return sha[:7] if sha else None

    def worktree_add(self, path: Path, sha: str) -> None:
        self.run("worktree", "add", "--detach", "--force", str(path), sha)

    def worktree_remove(self, path: Path) -> None:
        self.run("worktree", "remove", "--force", str(path), check=False)
        self.run("worktree", "prune", check=False)
