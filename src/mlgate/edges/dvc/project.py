"""The DVC edge: reproduce a pipeline and read its metrics and params through DVC's Python API.

DVC is imported lazily (it costs a few hundred milliseconds), and only here. DVC's own API records a file
it cannot load under ``error`` instead of raising; we keep those errors in the Snapshot, never a gap.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlgate.edges.dvc.read import bounded_files, flatten_show, gathered, missing_plugin, one_line
from mlgate.edges.git import LFS_POINTER, TreeEntry
from mlgate.edges.progress import Progress
from mlgate.errors import InputError, PipelineError
from mlgate.gating.snapshot import Snapshot
from mlgate.text.safe import redact_urls

_EVENTS = [
    (re.compile(r"^Running stage '(?P<name>[^']+)'"), "ran"),
    (re.compile(r"^Stage '(?P<name>[^']+)' didn't change, skipping"), "skipped"),
    (re.compile(r"^Stage '(?P<name>[^']+)' is cached - skipping run"), "restored"),
    # `repro --pull`: an unchanged stage whose outputs are missing is pulled from the remote, not run
    (re.compile(r"^Pulling data for stage: '(?P<name>[^']+)'"), "restored"),
    (re.compile(r"^Unable to pull data for stage: '(?P<name>[^']+)'"), "unpulled"),
]


@dataclass
class StageRun:
    name: str
    status: str  # ran | skipped | restored
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class DvcProject:
    """One DVC project (a directory with .dvc/), possibly a subdirectory of its git repository."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._repo: Any = None
        self._revisions: dict[str, Any] = {}  # sha -> a Repo switched to it (None: no project there)
        self._switched = contextlib.ExitStack()
        self._committed: dict[str, Snapshot | None] = {}  # sha -> its numbers read from git (None: DVC must say)
        self._trees: dict[str, dict[str, TreeEntry]] = {}  # sha -> the files committed under the project
        self.warnings: list[str] = []  # what DVC warned of while reproducing (explained), for the run's warnings

    @property
    def repo(self) -> Any:
        if self._repo is None:
            from dvc.exceptions import DvcException, NotDvcRepoError
            from dvc.repo import Repo

            try:
                self._repo = Repo(str(self.root), uninitialized=False)
            except NotDvcRepoError:
                raise InputError(
                    f"{self.root}: not a DVC project (no .dvc directory); run 'dvc init' there or pass --project-dir"
                ) from None
            except DvcException as exc:
                raise PipelineError(f"{self.root}: DVC cannot open the project: {one_line(exc)}") from None
        return self._repo

    def at(self, rev: str) -> Any:
        """A second Repo of this project switched to git revision ``rev`` for the rest of the run, or None
        when the project does not exist there. One per revision: its index (dvc.yaml and dvc.lock parsed)
        is built once and serves the metrics, the params and every file a metric family reads, where
        ``dvc.api.open`` opens (and indexes) the repository again for each file."""
        if rev not in self._revisions:
            from dvc.exceptions import NotDvcRepoError
            from dvc.repo import Repo
            from dvc.repo.brancher import switch

            with contextlib.chdir(self.root):  # DVC keeps the working directory's place inside the revision
                repo = Repo(str(self.root), uninitialized=False)
                try:
                    self._switched.enter_context(switch(repo, rev))
                except NotDvcRepoError:
                    repo.close()
                    repo = None
                else:
                    self._switched.callback(repo.close)
            self._revisions[rev] = repo
        return self._revisions[rev]

    def close(self) -> None:
        self._switched.close()
        self._revisions.clear()
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    @property
    def cache_dir(self) -> str:
        return self.repo.cache.local_cache_dir  # the cache root (.dvc/cache), not its files/md5 part

    def has_remote(self) -> bool:
        return bool(self.repo.config.get("core", {}).get("remote"))

    def remote_problem(self) -> str | None:
        """Why DVC cannot use the default remote at all, checked without contacting it: the plugin package its
        URL's scheme needs is not installed (``gdrive://`` without dvc-gdrive). One line naming the package to
        install; None when there is no default remote or DVC has what it needs for it."""
        from urllib.parse import urlparse

        from dvc.fs import get_fs_config, registry

        name = self.repo.config.get("core", {}).get("remote")
        if not name:
            return None
        try:
            url = str(get_fs_config(self.repo.config, name=name).get("url") or "")
            registry[urlparse(url).scheme]  # imports the scheme's file system class
        except ImportError as exc:
            return missing_plugin(exc, self._remote_words())
        except Exception:  # noqa: BLE001 - anything else DVC words itself when it uses the remote
            return None
        return None

    def reproduce(self, progress: Progress, *, pull: bool = False, force: bool = False) -> list[StageRun]:
        """Run ``dvc repro`` in-process; report each stage as it runs, is skipped or is restored.

        With ``force``: ``dvc repro --force``, every stage runs even when DVC finds it up to date.

        With ``pull``: ``dvc repro --pull`` (the run-cache is pulled first; an unchanged stage whose
        outputs are missing is restored from the remote; a changed one is restored from the run-cache
        when it matches, else run), then a plain ``dvc repro`` for what the remote cannot carry:
        ``cache: false`` outputs that git does not hold either, whose stage the pull left "unchanged".
        Not ``--allow-missing``: it skips such stages without restoring anything, which leaves
        DVC-cached metrics unreadable and the work tree incomplete.

        The run-cache is pulled here, before DVC's repro (which then pulls it no more): DVC's own pull
        ends the whole repro on any failure but "not supported", which would hide the stages' own outcome.
        A failed pull is a warning (``self.warnings``): the stages it would have restored run instead.
        A remote whose scheme's plugin is not installed is an InputError naming the package.
        """
        from dvc.exceptions import DvcException

        events = _StageEvents(progress)
        try:
            # DVC resolves its default target 'dvc.yaml' against the working directory, as its CLI does:
            # run from the project root, or a subdirectory project or a worktree reproduces the wrong one.
            with contextlib.chdir(self.root), events.attached(), without_github_secrets():
                if pull:
                    self._pull_run_cache(events)
                    with _run_cache_pulled(self.repo):
                        self.repo.reproduce(pull=True, force=force)
                    self.repo.reproduce()
                else:
                    self.repo.reproduce(force=force)
        except DvcException as exc:
            ran = events.finish(failed=True)
            where = "; see the stage's output above" if ran else "; fix the cause and run again"
            raise PipelineError(f"dvc repro failed in {self.root}: {redact_urls(one_line(exc))}{where}") from None
        except ImportError as exc:
            events.finish(failed=True)
            problem = missing_plugin(exc, self._remote_words())
            if problem is None:
                raise
            raise InputError(f"dvc repro in {self.root}: {problem}") from None
        finally:
            self.warnings += events.warnings
        events.finish()
        return events.runs

    def _pull_run_cache(self, events: _StageEvents) -> None:
        """``dvc pull --run-cache`` from the default remote, as ``dvc repro --pull`` starts; a failure is a warning."""
        try:
            self.repo.stage_cache.pull(None)
        except Exception as exc:  # noqa: BLE001 - the stages run instead, and say for themselves what fails
            why = redact_urls(missing_plugin(exc, self._remote_words()) or one_line(exc))
            events.warn(f"Failed to pull run cache: {why}")

    def plots_html(self, base_rev: str | None, out: Path) -> bool:
        """``dvc plots diff BASE --out OUT``: DVC's own HTML page of every plot, base against the workspace.
        False when DVC could not render it (the report still has the plots)."""
        from dvc.cli import main as dvc_main

        args = ["plots", "diff", *([base_rev] if base_rev else []), "--out", str(out), "--quiet"]
        try:
            with contextlib.chdir(self.root):
                return dvc_main(args) == 0 and (out / "index.html").is_file()
        except Exception:  # noqa: BLE001 - an extra for reviewers, never a reason to fail the run
            return False

    def checkout_quietly(self) -> None:
        """Restore tracked data from the cache; what is not there the pipeline rebuilds (no error)."""
        from dvc.exceptions import DvcException

        # ImportError: a remote whose plugin is not installed (DVC looks there for what the cache lacks)
        with contextlib.suppress(DvcException, ImportError), contextlib.chdir(self.root):  # paths from the cwd
            self.repo.checkout(allow_missing=True)

    def cached(self, rev: str) -> set[str]:
        """The outputs in ``rev``'s dvc.lock files (paths relative to the project; a pipeline's dvc.lock in a
        subfolder names its outputs from there) whose data is in the local cache."""
        import yaml

        git, _ = self._in_git(".")
        locks = {path: entry.object for path, entry in self.tree(rev).items()
                 if Path(path).name == "dvc.lock" and not path.startswith(".dvc/") and entry.kind == "blob"}
        texts = git.blobs(list(locks.values()))
        found: set[str] = set()
        for path, obj in locks.items():
            try:
                # libyaml's loader when PyYAML has it: a dvc.lock of a large pipeline parses 10x faster
                data = yaml.load(texts.get(obj, b""), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
            except yaml.YAMLError:
                continue
            stages = data.get("stages") if isinstance(data, dict) else None
            folder = os.path.dirname(path)
            for stage in stages.values() if isinstance(stages, dict) else ():
                for out in stage.get("outs") or [] if isinstance(stage, dict) else ():
                    md5 = out.get("md5") if isinstance(out, dict) else None
                    if isinstance(md5, str) and len(md5) > 2 and self._in_cache(md5):
                        found.add(Path(os.path.normpath(os.path.join(folder, str(out.get("path"))))).as_posix())
        return found

    def input_versions(self) -> dict[str, str]:
        """The pipeline's data inputs and their DVC hashes at the workspace: every dependency in dvc.lock that
        is not itself an output of a stage (code and data alike), and every file tracked by a ``.dvc`` file."""
        import yaml

        found: dict[str, str] = {}
        outs: set[str] = set()
        lock = self.root / "dvc.lock"
        try:
            data = yaml.safe_load(lock.read_text(encoding="utf-8")) if lock.is_file() else None
        except (OSError, yaml.YAMLError):
            data = None
        stages = data.get("stages") if isinstance(data, dict) else None
        for stage in stages.values() if isinstance(stages, dict) else ():
            if not isinstance(stage, dict):
                continue
            outs.update(str(o.get("path")) for o in stage.get("outs") or [] if isinstance(o, dict))
            for dep in stage.get("deps") or []:
                if isinstance(dep, dict) and isinstance(dep.get("md5"), str):
                    found[str(dep.get("path"))] = "md5:" + dep["md5"]
        for dvcfile in sorted(self.root.rglob("*.dvc")):
            if ".dvc" in dvcfile.relative_to(self.root).parts[:-1] or not dvcfile.is_file():
                continue
            try:
                tracked = yaml.safe_load(dvcfile.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError):
                continue
            folder = dvcfile.parent.relative_to(self.root)
            for out in tracked.get("outs") or [] if isinstance(tracked, dict) else ():
                if isinstance(out, dict) and isinstance(out.get("md5"), str):
                    found[(folder / str(out.get("path"))).as_posix()] = "md5:" + out["md5"]
        return {path: digest for path, digest in found.items() if path not in outs}

    def _in_cache(self, md5: str) -> bool:
        return (Path(self.cache_dir) / "files" / "md5" / md5[:2] / md5[2:]).exists()

    def tracked_by_git(self, rev: str, path: str) -> bool:
        """Whether ``path`` (relative to the project) is committed to git at ``rev``."""
        if rev in self._trees:  # listed already (a read from git): no git call
            entry = self._trees[rev].get(Path(os.path.normpath(path)).as_posix())
            return entry is not None and entry.kind == "blob"
        git, rel = self._in_git(path)
        return git.tracks(rev, rel)

    def _in_git(self, path: str) -> tuple[Any, str]:
        """The git repository holding the project, and ``path`` (relative to the project) relative to it."""
        from mlgate.edges.git import Git

        git = Git(Path(self.repo.scm.root_dir).resolve())
        return git, (self.root.resolve() / path).relative_to(git.root).as_posix()

    def push(self) -> int:
        """``dvc push --run-cache`` to the default remote: the cached outputs and the run-cache.

        Credentials come from DVC's own config and the environment; a URL's user info is masked in
        any message.
        """
        from dvc.exceptions import DvcException

        try:
            with contextlib.chdir(self.root):
                return int(self.repo.push(run_cache=True) or 0)
        except DvcException as exc:
            raise PipelineError(
                f"dvc push --run-cache failed in {self.root}: {redact_urls(one_line(exc))}; "
                "check the DVC remote's credentials (from the environment) and that it is writable"
            ) from None
        except ImportError as exc:
            problem = missing_plugin(exc, self._remote_words())
            if problem is None:
                raise
            raise PipelineError(f"dvc push --run-cache in {self.root}: {problem}") from None

    def snapshot(self, rev: str | None = None) -> Snapshot:
        """Metrics and params of the workspace (rev None) or of a git revision, flattened per file. A revision
        that declares the workspace's pipeline, with its metrics and params committed to git, is read from git
        (``edges.dvc.from_git``); any other through a DVC repository switched to it."""
        committed = self.from_git(rev) if rev is not None and rev not in self._revisions else None
        if committed is not None:
            return committed
        repo = self.repo if rev is None else self.at(rev)
        if repo is None:  # the revision has no such DVC project
            return Snapshot()
        with contextlib.chdir(self.root):
            return self._snapshot(repo)

    def from_git(self, rev: str) -> Snapshot | None:
        """``rev``'s metrics and params read from git without opening DVC there, when that gives what DVC
        would read (``edges.dvc.from_git``); None when only DVC can say. Asked once per revision."""
        if rev not in self._committed:
            from mlgate.edges.dvc import from_git

            try:
                self._committed[rev] = from_git.read(self, rev)
            except Exception:  # noqa: BLE001 - a shortcut only: DVC's own read is the answer then
                self._committed[rev] = None
        return self._committed[rev]

    def tree(self, rev: str) -> dict[str, TreeEntry]:
        """The files committed at ``rev`` under the project (paths relative to it), listed once per revision."""
        if rev not in self._trees:
            git, prefix = self._in_git(".")
            under = "" if prefix == "." else prefix + "/"
            self._trees[rev] = {path[len(under):]: entry for path, entry in git.tree(rev, prefix).items()
                                if path.startswith(under)}
        return self._trees[rev]

    def copy_file(self, path: str, rev: str, dest: Path) -> bool:
        """Stream ``path`` (relative to the project) at git revision ``rev`` into ``dest``, without
        reproducing: committed to git, or a DVC output in the cache (or the default remote). False when it
        is in neither.
        """
        import shutil

        from dvc.exceptions import DvcException, FileMissingError, PathMissingError

        if rev not in self._revisions and self._from_git(path, rev, dest):
            return True  # committed to git: no DVC repository opened at the revision for it
        repo = self.at(rev)
        if repo is None:
            return False
        try:
            with repo.dvcfs.open(Path(path).as_posix(), mode="rb") as handle:
                dest.parent.mkdir(parents=True, exist_ok=True)
                with dest.open("wb") as out:
                    shutil.copyfileobj(handle, out, 1 << 20)
            return True
        except (FileNotFoundError, FileMissingError, PathMissingError, IsADirectoryError, NotADirectoryError):
            return False
        except DvcException as exc:
            raise PipelineError(f"{path} at {rev[:7]}: DVC cannot read it: {redact_urls(one_line(exc))}") from None
        except ImportError as exc:  # not in the cache, and the remote's plugin is not installed
            problem = missing_plugin(exc, self._remote_words())
            if problem is None:
                raise
            raise InputError(f"{path} at {rev[:7]}: not in the DVC cache, and {problem}") from None

    def _from_git(self, path: str, rev: str, dest: Path) -> bool:
        """``path`` at ``rev`` from git itself, when it is committed there (not a Git LFS pointer, which DVC's
        view of the revision resolves): the plots, metrics and predictions a pipeline commits (``cache: false``)
        are read without switching a DVC repository to the revision, which costs a tenth of a second."""
        git, rel = self._in_git(path)
        if not git.save_file(rev, rel, dest):
            return False
        with dest.open("rb") as handle:
            if handle.read(len(LFS_POINTER)) != LFS_POINTER:
                return True
        dest.unlink()
        return False

    def glob_at(self, pattern: str, rev: str) -> list[str]:
        """Files matching ``pattern`` (relative to the project) at git revision ``rev``: git and DVC outputs."""
        import fnmatch

        repo = self.at(rev)
        if repo is None:
            return []
        rels = [f.lstrip("/") for f in repo.dvcfs.find("/")]
        return sorted(r for r in rels if fnmatch.fnmatch(r, pattern))

    def declared(self) -> tuple[list[str], list[str]]:
        """The metrics files and plots the pipeline declares (dvc.yaml), relative to the project."""
        from dvc.exceptions import DvcException

        metrics: list[str] = []
        plots: list[str] = []
        try:
            with contextlib.chdir(self.root):
                for stage in self.repo.index.stages:
                    for out in stage.outs:
                        rel = Path(out.fs_path).resolve().relative_to(self.root.resolve()).as_posix()
                        if out.metric and rel not in metrics:
                            metrics.append(rel)
                        if out.plot and rel not in plots:
                            plots.append(rel)
        except DvcException as exc:
            raise PipelineError(f"{self.root}: DVC cannot read the pipeline: {one_line(exc)}; fix dvc.yaml") from None
        return metrics, plots

    def _remote_words(self) -> str:
        """The default remote as a message names it: "the DVC remote 'store' (gdrive://…)"."""
        name = self.repo.config.get("core", {}).get("remote")
        return f"the DVC remote '{name}' ({self.remote_url()})" if name else "a DVC remote of this pipeline"

    def remote_url(self) -> str | None:
        """The default DVC remote's URL (credentials in it masked), or None when there is none."""
        name = self.repo.config.get("core", {}).get("remote")
        url = self.repo.config.get("remote", {}).get(name, {}).get("url") if name else None
        return redact_urls(str(url)) if url else None

    def remote_committed(self) -> bool:
        """Whether a clone has the default remote: it is named, with its URL, in .dvc/config (not only in
        .dvc/config.local or the user's own DVC config, which git does not carry)."""
        shared = self.repo.config.load_one("repo")
        name = shared.get("core", {}).get("remote")
        return bool(name and shared.get("remote", {}).get(name, {}).get("url"))

    @staticmethod
    def _snapshot(repo: Any) -> Snapshot:
        """Metrics and params read from ONE index of the workspace or a revision (``at``):
        ``repo.metrics.show(revs=[rev])`` and ``repo.params.show(...)`` each build the workspace's index and
        the revision's again (DVC's brancher always visits the workspace first), four builds where one does."""
        from dvc.repo.metrics.show import _gather_metrics
        from dvc.repo.params.show import _gather_params

        snap = Snapshot()
        with bounded_files():
            snap.metrics = flatten_show(gathered(_gather_metrics, repo), snap.errors)
            snap.params = flatten_show(gathered(_gather_params, repo), snap.errors)
        return snap


def resolved_dvc_yaml(root: Path) -> dict[str, Any] | None:
    """The project's dvc.yaml as DVC itself resolves it: ``${…}`` filled in from params files and ``vars``,
    ``foreach``/``matrix`` stages expanded; ``{"stages": {...}, "plots": [...]}``. None when DVC cannot
    resolve it (DVC's own run says why)."""
    from dvc.dvcfile import ProjectFile
    from dvc.repo import Repo

    try:
        with contextlib.chdir(root), Repo(str(root), uninitialized=False) as repo:
            resolver = ProjectFile(repo, str(root / "dvc.yaml")).resolver
            return {**resolver.resolve(), "plots": resolver.resolve_plots()}
    except Exception:  # noqa: BLE001 - the plots are shown, never a reason to fail the run
        return None












_WARNINGS = [
    (re.compile(r"^Failed to pull run cache: (?P<why>.*)", re.S),
     "the run-cache could not be pulled ({why}); a stage DVC cannot restore otherwise runs instead: "
     "the same result, only slower"),
    (re.compile(r"run-cache is not supported for (?P<why>.*)", re.S),
     "the DVC remote does not support the run-cache ({why}); unchanged stages are restored from their "
     "outputs only, and changed ones run"),
]




def explain_dvc_warning(message: str) -> str:
    """A warning DVC logged during a run, with what it means for this run when we know it."""
    text = " ".join(message.split())
    for pattern, explanation in _WARNINGS:
        found = pattern.search(text)
        if found:
            return explanation.format(**found.groupdict())
    return text


# What a workflow's environment carries that the pipeline's stages never need: the token mlgate publishes
# with, and the runner's own credentials (cache, artifacts, OIDC). A stage is the pull request's code.
GITHUB_SECRETS = ("GITHUB_TOKEN", "GH_TOKEN", "INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN",
                  "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL")
PASS_TOKEN_ENV = "MLGATE_PASS_TOKEN_TO_PIPELINE"


@contextmanager
def without_github_secrets(environ: Any = None) -> Iterator[None]:
    """The stages run (in this process's environment) without ``GITHUB_SECRETS``; restored afterwards.

    A pipeline that really needs the token gets it when the workflow sets MLGATE_PASS_TOKEN_TO_PIPELINE=true.
    """
    environ = os.environ if environ is None else environ
    if environ.get(PASS_TOKEN_ENV, "").strip().lower() in ("1", "true", "yes"):
        yield
        return
    saved = {name: environ.pop(name) for name in GITHUB_SECRETS if name in environ}
    try:
        yield
    finally:
        environ.update(saved)




def is_missing(error: str) -> bool:
    return error.startswith("missing")






class _StageEvents(logging.Handler):
    """Turns DVC's stage log records into progress lines and timed StageRun entries."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress
        self.runs: list[StageRun] = []
        self._current: tuple[str, float] | None = None
        self._pulling: str | None = None  # a stage whose outputs are being pulled: restored only once it worked
        self.ran_any = False
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        explained = redact_urls(explain_dvc_warning(message))
        if explained not in self.warnings:
            self.warnings.append(explained)
        self.progress.line(f"  DVC warning: {explained}")

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            self.warn(message)
            return
        for pattern, status in _EVENTS:
            found = pattern.match(message)
            if found:
                name = found["name"]
                if status == "unpulled":  # the remote lacks its outputs: DVC runs it next
                    self._pulling = None
                    self.runs = [r for r in self.runs if r.name != name]
                    self.progress.stage(name, "not in the remote", detail="running it instead")
                    return
                self._close()
                if status == "ran":
                    self.ran_any = True
                    self._current = (name, time.monotonic())
                    self.progress.stage(name, "running")
                elif message.startswith("Pulling"):
                    self._pulling = name
                elif self._add(StageRun(name, status, 0.0)):
                    detail = {"skipped": "unchanged", "restored": "from run-cache"}[status]
                    self.progress.stage(name, status, detail=detail)
                return

    def _add(self, run: StageRun) -> bool:
        """Record a stage's outcome; a later pass (the plain repro after --pull) only adds what it did."""
        for i, seen in enumerate(self.runs):
            if seen.name == run.name:
                if run.status == "skipped":
                    return False
                self.runs[i] = run
                return True
        self.runs.append(run)
        return True

    def _close(self, failed: bool = False) -> None:
        if self._pulling is not None:  # the pull of its outputs went through: nothing said otherwise
            name, self._pulling = self._pulling, None
            if not failed and self._add(StageRun(name, "restored", 0.0)):
                self.progress.stage(name, "restored", detail="outputs pulled from the DVC remote")
        if self._current is None:
            return
        name, start = self._current
        seconds = time.monotonic() - start
        self._current = None
        if failed:
            self.progress.stage(name, "failed", seconds)
            return
        self._add(StageRun(name, "ran", seconds))
        self.progress.stage(name, "ran", seconds)

    def finish(self, failed: bool = False) -> bool:
        """Close the last stage; True when any stage ran (its output is above)."""
        self._close(failed)
        return self.ran_any

    @contextmanager
    def attached(self) -> Iterator[None]:
        """Listen to DVC's logger while quieting its own console chatter below warnings."""
        logger = logging.getLogger("dvc")
        saved = [(h, h.level) for h in logger.handlers]
        for handler, _ in saved:  # DVC's warnings come through this handler, explained; its errors stay
            handler.setLevel(max(handler.level, logging.ERROR))
        logger.addHandler(self)
        try:
            yield
        finally:
            logger.removeHandler(self)
            for handler, level in saved:
                handler.setLevel(level)


@contextmanager
def _run_cache_pulled(repo: Any) -> Iterator[None]:
    """DVC's ``repro --pull`` without its own run-cache pull (``DvcProject._pull_run_cache`` did it)."""
    repo.stage_cache.pull = lambda *args, **kwargs: []
    try:
        yield
    finally:
        del repo.stage_cache.pull


