"""What `mlgate init` and `mlgate check` learn from a DVC project without running it, through DVC's own
collection: the metrics files `dvc metrics show` reads (stages' ``metrics:`` outputs, dvc.yaml's top-level
``metrics:`` that dvclive writes, a directory expanded to its files), the plots it declares, whether a
pipeline file does not parse (and which), and the DVC-tracked data a fresh clone must pull.

DVC is imported lazily; every call goes through a `DvcProject`'s opened repository.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.edges.dvc.project import DvcProject, is_missing
from mlgate.edges.dvc.read import one_line
from mlgate.errors import InputError

# DVC went to the remote for a file the workspace lacks (a partial output directory) and could not reach it.
UNFETCHED = re.compile(r"failed to load directory|cannot connect|connection (?:refused|reset|error)|timed out|"
                       r"name or service not known|no remote", re.I)
PIPELINE_FILE = re.compile(r"'\.?/?([^']*(?:dvc\.yaml|dvc\.lock|\.dvc))'")


@dataclass(frozen=True)
class Declared:
    """The project's pipeline as DVC collects it (paths relative to the project)."""

    pipeline: bool  # a dvc.yaml exists (stages, or only top-level metrics / plots / params)
    metric_files: tuple[str, ...]
    plots: tuple[str, ...]
    pulled: tuple[tuple[str, str], ...]  # (data path, its .dvc file): data a fresh clone must pull


def pipeline_error(exc: Exception, root: Path) -> InputError:
    """A pipeline file DVC cannot parse, as one line naming that file (dvc.yaml, dvc.lock or a .dvc file)."""
    path = getattr(exc, "path", None)
    if not path:
        found = PIPELINE_FILE.search(str(exc))
        path = found.group(1) if found else "dvc.yaml"
    rel = Path(path)
    shown = rel.as_posix() if not rel.is_absolute() else str(rel)
    with contextlib.suppress(ValueError):
        shown = (root / rel).resolve().relative_to(Path.cwd()).as_posix()
    fix = (f"fix {shown}, or delete it and run 'dvc repro' to write it again" if rel.name == "dvc.lock"
           else f"fix {shown}")
    return InputError(f"{shown}: DVC cannot parse it: {describe(one_line(exc))}; {fix}")


def check_pipeline(project: DvcProject) -> None:
    """Raise `InputError` (exit 2) naming the pipeline file DVC cannot parse; nothing when all parse."""
    from dvc.exceptions import DvcException

    try:
        with contextlib.chdir(project.root):
            project.repo.index.stages  # noqa: B018 - parses every dvc.yaml, dvc.lock and .dvc file
    except DvcException as exc:
        raise pipeline_error(exc, project.root) from None


def declared(project: DvcProject) -> Declared:
    """What the project declares, read as `dvc metrics show` collects metrics; a file that does not parse
    is an `InputError` naming it."""
    from dvc.exceptions import DvcException
    from dvc.repo.metrics.show import _collect_metrics

    try:
        with contextlib.chdir(project.root):
            repo = project.repo
            index = repo.index
            metrics = [path.lstrip("/") for path in _collect_metrics(repo)]
            dvcfiles = {stage.dvcfile.path for stage in index.stages} | set(index._metrics) | set(index._plots) \
                | set(index._params)
            pipeline = (project.root / "dvc.yaml").is_file() or any(Path(p).name == "dvc.yaml" for p in dvcfiles)
            plots = _plots(repo, index)
            pulled = _pulled(repo, index)
    except DvcException as exc:
        raise pipeline_error(exc, project.root) from None
    return Declared(pipeline, tuple(dict.fromkeys(metrics)), tuple(plots), tuple(pulled))


def _relative(repo: Any, fs_path: str) -> str:
    return Path(repo.fs.relpath(fs_path, repo.root_dir)).as_posix()


def _plots(repo: Any, index: Any) -> list[str]:
    found = [_relative(repo, out.fs_path) for out in index.plots]
    for dvcfile, definitions in index._plots.items():
        folder = Path(repo.fs.relpath(repo.fs.parent(dvcfile), repo.root_dir))
        for definition in definitions:
            items = definition.items() if isinstance(definition, dict) else [(definition, {})]
            for name, props in items:
                sources = props.get("y") if isinstance(props, dict) else None
                for source in (list(sources) if isinstance(sources, dict) else [name]):
                    found.append((folder / str(source)).as_posix().removeprefix("./"))
    return list(dict.fromkeys(found))


def _pulled(repo: Any, index: Any) -> list[tuple[str, str]]:
    """DVC-tracked data no pipeline stage writes (a .dvc file: ``dvc add``, ``dvc import``): a fresh clone has
    it only by pulling it, and a run pulls only from a configured remote (an import is frozen: repro does not
    fetch it again)."""
    out: list[tuple[str, str]] = []
    for stage in index.stages:
        if stage.cmd:
            continue
        for output in stage.outs:
            if output.use_cache:
                out.append((_relative(repo, output.fs_path), _relative(repo, stage.dvcfile.path)))
    return out


def describe(why: str) -> str:
    """DVC's words for a file it could not parse, without its wrapping: ``not valid YAML at line 3 (expected
    ',' or ']', but got '{')``; any other reason as DVC gave it."""
    corrupt = re.search(r"\b(JSON|YAML|TOML) file structure is corrupted(?:: (.*))?", why)
    if not corrupt:
        return why
    kind, detail = corrupt.group(1), corrupt.group(2) or ""
    if "<unicode string>" in detail:  # YAML's own pointer: the line, then the parser's words
        line = re.search(r"line:? (\d+)", detail)
        words = "; ".join(part.strip() for part in re.split(r'in "<unicode string>"[^)]*\)', detail) if part.strip())
        return f"not valid {kind}" + (f" at line {line.group(1)}" if line else "") + (f" ({words})" if words else "")
    return f"not valid {kind}" + (f": {detail}" if detail else "")


def unreadable(errors: dict[str, str]) -> dict[str, str]:
    """The files DVC could read but not parse (or over mlgate's limits): a file missing from the workspace,
    or one DVC could not fetch from its remote, is not there yet, not broken."""
    return {path: why for path, why in errors.items() if not is_missing(why) and not UNFETCHED.search(why)}


def unreadable_reason(why: str) -> str:
    """Why DVC could not read a metrics file, in words safe to write into mlgate.yaml: the format that
    did not parse and where, never the raw exception nor a path of this machine."""
    if is_missing(why):
        return "missing"
    corrupt = re.search(r"\b(JSON|YAML|TOML)\b", why)
    where = re.search(r"line:? (\d+)", why)
    if corrupt and "corrupt" in why:
        return f"not valid {corrupt.group(1)}" + (f" (line {where.group(1)})" if where else "")
    if "more than the" in why and "mlgate" in why:
        return "too large for a metrics file"
    if "both named" in why:
        return "two of its metrics have the same dotted name"
    return "DVC cannot read it; `mlgate check` says why"
