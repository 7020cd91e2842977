"""The plots family: the plots dvc.yaml declares, head against base, for the report (shown, never gated).

Reads the head's dvc.yaml for the definitions and each plot's data files on both sides through the
Sides. Line-like plots become two series on shared axes (``mlgate.families.plots.curves``), confusion matrices
counts per cell (``mlgate.families.plots.confusion``), images a changed/unchanged mark by content hash; the
changed images are listed in ``section["images_changed"]`` for the run's artifact. ``report.plots:
false`` turns the family off; ``report.plots: [ids]`` keeps those plots.
"""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath
from typing import Any

import yaml

from mlgate.config.schema import Config
from mlgate.edges.sides import Side
from mlgate.errors import ConfigError, MlgateError
from mlgate.families import FamilyResult
from mlgate.families.plots.confusion import confusion_plot, counts, roles
from mlgate.families.plots.curves import line_plot, side_curves
from mlgate.families.plots.data import PlotDataError, Record, read_records
from mlgate.families.plots.definitions import DATA_SUFFIXES, IMAGE_SUFFIXES, PlotDef, plot_definitions

KEY = "plots"
_ORDER = {"changed": 0, "added": 1, "removed": 2, "unreadable": 3, "base unread": 4, "no base": 5, "unchanged": 6}


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
        text = dvc_yaml.read_text(encoding="utf-8")
        parsed = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None  # DVC itself reports a broken dvc.yaml; the plots stay out of the report
    if "${" in text or (isinstance(parsed, dict) and _expanded(parsed.get("stages"))):
        from mlgate.edges.dvc.project import resolved_dvc_yaml

        parsed = resolved_dvc_yaml(dvc_yaml.parent)  # the paths and fields DVC itself plots
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
    warnings = tuple(notes) + tuple(f"plot {p['id']}: {p['error']}" for p in plots if p.get("error")) + tuple(
        f"plot {p['id']}: the base's data was not read ({p['base_unread']}); the head is shown alone"
        for p in plots if p.get("base_unread"))
    section = {
        "plots": plots,
        "total": len(plots),
        "changed": sum(1 for p in plots if p["status"] in ("changed", "added", "removed")),
        "base_unread": sum(1 for p in plots if p["status"] == "base unread"),
        "images_changed": [p["id"] for p in plots if p["kind"] == "image" and p["status"] in ("changed", "added")],
        "base": base is not None,
    }
    return FamilyResult(key=KEY, file=KEY, head={}, base=None, section=section, warnings=warnings)


def _expanded(stages: Any) -> bool:
    """Whether a stage is written as ``foreach``/``matrix`` (DVC expands it into several)."""
    return isinstance(stages, dict) and any(isinstance(st, dict) and ("foreach" in st or "matrix" in st)
                                            for st in stages.values())


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


def _status(d: PlotDef, head: Side, base: Side | None) -> tuple[str, str | None]:
    """The plot's status by its files' content, and why the base's files were not read (None: they were)."""
    head_hashes = [_digest(head, s) for s in d.sources]
    if base is None:
        return "no base", None
    try:
        base_hashes = [_digest(base, s) for s in d.sources]
    except MlgateError as exc:  # DVC could not fetch the base's file (say, the remote's plugin is missing)
        return "base unread", str(exc)
    if all(h is None for h in base_hashes):
        return "added", None
    if all(h is None for h in head_hashes):
        return "removed", None
    return ("unchanged" if head_hashes == base_hashes else "changed"), None


def _read(side: Side | None, d: PlotDef) -> dict[str, list[Record]] | None:
    """Each data file's records; raises PlotDataError with the reason when one cannot be read."""
    if side is None:
        return None
    found = {}
    for source in d.sources:
        path = side.path(source)
        if path is not None and path.is_file():
            try:
                found[source] = read_records(path, source)
            except OSError as exc:
                raise PlotDataError(exc.strerror or str(exc)) from None
    return found or None


def _plot(d: PlotDef, head: Side, base: Side | None) -> dict[str, Any]:
    status, base_unread = _status(d, head, base)
    entry: dict[str, Any] = {"id": d.id, "kind": d.kind, "template": d.template, "title": d.title, "status": status}
    if d.kind == "image":
        entry["digest"] = (_digest(head, next(iter(d.sources))) or "")[:12]
        return _with_base_note(entry, base_unread)
    try:
        head_data = _read(head, d)
    except PlotDataError as exc:
        return {**entry, "status": "unreadable", "error": str(exc)}
    if head_data is None:
        return {**entry, "status": "removed" if status != "no base" else "unreadable",
                "error": None if status == "removed" else "no data file at the head"}
    base_data = None
    if base_unread is None:
        try:
            base_data = _read(base, d)
        except PlotDataError as exc:
            base_unread = f"{_base_files(d)}: {exc}"
    if d.kind == "confusion":
        return _confusion(entry, d, head_data, base_data, base_unread)
    head_curves = side_curves(head_data, d.sources, d.x)
    if not head_curves.curves:
        return {**entry, "status": "unreadable", "error": "no numeric x and y values"}
    base_curves = side_curves(base_data, d.sources, d.x, like=head_curves) if base_data else None
    if base_curves is not None and not set(base_curves.curves) & set(head_curves.curves):
        fields = ", ".join(repr(name) for name in head_curves.curves)
        base_unread = f"{_base_files(d)} holds no numeric values of {fields} along {head_curves.x_field!r}"
        base_curves = None
    entry.update(line_plot(head_curves, base_curves, x_label=d.x_label, y_label=d.y_label))
    if d.kind == "bar":
        entry["kind"] = "line"  # drawn as values along the axis: DVC's horizontal bars have no xychart form
    return _with_base_note(entry, base_unread)


def _confusion(entry: dict[str, Any], d: PlotDef, head_data: dict[str, list[Record]],
               base_data: dict[str, list[Record]] | None, base_unread: str | None) -> dict[str, Any]:
    """A matrix per data file (train and test each), with DVC's roles of the plot's ``x`` and ``y`` fields."""
    matrices = []
    for source, fields in d.sources.items():
        if source not in head_data:
            continue
        x, y = d.x or "actual", (fields or ("predicted",))[0]
        actual, predicted = roles(x, y)
        head_counts = counts(head_data[source], actual, predicted)
        if not head_counts:
            return {**entry, "status": "unreadable", "error": f"{source}: no records with fields {x!r} and {y!r}"}
        base_counts = counts(base_data[source], actual, predicted) if base_data and source in base_data else None
        if base_counts is not None and not base_counts:  # its records lack the fields: not a matrix of zeros
            base_unread = base_unread or f"{source} at the base holds no records with fields {x!r} and {y!r}"
            base_counts = None
        matrices.append({"file": source, **confusion_plot(head_counts, base_counts,
                                                          normalized=d.template.endswith("normalized"))})
    x = d.x or "actual"
    y = (next(iter(d.sources.values())) or ("predicted",))[0]
    actual, predicted = roles(x, y)
    labels = {x: d.x_label or x, y: d.y_label or y}
    entry.update(matrices=matrices, actual_label=labels[actual], predicted_label=labels[predicted])
    return _with_base_note(entry, base_unread)


def _base_files(d: PlotDef) -> str:
    return ", ".join(d.sources) + " at the base"


def _with_base_note(entry: dict[str, Any], base_unread: str | None) -> dict[str, Any]:
    """A base whose data was not read says so and why: it is neither new, nor a range apart from the head."""
    if base_unread is not None:
        entry.update(status="base unread", base_unread=base_unread)
    return entry
