"""`mlgate run` as a library call: context → reproduce(head) → collect → baseline → compare → gates → Result.

The caller builds the real edges (git, DVC project, ledger, progress) and passes options in; this module
only orders the steps. Rendering and publishing happen elsewhere, from the Result alone.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate import baseline as baseline_mod
from mlgate import compare, gates, prediction_gates
from mlgate.config import CONFIG_NAME, Config, load_config
from mlgate.dvc_project import DvcProject
from mlgate.errors import ConfigError, InputError
from mlgate.git import Git
from mlgate.marker import check_report_id
from mlgate.progress import Progress
from mlgate.result import Result, Revision


@dataclass
class RunOptions:
    project_dir: Path = Path(".")
    config_path: Path | None = None
    base: str | None = None  # a ref; None = baseline.ref from the config, else merge-base with the default branch
    base_sha: str | None = None  # an exact commit (from the CI context); wins over `base`
    base_how: str | None = None
    repro: bool = True
    pull: bool | None = None  # dvc repro --pull; None: when the project has a default DVC remote
    report_id: str = "default"
    head_ref: str | None = None  # a display name for the head (CI knows the PR branch)
    head_sha: str | None = None  # the commit the report is about (CI: the PR head, not the merge commit)
    links: dict[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class Prepared:
    """What a run needs before any work: the repository, the project and the validated config."""

    git: Git
    project: DvcProject
    project_rel: Path
    config: Config
    config_path: Path

    @property
    def template_dir(self) -> Path | None:
        """The user's report template directory (report.template), relative to mlgate.yaml."""
        template = self.config.report.template
        return (self.config_path.parent / template) if template else None


def prepare(options: RunOptions) -> Prepared:
    check_report_id(options.report_id)
    project_dir = options.project_dir.resolve()
    if not project_dir.is_dir():
        raise InputError(f"{options.project_dir}: no such directory; pass an existing --project-dir")
    git = Git.discover(project_dir)
    project_dir = _dvc_root(project_dir, git.root)
    config_path = options.config_path or project_dir / CONFIG_NAME
    config = load_config(config_path)
    prediction_gates.check_config(config, _display(config_path))
    project = DvcProject(project_dir)
    project.repo  # noqa: B018 - open now, so a non-DVC directory fails before any work
    prepared = Prepared(git, project, project_dir.relative_to(git.root), config, config_path)
    if prepared.template_dir is not None and not prepared.template_dir.is_dir():
        raise ConfigError(
            f"{_display(config_path)}: report.template: {prepared.template_dir} is not a directory; "
            "point it at a directory holding report.md.j2, or remove the key"
        )
    return prepared


def _dvc_root(start: Path, top: Path) -> Path:
    """The DVC project holding `start` (like git, mlgate works from any folder inside the project)."""
    for folder in (start, *start.parents):
        if (folder / ".dvc").is_dir():
            return folder
        if folder == top:
            break
    return start  # not a DVC project: opening it says so, with the fix


def resolve_base(git: Git, options: RunOptions, config: Config) -> tuple[Revision | None, str | None]:
    """The base commit and how it was chosen: an exact sha, a ref's merge-base, or the default branch's."""
    if options.base_sha:
        return Revision(ref=options.base or options.base_sha[:7], sha=options.base_sha), options.base_how or "given"
    ref = options.base or config.baseline.ref
    how = "merge-base"
    if not ref:
        ref = git.default_branch()
        if ref is None:
            return None, None
    sha = git.resolve(ref) or git.resolve(f"refs/remotes/origin/{ref}")  # a fresh clone has origin/main only
    if sha is None:
        if git.is_shallow():
            raise InputError(
                f"base '{ref}' is not in this shallow clone; fetch full history (actions/checkout with fetch-depth: 0)"
            )
        flag = "--base" if options.base else "baseline.ref"
        raise InputError(f"{flag} '{ref}': no such branch, tag or commit in {git.root}; fix the name or fetch it")
    head = git.head_sha()
    if head:
        merge_base = git.merge_base(head, sha)
        if merge_base is None:
            raise InputError(f"base '{ref}' shares no history with HEAD; pass a related --base")
        sha = merge_base
        if sha == head and not git.is_dirty():
            # On the base branch itself with nothing uncommitted: HEAD against HEAD says nothing, so the
            # base is the previous commit (as on a push to the default branch in CI).
            parent = git.resolve(f"{head}~1")
            if parent:
                return Revision(ref=f"{ref}~1", sha=parent), "previous commit"
    return Revision(ref=ref, sha=sha), how


def execute(prepared: Prepared, options: RunOptions, progress: Progress, *, ledger: Any = None) -> Result:
    started = time.monotonic()
    git, project, config = prepared.git, prepared.project, prepared.config
    head = Revision(
        ref=options.head_ref or git.current_branch() or "HEAD",
        sha=options.head_sha or git.head_sha(),
        dirty=git.is_dirty(),
    )
    base, base_how = resolve_base(git, options, config)

    stages: list[dict[str, Any]] = []
    pull = project.has_remote() if options.pull is None else options.pull
    if options.repro and options.pull and not project.has_remote():
        raise InputError(
            f"--pull: the DVC project in {prepared.project_rel.as_posix() or '.'} has no default remote; "
            "add one with 'dvc remote add -d NAME URL' or drop --pull"
        )
    if options.repro:
        with progress.step(f"reproducing the pipeline in {prepared.project_rel.as_posix() or '.'}", untrusted_output=True):
            stages = [run.to_dict() for run in project.reproduce(progress, pull=pull)]
    head_snap = project.snapshot()
    head_predictions = prediction_gates.load_head(config, project)  # a bad file fails before the baseline work

    with progress.step("resolving the baseline"):
        resolved = baseline_mod.resolve(
            git=git, project=project, project_rel=prepared.project_rel, base_sha=base.sha if base else None,
            config=config.baseline, progress=progress, ledger=ledger, keep=prediction_gates.keep_paths(config),
        )
        progress.line(f"  baseline: {resolved.baseline.source} ({resolved.baseline.detail})")
    base_snap = resolved.snapshot

    predictions = None
    if head_predictions is not None:
        with progress.step("reading the predictions"):
            predictions = prediction_gates.gather(config, project, resolved, head_predictions)
            predictions.add_metrics(head_snap, base_snap)
    outcomes = gates.evaluate(config, head_snap, base_snap, source=_display(prepared.config_path),
                              judge=predictions.judge if predictions else None)
    warnings = list(resolved.warnings) + (predictions.warnings if predictions else [])
    warnings += [f"{path} at the head: {why}" for path, why in head_snap.errors.items()]
    errors = {"head": dict(head_snap.errors)}
    if base_snap is not None and base_snap.errors:
        errors["base"] = dict(base_snap.errors)
    return Result(
        verdict=gates.verdict(outcomes),
        head=head,
        base=base,
        base_how=base_how,
        baseline=resolved.baseline,
        gates=outcomes,
        metrics=compare.diff_flat(base_snap.metrics if base_snap else None, head_snap.metrics),
        params=compare.diff_flat(base_snap.params if base_snap else None, head_snap.params),
        errors=errors,
        warnings=warnings,
        stages=stages,
        reproduced=options.repro,
        duration_s=round(time.monotonic() - started, 2),
        report_id=options.report_id,
        project_dir=prepared.project_rel.as_posix() or ".",
        config_path=_display(prepared.config_path),
        links=dict(options.links),
        context={**options.context, "title": config.report.title},
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
