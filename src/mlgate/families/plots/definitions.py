"""The plots a DVC project declares in dvc.yaml: top-level ``plots:`` and each stage's ``plots:`` outputs.

Pure: takes the parsed dvc.yaml. A definition names its data (one file, a directory, or for a top-level
plot with ``y: {file: field}`` several files) and the properties DVC renders it with: ``x``, ``y``,
``template``, ``title``, ``x_label``, ``y_label``. Anything malformed is skipped with a note, never
raised: a plot is shown, not gated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".gif")
DATA_SUFFIXES = (".json", ".yaml", ".yml", ".csv", ".tsv")
CONFUSION_TEMPLATES = ("confusion", "confusion_normalized")
BAR_TEMPLATES = ("bar_horizontal", "bar_horizontal_sorted")


@dataclass(frozen=True)
class PlotDef:
    """One plot. ``sources`` maps a data file (or directory) to its y fields (empty: DVC's default)."""

    id: str
    sources: dict[str, tuple[str, ...]]
    x: str | None = None  # one field for every source (``x: {file: field}`` keeps the first field)
    template: str = "linear"
    title: str | None = None
    x_label: str | None = None
    y_label: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def kind(self) -> str:
        """image | confusion | bar | line."""
        if any(PurePosixPath(s).suffix.lower() in IMAGE_SUFFIXES for s in self.sources):
            return "image"
        if self.template in CONFUSION_TEMPLATES:
            return "confusion"
        if self.template in BAR_TEMPLATES:
            return "bar"
        return "line"


def plot_definitions(dvc_yaml: Any) -> tuple[list[PlotDef], list[str]]:
    """Every plot dvc.yaml declares, top-level ones first then stage outputs; plus notes on what was skipped."""
    if not isinstance(dvc_yaml, dict):
        return [], []
    found: list[PlotDef] = []
    notes: list[str] = []
    top = dvc_yaml.get("plots")
    items: list[Any] = []
    if isinstance(top, list):
        items = top
    elif isinstance(top, dict):  # an older spelling: {id: props}
        items = [{k: v} for k, v in top.items()]
    for item in items:
        plot = _top_level(item)
        if plot is None:
            notes.append(f"dvc.yaml: plots: entry {str(item)[:60]!r} is not a plot definition; skipped")
        else:
            found.append(plot)
    stages = dvc_yaml.get("stages")
    for stage in (stages.values() if isinstance(stages, dict) else []):
        outs = stage.get("plots") if isinstance(stage, dict) else None
        for item in outs if isinstance(outs, list) else []:
            path, props = _one_entry(item)
            if path is None:
                continue
            found.append(_build(path, {path: _fields(props.get("y"))}, props))
    unique: dict[str, PlotDef] = {}
    for plot in found:
        unique.setdefault(plot.id, plot)  # a stage output also listed at the top level: the first wins
    return list(unique.values()), notes


def _top_level(item: Any) -> PlotDef | None:
    plot_id, props = _one_entry(item)
    if plot_id is None:
        return None
    y = props.get("y")
    if isinstance(y, dict):  # {file: field or [fields]}: the id is only a name
        sources = {str(f): _fields(v) for f, v in y.items() if isinstance(f, str)}
        if not sources:
            return None
        return _build(plot_id, sources, props)
    return _build(plot_id, {plot_id: _fields(y)}, props)


def _one_entry(item: Any) -> tuple[str | None, dict[str, Any]]:
    if isinstance(item, str):
        return item, {}
    if isinstance(item, dict) and len(item) == 1:
        key, props = next(iter(item.items()))
        if isinstance(key, str):
            return key, props if isinstance(props, dict) else {}
    return None, {}


def _fields(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if isinstance(v, str | int | float))
    return ()


def _build(plot_id: str, sources: dict[str, tuple[str, ...]], props: dict[str, Any]) -> PlotDef:
    x = props.get("x")
    if isinstance(x, dict):
        x = next((v for v in x.values() if isinstance(v, str)), None)
    template = props.get("template")

    def text(key: str) -> str | None:
        value = props.get(key)
        return str(value) if isinstance(value, str | int | float) and str(value).strip() else None

    return PlotDef(
        id=plot_id.rstrip("/") or plot_id,
        sources={k.rstrip("/") or k: v for k, v in sources.items()},
        x=x if isinstance(x, str) else None,
        template=template if isinstance(template, str) and template else "linear",
        title=text("title"),
        x_label=text("x_label"),
        y_label=text("y_label"),
    )
