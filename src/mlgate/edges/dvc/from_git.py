"""A git revision's metrics and params read straight from git, where DVC would read the same bytes from git.

Opening DVC at a revision (``DvcProject.at``) costs 0.15 to 0.2 s: pygit2 and DVC's experiments are
imported, a second repository is opened, the revision's pipeline (every dvc.yaml and dvc.lock) is parsed
again. The usual comparison needs none of it: the base declares the same pipeline as the workspace (its
dvc.yaml files are the same bytes) and its metrics and params files are committed to git (``cache: false``,
as DVC advises for metrics). Then the workspace's index names the files DVC would read at the base, one
``git ls-tree`` and one ``git cat-file --batch`` give their bytes, and DVC's own readers parse them.

Any doubt sends the read back to DVC (:func:`read` returns None):

- the revision has no DVC project there, or a dvc.yaml that differs from the workspace's or exists on one
  side only, or a ``.dvc`` file that differs and mentions a metric, or a .dvcignore that differs;
- an interpolation (``${...}``) in a dvc.yaml: its values may come from a params file that changed;
- a metrics or params file that is a DVC-cached output (DVC chooses between its cache and git), a
  folder (DVC lists its files), missing, a symbolic link, a Git LFS pointer, or one DVC's reader refuses
  (DVC then says why, in its own words).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeGuard, cast

from mlgate.edges.dvc.read import MAX_FILE_CHARS, bounded_files, flatten_show
from mlgate.edges.git import LFS_POINTER
from mlgate.gating.snapshot import Snapshot

MAX_FILE_BYTES = 4 * MAX_FILE_CHARS  # in UTF-8's widest characters: a larger file is refused by DVC's read too


class Project(Protocol):
    """What this read needs of the DVC project (``edges.dvc.project.DvcProject``)."""

    root: Path

    @property
    def repo(self) -> Any: ...

    def _in_git(self, rel: str) -> tuple[Any, str]: ...

    def tree(self, rev: str) -> dict[str, Any]: ...


@dataclass
class _Plan:
    """What DVC reads at any revision that declares the workspace's pipeline (paths relative to the project)."""

    definitions: dict[str, bytes]  # every dvc.yaml and .dvc file of the workspace's index, with its bytes
    metrics: list[str]  # the metrics files, in DVC's order
    params: dict[str, list[str]]  # the params files and the keys DVC keeps of each (none: all)
    cached: list[str]  # DVC outputs whose data is in the DVC cache, not in git


def read(project: Project, rev: str) -> Snapshot | None:
    """``rev``'s metrics and params as DVC reads them at ``rev``, or None when only DVC can say."""
    from dvc.exceptions import DvcException

    try:
        with contextlib.chdir(project.root):  # DVC resolves paths from the working directory
            plan = _plan(project.repo)
    except DvcException:
        return None  # the workspace's pipeline does not load: DVC says why at the revision too
    if plan is None:
        return None
    git, _ = project._in_git(".")
    tree = project.tree(rev)
    if not _same_pipeline(plan, tree, project.root, git):
        return None
    files = [*plan.metrics, *plan.params]
    entries: list[Any] = [tree.get(path) for path in files]  # every one a file: checked below
    if any(not _is_file(entry) or entry.size > MAX_FILE_BYTES or _inside(path, plan.cached)
           for path, entry in zip(files, entries)):
        return None
    contents = git.blobs([entry.object for entry in entries])
    if any(entry.object not in contents or contents[entry.object].startswith(LFS_POINTER) for entry in entries):
        return None  # not in this clone's object store (a partial clone), or a Git LFS pointer
    with tempfile.TemporaryDirectory(prefix="mlgate-committed-") as scratch:
        for path, entry in zip(files, entries):
            dest = Path(scratch, path)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(contents[entry.object])
        return _parse(plan, Path(scratch))


def _plan(repo: Any) -> _Plan | None:
    from dvc.dependency.param import ParamsDependency
    from dvc.repo.metrics.show import _collect_metrics, _collect_top_level_metrics
    from dvc.repo.params.show import _collect_params, _collect_top_level_params

    index = repo.index
    root = repo.root_dir

    def rel(path: str) -> str:
        return Path(os.path.relpath(os.path.join(root, path), root)).as_posix()

    dvcfiles = {stage.dvcfile.path for stage in index.stages}
    for top_level in (index._metrics, index._params, index._plots, index._artifacts, index._datasets):
        dvcfiles.update(top_level)
    definitions = {rel(path): Path(root, rel(path)).read_bytes() for path in dvcfiles}

    declared_metrics = {rel(out.fs_path) for out in index.metrics} | {rel(p) for p in _collect_top_level_metrics(repo)}
    metrics = [path.lstrip("/") for path in _collect_metrics(repo)]
    default = ParamsDependency.DEFAULT_PARAMS_FILE
    declared_params = ({rel(dep.fs_path) for dep in index.params} | {rel(p) for p in _collect_top_level_params(repo)}
                       | {default})
    params = {path.lstrip("/"): keys for path, keys in _collect_params(repo, default_file=default).items()}
    if not set(metrics) <= declared_metrics or not set(params) <= declared_params:
        return None  # a folder DVC lists: the revision's folder may hold other files
    cached = [rel(out.fs_path) for out in index.outs if out.use_cache]
    return _Plan(definitions, metrics, params, cached)


def _same_pipeline(plan: _Plan, tree: dict[str, Any], root: Path, git: Any) -> bool:
    """Whether DVC's index at the revision (``tree``: its files under the project) declares the same metrics
    and params files as the workspace's."""
    if not any(path.startswith(".dvc/") for path in tree):
        return False  # no DVC project at the revision
    if any(b"${" in data for data in plan.definitions.values()):
        return False
    changed = []
    for path in sorted({path for path in tree if _is_definition(path)} | set(plan.definitions)):
        entry, here = tree.get(path), plan.definitions.get(path)
        if _is_file(entry) and here is not None and entry.object == _blob_id(here, entry.object):
            continue
        if not path.endswith(".dvc") or (entry is not None and not _is_file(entry)):
            return False  # a dvc.yaml changed, added or removed
        changed.append((here or b"", entry.object if entry is not None else None))
    theirs = git.blobs([obj for _, obj in changed if obj is not None])
    for here, obj in changed:
        if obj is not None and obj not in theirs:
            return False  # not in this clone's object store
        if b"metric" in here or b"metric" in theirs.get(obj, b""):
            return False  # a .dvc file that changed and may declare a metric (DVC 1's single-stage files)
    for path in [p for p in tree if Path(p).name == ".dvcignore"] + [".dvcignore"]:
        entry, local = tree.get(path), root / path
        here = local.read_bytes() if local.is_file() else None
        if (entry is None) != (here is None) or (entry is not None and (not _is_file(entry) or
                                                                     entry.object != _blob_id(cast(bytes, here), entry.object))):
            return False
    return True


def _parse(plan: _Plan, scratch: Path) -> Snapshot | None:
    """DVC's readers on the revision's files; None when one refuses (DVC's own read then words the error)."""
    from dvc.dependency.param import read_param_file
    from dvc.fs import LocalFileSystem
    from dvc.repo.metrics.show import _read_metric

    fs = LocalFileSystem()
    metrics: dict[str, Any] = {}
    params: dict[str, Any] = {}
    try:
        with bounded_files():
            for path in plan.metrics:
                metrics[os.path.normpath(path)] = {"data": _read_metric(fs, str(scratch / path))}
            for path, keys in plan.params.items():
                params[os.path.normpath(path)] = {"data": read_param_file(fs, str(scratch / path), keys)}
    except Exception:  # noqa: BLE001 - any refusal is DVC's to word
        return None
    snap = Snapshot()
    snap.metrics = flatten_show({"data": metrics}, snap.errors)
    snap.params = flatten_show({"data": params}, snap.errors)
    return snap


def _is_file(entry: Any) -> TypeGuard[Any]:  # then not None
    """A committed file's bytes: not a symbolic link (git holds its target's name), nor a submodule."""
    return entry is not None and entry.kind == "blob" and entry.mode != "120000"


def _is_definition(path: str) -> bool:
    name = Path(path).name
    return (name == "dvc.yaml" or name.endswith(".dvc")) and not path.startswith(".dvc/")


def _inside(path: str, folders: list[str]) -> bool:
    return any(path == folder or path.startswith(folder.rstrip("/") + "/") for folder in folders)


def _blob_id(data: bytes, like: str) -> str:
    """The git object name of a blob holding ``data``, in the hash ``like`` is (SHA-1, or SHA-256)."""
    digest = hashlib.sha256 if len(like) == 64 else hashlib.sha1
    return digest(b"blob %d\0" % len(data) + data).hexdigest()
