"""Paths a user names (in mlgate.yaml, or a template's files) stay inside the repository.

``mlgate.config.schema`` refuses absolute paths and ``..`` up front (``RepoPath``). What only the file system
knows — a symlink inside the repository that points out of it, e.g. a template linked to
``/proc/self/environ`` — is checked here, where the file is opened: ``require_inside`` resolves every
link and refuses a target outside the repository.
"""

from __future__ import annotations

from pathlib import Path

from mlgate.errors import ConfigError
from mlgate.text.safe import one_line


def repository_root(start: Path) -> Path:
    """The git work tree holding ``start`` (the nearest folder with a ``.git``), else ``start`` itself."""
    start = start.absolute()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


def is_inside(root: Path, target: Path) -> bool:
    """Whether ``target``, with every symlink resolved, is ``root`` or inside it."""
    real, fence = target.resolve(), root.resolve()
    return real == fence or fence in real.parents


def require_inside(root: Path, target: Path, what: str) -> Path:
    """``target`` resolved, or a ConfigError when it (through a symlink) leaves ``root``."""
    if not is_inside(root, target):
        raise ConfigError(
            f"{one_line(what)}: {one_line(target)} resolves to {one_line(target.resolve())}, outside the repository"
            f" {one_line(root)}; mlgate reads only files inside it: replace the symlink with a file"
        )
    return target.resolve()
