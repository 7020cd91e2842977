"""The plots family: the plots dvc.yaml declares, head against base, for the report (shown, never gated).

Reads the head's dvc.yaml for the definitions and each plot's data files on both sides through the
Sides. Line-like plots become two series on shared axes (``mlgate.plots.curves``), confusion matrices
counts per cell (``mlgate.plots.confusion``), images a changed/unchanged mark by content hash; the
changed images are listed in ``section["images_changed"]`` for the run's artifact. ``report.plots:
false`` turns the family off; ``report.plots: [ids]`` keeps those plots.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Any

import yaml

from mlgate.config import Config
from mlgate.errors import ConfigError
from mlgate.families import FamilyResult, Side
from mlgate.plots.confusion import confusion_plot, counts
from mlgate.plots.curves import line_plot, side_curves
from mlgate.plots.data import PlotDataError, Record, read_records
from mlgate.plots.definitions import DATA_SUFFIXES, IMAGE_SUFFIXES, PlotDef, plot_definitions

KEY = "plots"
_ORDER = {"changed": 0, "added": 1, "removed": 2, "unreadable": 3, "no base": 4, "unchanged": 5}


def compute(config: Config, head: Side, base: Side | None, *, recorded: Any = None,
            progress: Any = None) -> FamilyResult | None:
    """The plots section; None when ``report.plots`` is false or dvc.yaml declares no plots (``recorded`` unused)."""
    wanted = config.report.plots
    if wanted is False:
        return None
    dvc_yaml = head.path("dvc.yaml")
    if dvc_yaml is None:
        return None
    try:
        parsed = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # DVC itself reports a broken dvc.yaml; the plots stay out of the report
    definitions, notes = plot_definitions(parsed)
    definitions = _expand(definitions, head)
    if isinstance(wanted, list):
        known = {d.id for d in definitions}
        unknown = [i for i in wanted if i not in known and not any(d.id.startswith(i.rstrip("/") + "/") for d in definitions)]
        if unknown:
            listing = ", ".join(sorted(known)[:10]) or "none"
            raise ConfigError(
                f"mlgate.yaml: report.plots: {unknown[0]!r} is not a plot in dvc.yaml (plots: {listing}); "
                "fix the id, or write report.plots: true for all of them"
            )
        definitions = [d for d in definitions if d.id in wanted or any(d.id.startswith(i.rstrip('/') + '/') for i in wanted)]
    if not definitions:
        return None
    plots = [_plot(d, head, base) for d in definitions]
    plots.sort(key=lambda p: _ORDER.get(p["status"], 9))
    warnings = tuple(notes) + tuple(f"plot {p['id']}: {p['error']}" for p in plots if p.get("error"))
    section = {
        "plots": plots,
        "total": len(plots),
        "changed": sum(1 for p in plots if p["status"] in ("changed", "added", "removed")),
        "images_changed": [p["id"] for p in plots if p["kind"] == "image" and p["status"] in ("changed", "added")],
        "base": base is not None,
    }
    return FamilyResult(key=KEY, file=KEY, head={}, base=None, section=section, warnings=warnings)


def _expand(definitions: list[PlotDef], head: Side) -> list[PlotDef]:
    """A directory plot is one plot per data or image file in it, as DVC draws it."""
    out: list[PlotDef] = []
    for d in definitions:
        source = next(iter(d.sources))
        if len(d.sources) == 1 and PurePosixPath(source).suffix.lower() not in DATA_SUFFIXES + IMAGE_SUFFIXES:
            files = [f for f in head.glob(f"{source}/**/*")
                     if PurePosixPath(f).suffix.lower() in DATA_SUFFIXES + IMAGE_SUFFIXES]
            for f in files:
                out.append(PlotDef(f, {f: d.sources[source]}, d.x, d.template, d.title, d.x_label, d.y_label))
            if files:
                continue
        out.append(d)
    return out


def _digest(side: Side | None, rel: str) -> str | None:
    path = side.path(rel) if side is not None else None
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _status(d: PlotDef, head: Side, base: Side | None) -> str:
    head_hashes = [_digest(head, s) for s in d.sources]
    if base is None:
        return "no base"
    base_hashes = [_digest(base, s) for s in d.sources]
    if all(h is None for h in base_hashes):
        return "added"
    if all(h is None for h in head_hashes):
        return "removed"
    return "unchanged" if head_hashes == base_hashes else "changed"


def _read(side: Side | None, d: PlotDef) -> dict[str, list[Record]] | None:
    if side is None:
        return None
    found = {}
    for source in d.sources:
        path = side.path(source)
        if path is not None and path.is_file():
            found[source] = read_records(path, source)
    return found or None


def _plot(d: PlotDef, head: Side, base: Side | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": d.id, "kind": d.kind, "template": d.template, "title": d.title,
                             "status": _status(d, head, base)}
    if d.kind == "image":
        entry["digest"] = (_digest(head, next(iter(d.sources))) or "")[:12]
        return entry
    try:
        head_data, base_data = _read(head, d), _read(base, d)
    except PlotDataError as exc:
        return {**entry, "status": "unreadable", "error": str(exc)}
    except OSError as exc:
        return {**entry, "status": "unreadable", "error": exc.strerror or str(exc)}
    if head_data is None:
        return {**entry, "status": "removed" if entry["status"] != "no base" else "unreadable",
                "error": None if entry["status"] == "removed" else "no data file at the head"}
    if d.kind == "confusion":
        first = next(iter(d.sources))
        x, y = d.x or "predicted", (d.sources[first] or ("actual",))[0]
        head_counts = counts([r for rs in head_data.values() for r in rs], x, y)
        base_counts = counts([r for rs in base_data.values() for r in rs], x, y) if base_data else None
        if not head_counts:
            return {**entry, "status": "unreadable", "error": f"no records with fields {x!r} and {y!r}"}
        entry.update(confusion_plot(head_counts, base_counts, normalized=d.template.endswith("normalized")),
                     x_label=d.x_label or x, y_label=d.y_label or y)
        return entry
    head_curves = side_curves(head_data, d.sources, d.x)
    if not head_curves.curves:
        return {**entry, "status": "unreadable", "error": "no numeric x and y values"}
    base_curves = side_curves(base_data, d.sources, d.x) if base_data else None
    entry.update(line_plot(head_curves, base_curves, x_label=d.x_label, y_label=d.y_label))
    if d.kind == "bar":
        entry["kind"] = "line"  # drawn as values along the axis: DVC's horizontal bars have no xychart form
    return entry
