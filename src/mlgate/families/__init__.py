"""Metric families: the kinds of number mlgate computes beyond the pipeline's own metrics.

A family is a pure function from what a run collected for both sides to metrics under its own key
prefix (``predictions.*``, ``model.*``, ``data.*``), plus, for statistical families, a judge that decides
a rule on an interval, and a JSON-serialisable section for the report. The run (``mlgate.run``) calls
every configured family once, merges its metrics into the head's and the base's numbers under the
pseudo-file ``FamilyResult.file``, and from then on gates, the report, the ledger and the trend treat
them like any metric. A family never publishes, records or prints: it returns.

Files are read through a ``Side``: the head's workspace, or the base revision (a worktree it was
reproduced in, or read through DVC at the base commit). When the base came from the metrics ledger
there may be no base files at all; the family then returns ``base=None`` and the recorded values stand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlgate.gating.gates import Judge






@dataclass(frozen=True)
class FamilyResult:
    """What one family computed. Keys are full metric names, starting with the family's prefix."""

    key: str  # "predictions" | "model" | "data" | ...: the prefix, and the report section's name
    file: str  # the pseudo-file its metrics appear under in the diff and the ledger
    head: dict[str, Any]
    base: dict[str, Any] | None = None  # None: no base files were read (a ledger baseline keeps its values)
    judge: Judge | None = None
    section: dict[str, Any] = field(default_factory=dict)  # for the report's section; JSON-serialisable
    warnings: tuple[str, ...] = ()




Compute = Callable[..., FamilyResult | None]


# The families a run computes, in this order: each module has
#   compute(config, head: Side, base: Side | None, *, recorded: Flat, progress) -> FamilyResult | None
# where ``recorded`` is the base's numbers as the baseline has them ({file: {key: value}}; from the
# ledger when the base's files are gone), and None means the family is not configured.
FAMILY_MODULES: tuple[str, ...] = ("mlgate.families.predictions.family", "mlgate.families.model.family", "mlgate.families.data.family",
                                 "mlgate.families.plots.family")
