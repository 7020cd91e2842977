"""A revision's files, as a metric family reads them (the ``Side`` protocol): the head's workspace or a
worktree (``DirectorySide``), or a commit read through DVC (``RevisionSide``)."""

from __future__ import annotations

import glob as _glob
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from mlgate.errors import MlgateError

if TYPE_CHECKING:
    from mlgate.edges.dvc.project import DvcProject


class RevisionSide:
    """A revision's files as a metric family reads them, through DVC at a commit (see mlgate.families):
    each file asked for is streamed once into a scratch folder the run owns."""

    def __init__(self, name: str, sha: str, project: DvcProject, scratch: Path) -> None:
        self.name, self.sha, self.project, self.scratch = name, sha, project, scratch
        self._missing: set[str] = set()
        self._unreadable: dict[str, MlgateError] = {}  # asked for once: DVC could not fetch it (said again)

    def path(self, rel: str) -> Path | None:
        """The file, streamed once; None when it is not at the revision; an MlgateError when DVC cannot fetch it."""
        target = (self.scratch / rel).resolve()
        if self.scratch.resolve() not in target.parents or rel in self._missing:
            return None
        if rel in self._unreadable:
            raise self._unreadable[rel]
        try:
            found = target.exists() or self.project.copy_file(rel, self.sha, target)
        except MlgateError as exc:
            self._unreadable[rel] = exc
            raise
        if found:
            return target
        self._missing.add(rel)
        return None

    def glob(self, pattern: str) -> list[str]:
        return self.project.glob_at(pattern, self.sha)


class Side(Protocol):
    """One revision's files, as a family reads them."""

    @property
    def name(self) -> str:  # "head" | "base"
        ...

    @property
    def sha(self) -> str | None:  # read only (a property): a frozen dataclass's field satisfies it too
        ...

    def path(self, rel: str) -> Path | None:
        """A local, readable path for the project-relative file ``rel`` at this revision; None if absent."""

    def glob(self, pattern: str) -> list[str]:
        """Project-relative paths matching ``pattern`` at this revision, sorted."""


@dataclass(frozen=True)
class DirectorySide:
    """A revision whose files are a directory: the head's workspace, or the worktree a base ran in."""

    name: str
    sha: str | None
    root: Path

    def path(self, rel: str) -> Path | None:
        """The file, or None if absent; ConfigError (exit 2) when it resolves (through a symlink) outside
        the project: config validation refuses ``..`` and absolute paths, only the file system knows links."""
        from mlgate.edges.paths import require_inside

        candidate = require_inside(self.root, self.root / rel, rel)
        return candidate if candidate.exists() else None

    def glob(self, pattern: str) -> list[str]:
        root = self.root.resolve()
        found = _glob.glob(pattern, root_dir=root, recursive=True)
        return sorted(p for p in found if self.path(p) is not None)
