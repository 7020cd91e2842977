"""A metric family used only by tests: the accuracy gap between groups of a sensitive column.

Written after the layout moved into packages, to prove that a family is one package plus one registry line:
it touches no file of mlgate. Its block in mlgate.yaml::

    fairness:
      file: eval/predictions.csv   # one row per example, with the columns below
      group: region                # the sensitive column
      label: label
      prediction: prediction

gives the metrics ``fairness.accuracy_gap`` (the best group's accuracy minus the worst's) and
``fairness.accuracy.<group>``, gated like any metric (``fairness.accuracy_gap: {max_increase: 0.05}``),
and a section in the report listing each group's accuracy on both sides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mlgate.config.fields import Strict
from mlgate.errors import InputError
from mlgate.families import Family, FamilyResult

KEY = "fairness"


class FairnessConfig(Strict):
    file: str
    group: str
    label: str = "label"
    prediction: str = "prediction"


def _accuracies(path: Path, block: FairnessConfig) -> dict[str, float]:
    frame = pd.read_csv(path)
    missing = [c for c in (block.group, block.label, block.prediction) if c not in frame.columns]
    if missing:
        raise InputError(f"{block.file}: no column {missing[0]!r}; fairness.{'group' if missing[0] == block.group else 'label'}"
                         " must name a column of the file")
    hits = frame[block.label].astype(str) == frame[block.prediction].astype(str)
    return {str(group): float(rows.mean()) for group, rows in hits.groupby(frame[block.group].astype(str))}


def _metrics(accuracy: dict[str, float]) -> dict[str, Any]:
    return {f"{KEY}.accuracy_gap": max(accuracy.values()) - min(accuracy.values()),
            **{f"{KEY}.accuracy.{group}": value for group, value in sorted(accuracy.items())}}


def compute(config: Any, head: Any, base: Any, *, recorded: Any = None, progress: Any = None) -> FamilyResult | None:
    block = config.addons.get(KEY)
    if block is None:
        return None
    head_path = head.path(block.file)
    if head_path is None:
        raise InputError(f"{block.file}: no such file at the head; fairness.file must name the predictions file")
    head_acc = _accuracies(head_path, block)
    base_path = base.path(block.file) if base is not None else None
    base_acc = _accuracies(base_path, block) if base_path is not None else None
    groups = [{"group": g, "head": head_acc[g], "base": (base_acc or {}).get(g)} for g in sorted(head_acc)]
    return FamilyResult(key=KEY, file=KEY, head=_metrics(head_acc), base=_metrics(base_acc) if base_acc else None,
                        section={"column": block.group, "groups": groups})


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


FAMILY = Family(KEY, __name__, block=FairnessConfig, template=Path(__file__).with_name("section.md.j2"),
                filters={"fairness_percent": percent})
