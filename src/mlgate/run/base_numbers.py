"""Where the base's numbers come from, cheapest first.

1. the metrics ledger entry for the base commit (or a near first-parent ancestor), when a ledger is given;
2. the metrics DVC can read at the base commit: committed to git, in the local DVC cache, or in the remote;
3. reproducing the base in a temporary git worktree that shares the DVC cache;
4. none: relative rules report "no baseline", absolute rules still apply.

The Baseline record names the real source (``ledger``, ``git``, ``dvc-cache``, ``dvc-remote``,
``reproduced``, ``none``). Whatever happens to the base's metrics, its params are read from the base
commit whenever they are readable. The base's files (for the metric families) are a ``Side``: the
worktree it was reproduced in, or the base commit read through DVC; the run's ``scratch`` stack removes
both when the run ends.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mlgate.config.schema import BaselineConfig
from mlgate.edges.dvc.project import DvcProject, is_missing
from mlgate.edges.git import Git
from mlgate.edges.progress import Progress
from mlgate.edges.sides import DirectorySide, RevisionSide, Side
from mlgate.errors import MlgateError
from mlgate.gating.snapshot import Flat, Snapshot
from mlgate.result import Baseline

SOURCE_WORDS = {"git": "committed to git", "dvc-cache": "in the DVC cache", "dvc-remote": "pulled from the DVC remote"}


class LedgerReader(Protocol):
    def nearest(self, sha: str, max_distance: int = 20) -> Any: ...


@dataclass(frozen=True)
class Resolved:
    baseline: Baseline
    snapshot: Snapshot | None  # the base's metrics and params; None: no baseline
    params: Flat  # the base commit's params, whenever they are readable (even with no baseline)
    side: Side | None  # the base's files, for the metric families
    warnings: tuple[str, ...] = ()


def resolve(
    *,
    git: Git,
    project: DvcProject,
    project_rel: Path,
    base_sha: str | None,
    config: BaselineConfig,
    progress: Progress,
    scratch: ExitStack,
    ledger: LedgerReader | None = None,
) -> Resolved:
    if base_sha is None:
        return Resolved(Baseline("none", "no base commit"), None, {}, None)
    short = base_sha[:7]
    warnings: list[str] = []

    if ledger is not None and config.ledger:
        hit = ledger.nearest(base_sha, config.max_distance)
        warnings.extend(getattr(ledger, "warnings", list)())  # notes skipped on the way (foreign, malformed)
        if hit is not None:
            detail = f"ledger entry for {hit.sha[:7]}"
            if hit.distance:
                detail += f", {hit.distance} commit{'s' if hit.distance != 1 else ''} before the base"
            snap = Snapshot.from_dict(_nested(hit.entry))
            side: Side = RevisionSide("base", hit.sha, project, _scratch_dir(scratch))
            params = snap.params or _params_at(project, base_sha)
            return Resolved(Baseline("ledger", detail, hit.sha, hit.distance), snap, params, side, tuple(warnings))

    committed: Snapshot | None = None
    if config.reproduce != "always":
        committed = project.from_git(base_sha)
        cached_before: set[str] = set()
        if committed is None:
            cached_before = project.cached(base_sha)  # before reading: DVC's read may fetch from the remote
            committed = project.snapshot(base_sha)
        if not committed.is_empty():
            warnings += [f"baseline {path} at {short}: {why}" for path, why in committed.errors.items()]
            source, detail = _where(project, base_sha, committed, cached_before)
            side = RevisionSide("base", base_sha, project, _scratch_dir(scratch))
            return Resolved(Baseline(source, detail, base_sha), committed, committed.params, side, tuple(warnings))
        # none readable: what kept a file from being read (say, the DVC remote's plugin) is said, not a missing one
        warnings += [f"baseline {path} at {short}: {why}" for path, why in committed.errors.items() if not is_missing(why)]

    params = committed.params if committed is not None else _params_at(project, base_sha)
    if config.reproduce == "never":
        return Resolved(Baseline("none", f"no metrics readable at {short} and baseline.reproduce is 'never'"),
                        None, params, None, tuple(warnings))
    try:
        # 'always' distrusts what is committed at the base (say, latency measured on another machine), so
        # every stage runs again; 'auto' only gets here when nothing is readable, and DVC decides.
        reproduced = reproduce_in_worktree(git, project, project_rel, base_sha, progress, scratch,
                                           force=config.reproduce == "always")
    except MlgateError as exc:
        warnings.append(f"reproducing the base {short} failed: {exc}")
        return Resolved(Baseline("none", f"reproducing {short} failed"), None, params, None, tuple(warnings))
    if reproduced is None:
        where = "the repository root" if project_rel == Path(".") else project_rel.as_posix()
        return Resolved(Baseline("none", f"no DVC project in {where} at {short}"), None, params, None, tuple(warnings))
    snap, root = reproduced
    side = DirectorySide("base", base_sha, root)
    if snap.is_empty():
        return Resolved(Baseline("none", f"the pipeline at {short} writes no readable metrics"), None,
                        snap.params or params, side, tuple(warnings))
    return Resolved(Baseline("reproduced", f"reproduced {short} in a worktree", base_sha), snap, snap.params or params,
                    side, tuple(warnings))


def _where(project: DvcProject, sha: str, snap: Snapshot, cached_before: set[str]) -> tuple[str, str]:
    """The real source of metrics read at a commit: git, the DVC cache or the DVC remote (or a mix)."""
    sources = {
        "git" if project.tracked_by_git(sha, path) else ("dvc-cache" if _inside(path, cached_before) else "dvc-remote")
        for path in snap.metrics
    }
    order = ("dvc-remote", "dvc-cache", "git")  # the costliest names the run
    source = next(s for s in order if s in sources)
    words = " and ".join(SOURCE_WORDS[s] for s in reversed(order) if s in sources)
    return source, f"metrics {words} at {sha[:7]}"


def _inside(path: str, outputs: set[str]) -> bool:
    """Whether the file ``path`` is one of ``outputs`` or inside one that is a directory (``eval`` holds
    ``eval/metrics.json``); both relative to the project."""
    parts = Path(os.path.normpath(path)).parts
    return any(Path(*parts[:i]).as_posix() in outputs for i in range(1, len(parts) + 1))


def _params_at(project: DvcProject, sha: str) -> Flat:
    try:
        return project.snapshot(sha).params
    except MlgateError:
        return {}


def _scratch_dir(scratch: ExitStack) -> Path:
    return Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="mlgate-files-")))


def reproduce_in_worktree(
    git: Git, project: DvcProject, project_rel: Path, sha: str, progress: Progress, scratch: ExitStack, *,
    force: bool = False,
) -> tuple[Snapshot, Path] | None:
    """Check the base out beside the work tree, share the DVC cache, reproduce, read.

    Returns the base's numbers and its project folder, which stays until ``scratch`` closes (the metric
    families read the base's files there); None when the base has no DVC project at ``project_rel``.
    """
    tree = Path(scratch.enter_context(tempfile.TemporaryDirectory(prefix="mlgate-base-"))) / "base"
    git.worktree_add(tree, sha)
    scratch.callback(git.worktree_remove, tree)
    root = tree / project_rel
    if not (root / ".dvc").is_dir():
        return None
    (root / ".dvc" / "config.local").write_text(f"[cache]\n    dir = {project.cache_dir}\n", encoding="utf-8")
    base_project = DvcProject(root)
    try:
        with progress.step(f"reproducing the base {sha[:7]} in a worktree"):
            base_project.checkout_quietly()
            base_project.reproduce(progress, force=force)
        return base_project.snapshot(), root
    finally:
        base_project.close()


def _nested(entry: dict[str, Any]) -> dict[str, Any]:
    """A ledger entry's metrics and params as ``{file: {key: value}}``; flat ``"file:key"`` names are split."""
    out = dict(entry)
    for part in ("metrics", "params"):
        files: dict[str, dict[str, Any]] = {}
        for name, value in (entry.get(part) or {}).items():
            if isinstance(value, dict):
                files.setdefault(str(name), {}).update(value)
            elif ":" in str(name):
                path, _, key = str(name).partition(":")
                files.setdefault(path, {})[key] = value
        out[part] = files
    return out
