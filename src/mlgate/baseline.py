"""Where the base's numbers come from, cheapest first.

1. the metrics ledger entry for the base commit (or a near first-parent ancestor), when a ledger is given;
2. the metrics DVC can read at the base commit (committed to git, or in the DVC cache);
3. reproducing the base in a temporary git worktree that shares the DVC cache;
4. none: relative rules report "no baseline", absolute rules still apply.
The Baseline record always names the source used.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mlgate.config import BaselineConfig
from mlgate.dvc_project import DvcProject
from mlgate.errors import MlgateError
from mlgate.git import Git
from mlgate.progress import Progress
from mlgate.result import Baseline
from mlgate.snapshot import Snapshot


class LedgerReader(Protocol):
    def nearest(self, sha: str, max_distance: int = 20) -> Any: ...


@dataclass
class Resolved:
    baseline: Baseline
    snapshot: Snapshot | None
    warnings: list[str]
    files: dict[str, bytes] = field(default_factory=dict)  # `keep` files from a reproduced base, by path


def resolve(
    *,
    git: Git,
    project: DvcProject,
    project_rel: Path,
    base_sha: str | None,
    config: BaselineConfig,
    progress: Progress,
    ledger: LedgerReader | None = None,
    keep: tuple[str, ...] = (),
) -> Resolved:
    """`keep`: files (relative to the project) a base reproduced in a worktree hands back in `Resolved.files`."""
    warnings: list[str] = []
    if base_sha is None:
        return Resolved(Baseline("none", "no base commit"), None, warnings)
    short = base_sha[:7]

    if ledger is not None and config.ledger:
        hit = ledger.nearest(base_sha, config.max_distance)
        if hit is not None:
            detail = f"ledger entry for {hit.sha[:7]}"
            if hit.distance:
                detail += f", {hit.distance} commit{'s' if hit.distance != 1 else ''} before the base"
            snap = Snapshot.from_dict(hit.entry)
            return Resolved(Baseline("ledger", detail, hit.sha, hit.distance), snap, warnings)

    if config.reproduce != "always":
        snap = project.snapshot(base_sha)
        if not snap.is_empty():
            for path, why in snap.errors.items():
                warnings.append(f"baseline {path} at {short}: {why}")
            return Resolved(Baseline("committed", f"metrics committed at {short}", base_sha), snap, warnings)

    if config.reproduce == "never":
        return Resolved(
            Baseline("none", f"no metrics readable at {short} and baseline.reproduce is 'never'"), None, warnings
        )

    try:
        # 'always' distrusts what is committed at the base (say, latency measured on another machine), so
        # every stage runs again; 'auto' only gets here when nothing is readable, and DVC decides.
        kept: dict[str, bytes] = {}
        snap = reproduce_in_worktree(git, project, project_rel, base_sha, progress, force=config.reproduce == "always",
                                     keep=keep, kept=kept)
    except MlgateError as exc:
        warnings.append(f"reproducing the base {short} failed: {exc}")
        return Resolved(Baseline("none", f"reproducing {short} failed"), None, warnings)
    if snap is None:
        where = "the repository root" if project_rel == Path(".") else project_rel.as_posix()
        return Resolved(Baseline("none", f"no DVC project in {where} at {short}"), None, warnings)
    if snap.is_empty():
        return Resolved(Baseline("none", f"the pipeline at {short} writes no readable metrics"), None, warnings)
    return Resolved(Baseline("reproduced", f"reproduced {short} in a worktree", base_sha), snap, warnings, kept)


def reproduce_in_worktree(
    git: Git, project: DvcProject, project_rel: Path, sha: str, progress: Progress, *, force: bool = False,
    keep: tuple[str, ...] = (), kept: dict[str, bytes] | None = None,
) -> Snapshot | None:
    """Check the base out beside the work tree, share the DVC cache, reproduce, read, clean up.

    None when the base has no DVC project at `project_rel` (nothing to reproduce). The files in `keep`
    (relative to the project) that the base wrote are read into `kept` before the worktree goes.
    """
    with tempfile.TemporaryDirectory(prefix="mlgate-base-") as tmp:
        tree = Path(tmp) / "base"
        git.worktree_add(tree, sha)
        try:
            root = tree / project_rel
            if not (root / ".dvc").is_dir():
                return None
            (root / ".dvc" / "config.local").write_text(f"[cache]\n    dir = {project.cache_dir}\n", encoding="utf-8")
            base_project = DvcProject(root)
            try:
                with progress.step(f"reproducing the base {sha[:7]} in a worktree"):
                    _checkout_quietly(base_project)
                    base_project.reproduce(progress, force=force)
                for rel in keep:
                    if kept is not None and (root / rel).is_file():
                        kept[rel] = (root / rel).read_bytes()
                return base_project.snapshot()
            finally:
                base_project.close()
        finally:
            git.worktree_remove(tree)


def _checkout_quietly(project: DvcProject) -> None:
    """Restore tracked data from the shared cache; what is not there the pipeline will rebuild."""
    from dvc.exceptions import DvcException

    try:
        with contextlib.chdir(project.root):  # DVC resolves the pipeline's paths from the cwd
            project.repo.checkout(allow_missing=True)
    except DvcException:
        pass
