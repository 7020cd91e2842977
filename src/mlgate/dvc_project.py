"""The DVC edge: reproduce a pipeline and read its metrics and params through DVC's Python API.

DVC is imported lazily (it costs a few hundred milliseconds), and only here. DVC's own API records a file
it cannot load under ``error`` instead of raising; we keep those errors in the Snapshot, never a gap.
"""

from __future__ import annotations

import contextlib
import contextlib
import logging
import re
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

from mlgate.errors import InputError, PipelineError
from mlgate.progress import Progress
from mlgate.snapshot import Flat, Snapshot, flatten

_EVENTS = [
    (re.compile(r"^Running stage '(?P<name>[^']+)'"), "ran"),
    (re.compile(r"^Stage '(?P<name>[^']+)' didn't change, skipping"), "skipped"),
    (re.compile(r"^Stage '(?P<name>[^']+)' is cached - skipping run"), "restored"),
    # `repro --pull`: an unchanged stage whose outputs are missing is pulled from the remote, not run
    (re.compile(r"^Pulling data for stage: '(?P<name>[^']+)'"), "restored"),
    (re.compile(r"^Unable to pull data for stage: '(?P<name>[^']+)'"), "unpulled"),
]
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


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
                raise PipelineError(f"{self.root}: DVC cannot open the project: {_one_line(exc)}") from None
        return self._repo

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    @property
    def cache_dir(self) -> str:
        return self.repo.cache.local_cache_dir  # the cache root (.dvc/cache), not its files/md5 part

    def has_remote(self) -> bool:
        return bool(self.repo.config.get("core", {}).get("remote"))

    def reproduce(self, progress: Progress, *, pull: bool = False, force: bool = False) -> list[StageRun]:
        """Run ``dvc repro`` in-process; report each stage as it runs, is skipped or is restored.

        With ``force``: ``dvc repro --force``, every stage runs even when DVC finds it up to date.

        With ``pull``: ``dvc repro --pull`` (the run-cache is pulled first; an unchanged stage whose
        outputs are missing is restored from the remote; a changed one is restored from the run-cache
        when it matches, else run), then a plain ``dvc repro`` for what the remote cannot carry:
        ``cache: false`` outputs that git does not hold either, whose stage the pull left "unchanged".
        Not ``--allow-missing``: it skips such stages without restoring anything, which leaves
        DVC-cached metrics unreadable and the work tree incomplete.
        """
        from dvc.exceptions import DvcException

        events = _StageEvents(progress)
        try:
            # DVC resolves its default target 'dvc.yaml' against the working directory, as its CLI does:
            # run from the project root, or a subdirectory project or a worktree reproduces the wrong one.
            with contextlib.chdir(self.root), events.attached():
                self.repo.reproduce(pull=pull, force=force)
                if pull:
                    self.repo.reproduce()
        except DvcException as exc:
            events.finish(failed=True)
            raise PipelineError(f"dvc repro failed in {self.root}: {_one_line(exc)}; see the stage's output above") from None
        events.finish()
        return events.runs

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
                f"dvc push --run-cache failed in {self.root}: {redact_urls(_one_line(exc))}; "
                "check the DVC remote's credentials (from the environment) and that it is writable"
            ) from None

    def snapshot(self, rev: str | None = None) -> Snapshot:
        """Metrics and params of the workspace (rev None) or of a git revision, flattened per file."""
        repo = self.repo
        with contextlib.chdir(self.root):
            return self._snapshot(repo, rev)

    def read_file(self, path: str, rev: str) -> bytes | None:
        """The bytes of ``path`` (relative to the project) at git revision ``rev``, without reproducing:
        committed to git, or a DVC output in the cache (or the default remote). None when it is in neither.
        """
        import dvc.api
        from dvc.exceptions import DvcException, FileMissingError, PathMissingError

        git_root = Path(self.repo.scm.root_dir).resolve()
        rel = (self.root.resolve() / path).relative_to(git_root).as_posix()
        try:
            with dvc.api.open(rel, repo=str(git_root), rev=rev, mode="rb") as handle:
                return handle.read()
        except (FileMissingError, PathMissingError):
            return None
        except DvcException as exc:
            raise PipelineError(f"{path} at {rev[:7]}: DVC cannot read it: {redact_urls(_one_line(exc))}") from None

    def _snapshot(self, repo: Any, rev: str | None) -> Snapshot:
        if rev is None:
            metrics = repo.metrics.show(hide_workspace=False)
            params = repo.params.show(hide_workspace=False)
        else:
            metrics = repo.metrics.show(revs=[rev], hide_workspace=True)
            params = repo.params.show(revs=[rev], hide_workspace=True)
        snap = Snapshot()
        snap.metrics = _flatten_show(_pick(metrics, rev), snap.errors)
        snap.params = _flatten_show(_pick(params, rev), snap.errors)
        return snap


def _pick(shown: dict[str, Any], rev: str | None) -> dict[str, Any]:
    for key in ([rev] if rev else ["workspace", ""]):
        if key in shown:
            return shown[key]
    return next(iter(shown.values()), {}) if shown else {}


def _flatten_show(entry: dict[str, Any], errors: dict[str, str]) -> Flat:
    if "error" in entry and not entry.get("data"):
        errors["(pipeline)"] = _one_line(entry["error"])
        return {}
    out: Flat = {}
    for path, file_entry in (entry.get("data") or {}).items():
        if "error" in file_entry:
            errors[path] = _describe_load_error(file_entry["error"])
            continue
        out[path] = flatten(file_entry.get("data") or {})
    return out


def redact_urls(text: str) -> str:
    """``scheme://user:secret@host`` becomes ``scheme://***@host``."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def is_missing(error: str) -> bool:
    return error.startswith("missing")


def _describe_load_error(exc: Any) -> str:
    if isinstance(exc, FileNotFoundError) or "FileNotFound" in type(exc).__name__:
        return "missing (the file does not exist)"
    return _one_line(exc)


def _one_line(exc: Any) -> str:
    text = str(exc) or type(exc).__name__
    cause = getattr(exc, "__cause__", None)
    if cause is not None and str(cause) and str(cause) not in text:
        text = f"{text}: {cause}"
    return " ".join(text.split())


class _StageEvents(logging.Handler):
    """Turns DVC's stage log records into progress lines and timed StageRun entries."""

    def __init__(self, progress: Progress) -> None:
        super().__init__(logging.INFO)
        self.progress = progress
        self.runs: list[StageRun] = []
        self._current: tuple[str, float] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        for pattern, status in _EVENTS:
            found = pattern.match(message)
            if found:
                self._close()
                name = found["name"]
                if status == "ran":
                    self._current = (name, time.monotonic())
                    self.progress.stage(name, "running")
                elif status == "unpulled":  # the remote lacks its outputs: DVC runs it next
                    self.runs = [r for r in self.runs if r.name != name]
                    self.progress.stage(name, "not in the remote", detail="running it instead")
                elif self._add(StageRun(name, status, 0.0)):
                    detail = {"skipped": "unchanged", "restored": "from run-cache"}[status]
                    if message.startswith("Pulling"):
                        detail = "outputs pulled from the DVC remote"
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

    def finish(self, failed: bool = False) -> None:
        self._close(failed)

    @contextmanager
    def attached(self) -> Iterator[None]:
        """Listen to DVC's logger while quieting its own console chatter below warnings."""
        logger = logging.getLogger("dvc")
        saved = [(h, h.level) for h in logger.handlers]
        for handler, _ in saved:
            handler.setLevel(max(handler.level, logging.WARNING))
        logger.addHandler(self)
        try:
            yield
        finally:
            logger.removeHandler(self)
            for handler, level in saved:
                handler.setLevel(level)
