"""Metrics and params files read through DVC's parsers, bounded: size, value count and YAML alias
expansion are limited before DVC walks a file, and every unreadable file becomes one line naming it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mlgate.gating.snapshot import AmbiguousKey, Flat, flatten

# DVC's words when a remote's scheme needs a plugin package that is not installed (dvc_objects.fs.registry)
_PLUGIN = re.compile(r"\b(?P<scheme>[a-z0-9+.-]+) is supported, but requires '(?P<package>[^']+)' to be installed")


MAX_FILE_CHARS = 20_000_000  # a metrics or params file larger than this is not metrics


MAX_FILE_VALUES = 100_000  # values in one metrics or params file, after flattening (as config.MAX_YAML_NODES)


class FileTooLarge(ValueError):
    """A metrics or params file over mlgate's limits (size, values, or YAML alias expansion)."""


@contextmanager
def bounded_files() -> Iterator[None]:
    """DVC's parsers of metrics and params files (YAML, JSON, TOML, Python), with an oversized file or a
    YAML alias bomb refused before DVC walks it (it expands every alias while extracting metrics: a few
    lines can mean billions of values). DVC records the refusal as that file's load error, like any
    unreadable file; the value count is checked after flattening (``flatten_show``)."""
    import yaml
    from dvc.utils.serialize import _json, _py, _toml, _yaml

    from mlgate.config.load import MAX_YAML_NODES, yaml_size

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    originals = {module: module.__dict__[name] for module, name in
                 ((_yaml, "parse_yaml"), (_json, "parse_json"), (_toml, "parse_toml"), (_py, "parse_py"))}

    def sized(text: str) -> None:
        if len(text) > MAX_FILE_CHARS:
            raise FileTooLarge(f"{len(text):,} characters, more than the {MAX_FILE_CHARS:,} mlgate reads in a metrics "
                               "or params file; write per-example data to a plots or predictions file instead")

    def parse_yaml(text: str, path: str, typ: str = "safe") -> Any:
        sized(text)
        if "*" in text:  # without an alias nothing expands
            try:
                size = yaml_size(yaml.compose(text, Loader=loader))
            except (yaml.YAMLError, RecursionError):
                size = 0  # DVC's own parser says what is wrong with it
            if size > MAX_YAML_NODES:
                raise FileTooLarge(f"expands to more than {MAX_YAML_NODES:,} values through YAML aliases "
                                   "(&anchor/*alias); write the values out")
        return originals[_yaml](text, path, typ)

    def guarded(module: Any) -> Any:
        def parse(text: str, path: str, *args: Any, **kwargs: Any) -> Any:
            sized(text)
            return originals[module](text, path, *args, **kwargs)
        return parse

    replacements = {_yaml: ("parse_yaml", parse_yaml), _json: ("parse_json", guarded(_json)),
                    _toml: ("parse_toml", guarded(_toml)), _py: ("parse_py", guarded(_py))}
    for module, (name, function) in replacements.items():
        setattr(module, name, function)
    try:
        yield
    finally:
        for module, (name, _) in replacements.items():
            setattr(module, name, originals[module])


def gathered(gather: Any, repo: Any) -> dict[str, Any]:
    """One revision's entry as ``show`` returns it: its files' data, or the error that stopped it."""
    try:
        return {"data": gather(repo, on_error="return")}
    except Exception as exc:  # noqa: BLE001 - recorded as DVC's own show() records it
        return {"error": exc}


def flatten_show(entry: dict[str, Any], errors: dict[str, str]) -> Flat:
    if "error" in entry and not entry.get("data"):
        errors["(pipeline)"] = one_line(entry["error"])
        return {}
    out: Flat = {}
    for path, file_entry in (entry.get("data") or {}).items():
        if "error" in file_entry:
            errors[path] = _describe_load_error(file_entry["error"], path)
            continue
        try:
            flat = flatten(file_entry.get("data") or {})
        except AmbiguousKey as exc:
            errors[path] = str(exc)
            continue
        if len(flat) > MAX_FILE_VALUES:
            errors[path] = (f"{len(flat):,} values, more than the {MAX_FILE_VALUES:,} mlgate compares in one metrics or "
                            "params file; write per-example data to a plots or predictions file instead")
            continue
        out[path] = flat
    return out


def missing_plugin(exc: BaseException, what: str) -> str | None:
    """``what`` (say, "the DVC remote 'store' (gdrive://…)") needs a DVC plugin that is not installed, in one
    line naming the package to install; None when ``exc`` is not DVC's missing-plugin ImportError."""
    found = _PLUGIN.search(one_line(exc)) if isinstance(exc, ImportError) else None
    if found is None:
        return None
    package = found["package"]
    return (f"{what} needs DVC's {found['scheme']} plugin, which is not installed: pip install {package} "
            f"(in the Action: add {package} to the requirements file)")


def _describe_load_error(exc: Any, path: str) -> str:
    """Why DVC could not load ``path`` (as DVC names it to the user: relative to the project). DVC's parse
    errors name the file by its place in DVC's own file system made relative to the working directory
    (``'../../../eval/metrics.json'``): that name becomes ``path``."""
    if isinstance(exc, FileNotFoundError) or "FileNotFound" in type(exc).__name__:
        return "missing (the file does not exist)"
    plugin = missing_plugin(exc, "the DVC remote holding it")
    if plugin is not None:
        return f"not in the DVC cache, and {plugin}"
    text = one_line(exc)
    named = getattr(exc, "path", None)
    if isinstance(named, str) and named and named != path:
        text = text.replace(f"'{named}'", f"'{path}'")
    return text


def one_line(exc: Any) -> str:
    """The exception and its whole cause chain on one line: DVC wraps the real cause several levels deep
    ("failed to reproduce …: SCM error: Failed to clone …: No git repository was found at …")."""
    parts: list[str] = []
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = " ".join((str(exc) or type(exc).__name__).split())
        if not any(text in part for part in parts):
            parts.append(text)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return ": ".join(parts)
