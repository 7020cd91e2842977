"""An exception DVC let escape (not a ``DvcException``), told apart from a bug in mlgate.

DVC's own command line calls such an exception "unexpected error" and exits 255. mlgate's last line of
defence (mlgate.cli) asks `dvc_failure` first: when the exception was raised inside DVC or a package it
imports, the line names what to fix, in the project or in the environment, instead of blaming mlgate:

* a ``.dvcignore`` pattern DVC's ignore parser rejects (a bare ``!``): bad input, exit 2, naming the file;
* an ``ImportError`` inside DVC: a package DVC imports does not fit this DVC (``dvc==3.54.1`` with
  ``pathspec`` 1.x): the environment, exit 3, naming both versions;
* anything else raised inside DVC: exit 3, with DVC's version and the command that shows DVC's own view.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path
from types import TracebackType

from mlgate.errors import InputError, MlgateError, PipelineError
from mlgate.text.safe import one_line

# Top-level packages of DVC and what it imports to read a project (a frame there raised it, not mlgate).
DVC_PACKAGES = frozenset(("dvc", "dvc_data", "dvc_objects", "dvc_render", "dvc_task", "dvc_studio_client", "scmrepo",
                          "pathspec", "dulwich", "pygit2", "funcy", "fsspec", "omegaconf", "hydra", "dpath",
                          "flufl", "zc", "sqltrie", "pygtrie", "voluptuous", "configobj", "grandalf"))


MLGATE = Path(__file__).resolve().parents[2]  # src/mlgate, or site-packages/mlgate


def _package(filename: str) -> str | None:
    """The top-level package a frame's file belongs to: "mlgate", an installed package's name, or None for the
    standard library."""
    path = Path(filename)
    if path.is_relative_to(MLGATE):
        return "mlgate"
    parts = path.parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            rest = parts[parts.index(marker) + 1:]
            return rest[0].removesuffix(".py") if rest else None
    return None


def _frames(tb: TracebackType | None) -> list[TracebackType]:
    out = []
    while tb is not None:
        out.append(tb)
        tb = tb.tb_next
    return out


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "?"


def _ignore_file(frames: list[TracebackType]) -> str:
    """The .dvcignore DVC was reading, from its ignore parser's frames (``path``, else ``dirname``)."""
    for tb in reversed(frames):
        if Path(tb.tb_frame.f_code.co_filename).name != "ignore.py":
            continue
        names = tb.tb_frame.f_locals
        path = names.get("path")
        if isinstance(path, str) and path.endswith(".dvcignore"):
            return path
        dirname = names.get("dirname")
        if isinstance(dirname, str):
            return str(Path(dirname) / ".dvcignore")
    return ".dvcignore"


def _shown(path: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path


def dvc_failure(exc: BaseException) -> MlgateError | None:
    """The one-line error for an exception raised inside DVC or a package it imports; None when mlgate raised
    it (a bug in mlgate, said as such by the caller)."""
    frames = _frames(exc.__traceback__)
    if not frames:
        return None
    owners = [_package(tb.tb_frame.f_code.co_filename) for tb in frames]
    raised_in = next((o for o in reversed(owners) if o is not None), None)  # the standard library speaks for its caller
    if raised_in not in DVC_PACKAGES or "dvc" not in owners[owners.index("mlgate") if "mlgate" in owners else 0:]:
        return None  # mlgate's own code raised it, or called pathspec or fsspec itself: not DVC's failure
    inside = [tb for tb, o in zip(frames, owners) if o in DVC_PACKAGES]
    what = one_line(f"{type(exc).__name__}: {exc}")
    dvc = _version("dvc")
    if type(exc).__name__.endswith("PatternError") and any(
            Path(tb.tb_frame.f_code.co_filename).name == "ignore.py" for tb in inside):
        ignore = _ignore_file(inside)
        return InputError(f"{_shown(ignore)}: DVC cannot read a pattern in it ({what}); fix or remove that line")
    if isinstance(exc, ModuleNotFoundError):
        return PipelineError(f"DVC {dvc} cannot start in this environment: {what}; a package DVC needs is missing: "
                             f"reinstall dvc with its dependencies (pip install 'dvc=={dvc}')")
    if isinstance(exc, ImportError):
        module = (exc.name or "").split(".")[0] or "a package"
        dist = (metadata.packages_distributions().get(module) or [module])[0]  # yaml is PyYAML's
        found = f"{dist} {_version(dist)}" if module != "a package" else module
        return PipelineError(f"DVC {dvc} cannot start in this environment: {what}; {found} does not fit DVC {dvc}: "
                             f"upgrade dvc, or pin {dist} to a release DVC {dvc} supports")
    return PipelineError(f"DVC {dvc} failed: {what}; run 'dvc doctor' and 'dvc status' in the project for DVC's "
                         "own view (set MLGATE_DEBUG=1 for the traceback)")
