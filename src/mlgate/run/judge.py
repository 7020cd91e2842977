"""From what a run collected to its Result, shared by ``mlgate run``, ``compare-predictions`` and ``monitor``:
the families compute (``compute_families``), their metrics join the sides' numbers (``with_families``), the
gates judge them elsewhere (``gating.gates.evaluate``), and ``assemble`` builds the one frozen Result — its
verdict, the metrics' diff, the families' sections and the clock are decided here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from typing import Any

from mlgate.config.schema import Config
from mlgate.edges.progress import Progress
from mlgate.edges.sides import Side
from mlgate.errors import MlgateError
from mlgate.families import FAMILIES, FamilyResult
from mlgate.gating import compare, gates
from mlgate.gating.gates import GateOutcome
from mlgate.gating.snapshot import Flat, Snapshot
from mlgate.result import Result


def compute_families(config: Config, head: Side, base: Side | None, base_snap: Snapshot | None,
                     progress: Progress | None = None, failed: dict[str, str] | None = None) -> list[FamilyResult]:
    """Every configured metric family, in the registry's order (mlgate.families.FAMILIES). With ``failed``, a
    family that raises MlgateError is recorded there (its key -> why) and the others still compute."""
    out: list[FamilyResult] = []
    recorded = base_snap.metrics if base_snap is not None else {}
    for family in FAMILIES:
        if not family.configured(config):
            continue  # nothing to compute: its module is not even imported (scipy, pyarrow, ...)
        try:
            found = family.compute(config, head, base, recorded=recorded, progress=progress)
        except MlgateError as exc:
            if failed is None:
                raise
            failed[family.key] = str(exc)
            continue
        if found is not None:
            out.append(found)
    return out


def with_families(head: Snapshot, base: Snapshot | None, families: list[FamilyResult]) -> tuple[Snapshot, Snapshot | None]:
    """The sides' numbers with each family's metrics under its pseudo-file (new Snapshots; none changed)."""
    head = Snapshot({**head.metrics}, head.params, head.errors)
    base = Snapshot({**base.metrics}, base.params, base.errors) if base is not None else None
    for family in families:
        if family.head:
            head.metrics[family.file] = dict(family.head)
        if base is not None and family.base is not None:
            base.metrics[family.file] = dict(family.base)
    return head, base


def assemble(*, outcomes: Sequence[GateOutcome], head_metrics: dict[str, Flat], base_metrics: dict[str, Flat] | None,
             started: float | None, families: Iterable[FamilyResult] = (), sections: dict[str, Any] | None = None,
             error: str | None = None, verdict: str | None = None, **facts: Any) -> Result:
    """The Result of a judged run. ``verdict`` defaults to the gates' (``error`` when there is one); ``facts``
    are the Result's other fields (head, base, baseline, params, warnings, context, ...)."""
    return Result(
        verdict=verdict or ("error" if error else gates.verdict(list(outcomes))),
        error=error,
        gates=tuple(outcomes),
        metrics=compare.diff_flat(base_metrics, head_metrics),
        duration_s=round(time.monotonic() - started, 2) if started is not None else 0.0,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        sections={**{f.key: f.section for f in families if f.section}, **(sections or {})},
        **facts,
    )
