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

The families are the registry below (``FAMILIES``), one ``Family`` each: its key (the mlgate.yaml block, the
metrics' prefix and the report section, all one name), the module holding its ``compute``, and for a family
added with ``register``, the schema of its block, its section template and its report filters. A new family
is a package ``families/<key>/`` plus one line in ``FAMILIES`` (or one ``register`` call): nothing else in
mlgate names it. (The built-in families' blocks are declared in ``config.schema`` with the others, so
checkers see their fields; a registered family's block is validated by its own schema the same way.)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlgate.config.blocks import block_of, register_block, unregister_block

if TYPE_CHECKING:
    from mlgate.config.schema import Config
    from mlgate.edges.progress import Progress
    from mlgate.edges.sides import Side
    from mlgate.gating.gates import Judge
    from mlgate.gating.snapshot import Flat


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


@dataclass(frozen=True)
class Family:
    """One metric family. Its module has
    ``compute(config, head: Side, base: Side | None, *, recorded: Flat, progress) -> FamilyResult | None``
    where ``recorded`` is the base's numbers as the baseline has them ({file: {key: value}}; from the ledger
    when the base's files are gone), and None means the family is not configured."""

    key: str  # its mlgate.yaml block, its metrics' prefix ("<key>.") and its report section
    module: str  # the module holding compute(), imported only when the family is configured
    block: type | None = None  # the schema of a block config.schema does not declare (a Strict struct)
    template: Path | None = None  # its report section's template (built-ins: report/templates/sections/<key>.md.j2)
    filters: Mapping[str, Callable[..., Any]] = field(default_factory=dict)  # filters its template uses

    def configured(self, config: Config) -> bool:
        """Its block is set; a family with no block of its own (plots: DVC's plots configure it) always is."""
        try:
            return bool(block_of(config, self.key))
        except KeyError:
            return True

    def compute(self, config: Config, head: Side, base: Side | None, *, recorded: Flat,
                progress: Progress | None = None) -> FamilyResult | None:
        compute: Compute = importlib.import_module(self.module).compute
        return compute(config, head, base, recorded=recorded, progress=progress)


# The registry: the families a run computes, in this order.
FAMILIES: list[Family] = [
    Family("predictions", "mlgate.families.predictions.family"),
    Family("model", "mlgate.families.model.family"),
    Family("data", "mlgate.families.data.family"),
    Family("plots", "mlgate.families.plots.family"),
]


def register(family: Family) -> None:
    """Add a family after the built-in ones; its block (``family.block``) becomes a key of mlgate.yaml."""
    if any(f.key == family.key for f in FAMILIES):
        raise ValueError(f"a metric family named {family.key!r} is registered already")
    if family.block is not None:
        register_block(family.key, family.block)
    FAMILIES.append(family)


def unregister(key: str) -> None:
    FAMILIES[:] = [f for f in FAMILIES if f.key != key]
    unregister_block(key)


@contextmanager
def registered(family: Family) -> Iterator[Family]:
    """``family`` in the registry for the block's duration (a test's, or an embedding program's)."""
    register(family)
    try:
        yield family
    finally:
        unregister(family.key)

