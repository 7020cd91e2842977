"""One run: ``run(options, edges) -> Result``, the one library call ``mlgate run`` and ``mlgate ci`` share.

The data flows one way: choose the base → reproduce the head → read the head's numbers → resolve the
base's → the metric families → compare → gates → the verdict, warnings and trend → a finished, frozen
Result. Nothing here records, pushes, writes or publishes: those steps come after, and only read it.

The command that owns them builds the edges once (``open_edges``: git, the DVC project, the validated
config, the ledger, progress) and closes them after the run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate.config.load import CONFIG_NAME, load_config
from mlgate.config.report_id import check_report_id
from mlgate.config.schema import Config
from mlgate.edges.dvc.project import DvcProject, is_missing
from mlgate.edges.git import Git
from mlgate.edges.ledger import Ledger
from mlgate.edges.progress import Progress
from mlgate.edges.sides import DirectorySide
from mlgate.errors import InputError, MlgateError
from mlgate.gating import compare, gates
from mlgate.gating.history import judges, wants_history
from mlgate.gating.trend import gate_trends
from mlgate.result import Result, Revision
from mlgate.run import base_numbers as baseline_mod
from mlgate.run.base_commit import BaseChoice, BaseRequest, choose_base
from mlgate.run.judge import assemble, compute_families, with_families
from mlgate.run.staleness import stale_lines


@dataclass(frozen=True)
class RunOptions:
    """What to run, typed. ``mlgate ci`` fills the CI fields from the GitHub event before the run."""

    project_dir: Path = Path(".")
    config_path: Path | None = None
    base: BaseRequest = BaseRequest()
    repro: bool = True
    pull: bool | None = None  # dvc repro --pull; None: when the project has a default DVC remote
    report_id: str = "default"
    trend_entries: int = 20  # 0: no trend
    trend_branch: str | None = None  # whose history the trend follows (None: the default branch)
    head_ref: str | None = None  # a display name for the head (CI knows the PR branch)
    head_sha: str | None = None  # the commit the report is about (CI: the PR head, not the merge commit)
    links: Mapping[str, str] = field(default_factory=dict)
    event: Mapping[str, Any] = field(default_factory=dict)  # CI: event, pr_number, repository, hypothesis
    outputs: tuple[Path, ...] = ()  # the run's own report and result: rewriting them does not dirty the head


@dataclass(frozen=True)
class Edges:
    """The outside world of one run, built once by the command (see ``open_edges``)."""

    git: Git
    project: DvcProject
    project_rel: Path
    config: Config
    config_path: Path
    progress: Progress
    ledger: Ledger | None
    scratch: ExitStack  # temporary folders and worktrees, removed when the edges close
    notes: tuple[str, ...] = ()  # what opening them could not do (the ledger not fetched): warnings
    configured: bool = True  # False: no mlgate.yaml; every metric and param is compared, nothing gated

    @property
    def template_dir(self) -> Path | None:
        """The user's report template directory (report.template), relative to mlgate.yaml."""
        template = self.config.report.template
        return (self.config_path.parent / template) if template else None


@contextmanager
def open_edges(options: RunOptions, progress: Progress, *, git_env: Mapping[str, str] | None = None,
               ledger: bool | None = None) -> Iterator[Edges]:
    """Validate the config, open git, the DVC project and (``ledger``; None: when ``baseline.ledger``)
    the metrics ledger, fetched from origin. Everything is closed on exit."""
    check_report_id(options.report_id)
    project_dir = options.project_dir.resolve()
    git = Git.discover(project_dir, git_env)
    project_dir = dvc_root(project_dir, git.root) or project_dir  # not a DVC project: opening it says so
    config_path = options.config_path or project_dir / CONFIG_NAME
    # No mlgate.yaml where one is looked for by default: a run with no gates (an explicit --config must exist).
    configured = options.config_path is not None or config_path.exists()
    config = load_config(config_path) if configured else Config(version=1)
    if config.report.template:
        from mlgate.config.load import check_template_dir

        check_template_dir(config_path.parent / config.report.template, display(config_path))
    project = DvcProject(project_dir)
    with ExitStack() as scratch:
        scratch.callback(project.close)
        project.repo  # noqa: B018 - open now, so a non-DVC directory fails before any work
        opened: Ledger | None = None
        notes: Sequence[str] = ()
        if config.baseline.ledger if ledger is None else ledger:
            from mlgate.edges.ledger import open_ledger

            opened, notes = open_ledger(git, options.report_id, progress=progress)
        yield Edges(git, project, project_dir.relative_to(git.root), config, config_path, progress, opened,
                    scratch, tuple(notes), configured)


def run(options: RunOptions, edges: Edges) -> Result:
    started = time.monotonic()
    git, project, config, progress = edges.git, edges.project, edges.config, edges.progress
    source = display(edges.config_path)
    where = edges.project_rel.as_posix() or "."
    state = git.state(ignore=options.outputs)
    head = Revision(ref=options.head_ref or state.branch or "HEAD", sha=options.head_sha or state.sha, dirty=state.dirty)
    choice = choose_base(git, options.base, config_ref=config.baseline.ref, state=state)

    stages: list[dict[str, Any]] = []
    if options.repro:
        if options.pull and not project.has_remote():
            raise InputError(f"--pull: the DVC project in {where} has no default remote; "
                             "add one with 'dvc remote add -d NAME URL' or drop --pull")
        pull = project.has_remote() if options.pull is None else options.pull
        problem = project.remote_problem() if pull else None
        if problem:
            raise InputError(f"{problem}; or reproduce without pulling from it: --no-pull (in the Action: pull: false)")
        with progress.step(f"reproducing the pipeline in {where}", untrusted_output=True):
            stages = [stage.to_dict() for stage in project.reproduce(progress, pull=pull)]
    head_snap = project.snapshot()

    with progress.step("resolving the baseline"):
        resolved = baseline_mod.resolve(
            git=git, project=project, project_rel=edges.project_rel, base_sha=_sha(choice),
            config=config.baseline, progress=progress, scratch=edges.scratch, ledger=edges.ledger,
        )
        progress.line(f"  baseline: {resolved.baseline.source} ({resolved.baseline.detail})")
    base_snap = resolved.snapshot

    families = compute_families(config, DirectorySide("head", head.sha, project.root), resolved.side,
                                base_snap, progress)
    head_snap, base_snap = with_families(head_snap, base_snap, families)
    warnings: list[str] = []
    hits = recent_history(edges, _sha(choice), head.sha, warnings) if wants_history(config) else []
    judge = judges(config, hits, head_snap, base_snap, [f.judge for f in families])
    outcomes = gates.evaluate(config, head_snap, base_snap, source=source, judge=judge)

    unreadable = {p: why for p, why in head_snap.errors.items() if not is_missing(why)}
    error = None
    if unreadable:
        path, why = next(iter(unreadable.items()))
        error = f"{path}: cannot be read at the head: {why}; fix the file the pipeline writes"
    warnings += [*edges.notes, *project.warnings, *resolved.warnings, *(w for f in families for w in f.warnings)]
    warnings += [f"{path} at the head: {why}" for path, why in head_snap.errors.items()]
    if choice.revision is None and choice.why_none:
        warnings.append(f"no baseline: {choice.why_none}")
    errors = {"head": dict(head_snap.errors)}
    if base_snap is not None and base_snap.errors:
        errors["base"] = dict(base_snap.errors)
    trend, trend_context = _trend(edges, options, outcomes, head.sha, warnings)
    stale = stale_lines(git, resolved.baseline, base_how=choice.how, base_sha=_sha(choice), head_sha=head.sha,
                        tip=default_branch_rev(git, options.trend_branch), max_age_days=config.baseline.max_age_days)
    if stale:
        trend_context["stale_baseline"] = stale  # the report's first lines
    return assemble(
        outcomes=outcomes, head_metrics=head_snap.metrics, base_metrics=base_snap.metrics if base_snap else None,
        started=started, families=families, error=error,
        head=head,
        base=choice.revision,
        base_how=choice.how,
        baseline=resolved.baseline,
        params=compare.diff_flat(resolved.params if (base_snap or resolved.params) else None, head_snap.params),
        errors=errors,
        warnings=tuple(warnings),
        stages=tuple(stages),
        reproduced=options.repro,
        report_id=options.report_id,
        project_dir=where,
        config_path=source if edges.configured else "",
        links=dict(options.links),
        context={**options.event, "title": config.report.title, **trend_context},
        trend=trend,
    )






def _trend(edges: Edges, options: RunOptions, outcomes: list[Any], head_sha: str | None,
           warnings: list[str]) -> tuple[dict[str, list[list[Any]]], dict[str, Any]]:
    if edges.ledger is None or options.trend_entries <= 0:
        return {}, {}
    rev = default_branch_rev(edges.git, options.trend_branch)
    if rev is None:
        return {}, {}
    try:
        return ledger_trend(edges.ledger, rev, options.trend_entries, outcomes, head_sha)
    except MlgateError as exc:
        warnings.append(f"no trend: the ledger history of {rev} could not be read ({exc})")
        return {}, {}


def recent_history(edges: Edges, base_sha: str | None, head_sha: str | None, warnings: list[str]) -> list[Any]:
    """The last ``baseline.window`` ledger entries on the first-parent line of the base (a pull request's
    merge-base, a push's previous commit; without a base, the default branch), oldest first, the head's own
    entry left out: the history the noise model and the ratchet read."""
    if edges.ledger is None:
        return []
    rev = base_sha or default_branch_rev(edges.git)
    if rev is None:
        return []
    n = edges.config.baseline.window
    try:
        return [h for h in edges.ledger.history(rev, n + 1) if h.sha != head_sha][-n:]
    except MlgateError as exc:
        warnings.append(f"no history for the noise model and the ratchet: the ledger of {rev} could not be read ({exc})")
        return []


def ledger_trend(ledger: Ledger, rev: str, n: int, outcomes: Any, head_sha: str | None = None
                 ) -> tuple[dict[str, list[list[Any]]], dict[str, Any]]:
    """Each gate's metric over the last ``n`` ledger entries on ``rev``'s first-parent line (the head's
    own entry excluded), and the report's context for it."""
    hits = [h for h in ledger.history(rev, n + 1) if h.sha != head_sha][-n:]
    trend = gate_trends(outcomes, hits)
    if not trend:
        return trend, {}
    from mlgate.run.history_changes import trend_changes

    context: dict[str, Any] = {"trend_ref": display_branch(rev), "trend_entries": len(hits)}
    changes = trend_changes(trend)
    if changes:
        context["trend_changes"] = changes  # {"file:key": [[short sha, shift], ...]}: the report marks them
    return trend, context


def display_branch(rev: str) -> str:
    """``origin/main`` → ``main``."""
    for prefix in ("refs/remotes/origin/", "origin/", "refs/heads/"):
        if rev.startswith(prefix):
            return rev[len(prefix):]
    return rev


def default_branch_rev(git: Git, default_branch: str | None = None) -> str | None:
    """The revision whose history the trend follows: origin's default branch when present, else local."""
    if default_branch:
        for rev in (f"origin/{default_branch}", default_branch):
            if git.resolve(rev):
                return rev
        return None
    return git.default_branch()


def _sha(choice: BaseChoice) -> str | None:
    return choice.revision.sha if choice.revision else None


def dvc_root(start: Path, top: Path) -> Path | None:
    """The DVC project holding `start` (like git, mlgate works from any folder inside the project), up to the
    repository's top `top`; None when there is none."""
    for folder in (start, *start.parents):
        if (folder / ".dvc").is_dir():
            return folder
        if folder == top:
            break
    return None


def display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
