"""The predictions family: metrics from per-example predictions, and the judge that decides a rule with a
confidence level on an interval (``mlgate.stats``).

``compute`` reads the predictions file of each side through its ``Side`` (the head's workspace; the base
commit through DVC, or the worktree it was reproduced in) and hands them to ``judge_sides``, the pure
part: (head predictions, base predictions, config) → ``PredictionData`` (metrics per side, the judge).
Rows pair by id; when they do not, the comparison is unpaired and a warning says so.

Without base predictions but with a recorded base value (a ledger baseline whose files DVC cannot read
any more), drop/rise rules take the base value as fixed and judge the head's interval against it; the
interval says so. The statistics are imported lazily: they cost about a second.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mlgate.config.load import PREDICTIONS_PREFIX as PREFIX
from mlgate.config.schema import Config, Kpi
from mlgate.edges.sides import Side
from mlgate.errors import InputError, MlgateError
from mlgate.families import FamilyResult
from mlgate.gating.gates import RuleOutcome, combine_judges
from mlgate.gating.rules import FAIL, PASS, RULES, is_number
from mlgate.gating.snapshot import Flat

if TYPE_CHECKING:
    from mlgate.edges.progress import Progress
    from mlgate.stats import Comparison, Pairing, Predictions


CLASSIFICATION_DEFAULTS = ("accuracy", "precision", "recall", "f1")
SCORE_DEFAULTS = ("roc_auc", "log_loss")
REGRESSION_DEFAULTS = ("mae", "rmse", "r2")

# How a side alone was resampled, by the comparison's method without its "paired_"/"unpaired_" prefix
_SIDE_METHOD = {"counts": "bootstrap (multinomial counts)", "rows": "bootstrap (rows)", "delong": "DeLong"}


def metric_pattern(selector: str) -> str:
    """The key part of a KPI selector (``file:key`` → ``key``)."""
    return selector.rpartition(":")[2]


# --------------------------------------------------------------------------------------------------
# The judge


@dataclass
class PredictionData:
    """Head and (when available) base predictions, the metrics from them, and the judge for the gates."""

    file: str  # predictions.path: the pseudo-file the metrics appear under in the Snapshots
    head: Predictions
    base: Predictions | None
    base_origin: str  # where the base predictions came from, or why there are none
    metrics: tuple[str, ...]  # short metric names computed for each side
    warnings: list[str] = field(default_factory=list)
    resamples: int = 2000
    seed: int = 0
    pairing: Pairing | None = None
    base_value: dict[str, Any] = field(default_factory=dict)  # "predictions.x" -> the base's value
    _cache: dict[tuple[str, float, str], Comparison] = field(default_factory=dict, repr=False)

    # -- metrics per side -------------------------------------------------------------------------------
    def head_metrics(self) -> dict[str, float]:
        return side_metrics(self.head, self.metrics)

    def base_metrics(self) -> dict[str, float] | None:
        """None without base predictions: a recorded base value (the ledger's) stands."""
        if self.base is None:
            return None
        self.base_value = side_metrics(self.base, self.metrics)
        return self.base_value

    # -- the judge --------------------------------------------------------------------------------------
    def judge(self, path: str | None, key: str, rule: str, threshold: float, kpi: Kpi) -> RuleOutcome | None:
        """A RuleOutcome judged on an interval, or None to leave the rule to the plain comparison."""
        from mlgate.stats import decide

        level = kpi.confidence_level
        if level is None or path != self.file or not key.startswith(PREFIX) or "." in key[len(PREFIX):]:
            return None  # not ours: slices and the other nested figures have their own judge
        if RULES[rule].kind == "value":
            comparison = self._comparison(key, level, "head")
        elif self.base is not None:
            comparison = self._comparison(key, level, "pair")
        elif is_number(self.base_value.get(key)) and math.isfinite(self.base_value[key]):
            comparison = self._comparison(key, level, "fixed")
        else:
            return None  # no base: the plain rule reports "no baseline"
        decision = decide(comparison, rule, threshold, kpi.higher_is_better)
        return RuleOutcome(
            rule=rule, threshold=threshold, status=PASS if decision.passed else FAIL, message=decision.reading,
            interval=interval_record(comparison, rule, decision.reading, decision.significant, decision.margin),
        )

    def _comparison(self, key: str, level: float, kind: str) -> Comparison:
        cached = self._cache.get((key, level, kind))
        if cached is not None:
            return cached
        from mlgate.stats import compare, compare_paired

        if kind == "pair":
            assert self.pairing is not None
            result = compare(key, self.pairing, confidence=level, resamples=self.resamples, seed=self.seed)
        else:
            h = self.head
            alone = compare_paired(
                key, h.label, h.prediction, h.prediction, base_score=h.score, head_score=h.score,
                confidence=level, resamples=self.resamples, seed=self.seed, source=h.source,
            )
            kind_word = alone.method.split("_", 1)[1]
            if kind == "head":
                result = replace(alone, method=f"head_{kind_word}", test=None, p_value=None, n_paired=0,
                                 paired=False, n_base=0, note="the head's predictions alone")
            else:
                b = float(self.base_value[key])
                result = replace(
                    alone, base=b, diff=alone.head - b, diff_low=alone.head_low - b, diff_high=alone.head_high - b,
                    base_low=b, base_high=b, n_base=0, n_paired=0, paired=False, p_value=None, test=None,
                    method=f"fixed_base_{kind_word}",
                    note=f"the base value is taken as fixed: {self.base_origin}",
                )
        self._cache[(key, level, kind)] = result
        return result


def compute(config: Config, head: Side, base: Side | None, *, recorded: Flat | None = None,
            progress: Progress | None = None) -> FamilyResult | None:
    """Both sides' predictions metrics and the judge; None without a ``predictions:`` block.

    The head's file must be there and valid (InputError, exit 2); a missing or broken base file is a
    warning: relative rules then judge against the recorded base value, or report no baseline.
    """
    if config.predictions is None:
        return None
    from mlgate.stats import load_predictions

    spec = _spec(config)
    rel = config.predictions.path
    where = head.path(rel)
    if where is None:
        raise InputError(f"{rel}: no such predictions file at the head; check predictions.path in mlgate.yaml "
                         "and that the evaluate stage writes it")
    head_predictions = load_predictions(spec, where, name=rel)
    warnings: list[str] = []
    base_predictions, origin = _load_base(spec, base, warnings)
    recorded_values = dict((recorded or {}).get(rel, {}))
    data = judge_sides(config, head_predictions, base_predictions, base_origin=origin, recorded=recorded_values)
    warnings += data.warnings
    if base_predictions is None and recorded_values and _has_confidence(config):
        warnings.append(f"{rel}: no base predictions ({origin}); drop and rise rules with a confidence "
                        "level take the base value as fixed")
    head_values, base_values = data.head_metrics(), data.base_metrics()
    extra = _details(config, data, head, base, warnings)
    head_values.update(extra.head)
    if base_values is not None and extra.base:
        base_values.update(extra.base)
    return FamilyResult(
        key="predictions", file=rel, head=head_values, base=base_values,
        judge=combine_judges([extra.judge, data.judge]), warnings=tuple(warnings),
        section={"n_head": int(len(head_predictions.label)),
                 "n_base": int(len(base_predictions.label)) if base_predictions is not None else None,
                 "base_origin": origin, **extra.section},
    )


def _details(config: Config, data: PredictionData, head: Side, base: Side | None, warnings: list[str]) -> Any:
    """Slices, health, flips and calibration (families.predictions.details) for both sides."""
    from mlgate.families.predictions.details import details, read_slice_columns, slice_metric_names

    cfg = config.predictions
    assert cfg is not None
    head_columns = read_slice_columns(cfg, head, cfg.path)
    base_columns = None
    if data.base is not None and base is not None and cfg.slices:
        try:
            base_columns = read_slice_columns(cfg, base, data.base.source)
        except MlgateError as exc:
            warnings.append(f"the base's slice columns are unusable: {exc}")
    names = tuple(dict.fromkeys(data.metrics + slice_metric_names(config.kpis)))
    found = details(cfg, config.kpis, names, data.head, data.base, data.pairing, head_columns=head_columns,
                    base_columns=base_columns, record=interval_record, resamples=data.resamples, seed=data.seed)
    warnings += found.warnings
    return found


def _load_base(spec: Any, base: Side | None, warnings: list[str]) -> tuple[Predictions | None, str]:
    from mlgate.stats import load_predictions

    rel = str(spec.path)
    if base is None:
        return None, "no baseline"
    short = (base.sha or "")[:7]
    try:
        where = base.path(rel)
    except MlgateError as exc:
        warnings.append(f"{rel} (base {short}): cannot be read through DVC: {exc}")
        return None, f"{rel} is not readable at {short}"
    if where is None:
        return None, f"{rel} is neither committed nor in the DVC cache or remote at {short}"
    try:
        return load_predictions(spec, where, name=f"{rel} (base {short})"), f"{base.name} {short}"
    except InputError as exc:
        warnings.append(f"base predictions unusable: {exc}")
        return None, f"the base's {rel} is unusable"


def judge_sides(config: Config, head: Predictions, base: Predictions | None, *, base_origin: str = "",
                recorded: dict[str, Any] | None = None, resamples: int = 2000, seed: int = 0) -> PredictionData:
    """PredictionData from loaded sides (pure: no I/O), paired by id when there is a base.

    ``recorded``: the base's values of this file's metrics from elsewhere (the ledger), for a base
    without predictions."""
    from mlgate.stats import pair

    assert config.predictions is not None
    data = PredictionData(file=config.predictions.path, head=head, base=base, base_origin=base_origin,
                          metrics=wanted_metrics(config, head, base), resamples=resamples, seed=seed,
                          base_value=dict(recorded or {}))
    if base is not None:
        data.pairing = pair(head, base)
        if not data.pairing.paired or data.pairing.dropped_head or data.pairing.dropped_base:
            data.warnings.append(f"{data.file}: {data.pairing.reason}")
    return data


def _spec(config: Config) -> Any:
    from mlgate.stats import PredictionSpec

    cfg = config.predictions
    assert cfg is not None
    return PredictionSpec(cfg.path, id=cfg.id, label=cfg.label, prediction=cfg.prediction, score=cfg.score)


def _has_confidence(config: Config) -> bool:
    return any(k.confidence_level is not None for k in config.kpis.values())


# --------------------------------------------------------------------------------------------------
# Metrics per side


def wanted_metrics(config: Config, head: Predictions, base: Predictions | None = None) -> tuple[str, ...]:
    """The defaults for the task (classification, with a score, or regression) plus every metric a KPI names."""
    from mlgate.stats.metrics import METRICS, class_labels

    if is_regression(head):
        names = list(REGRESSION_DEFAULTS)
    else:
        names = list(CLASSIFICATION_DEFAULTS)
        sides = [head] + ([base] if base is not None else [])
        if head.score is not None and all(s.score is not None for s in sides):
            if len(class_labels(*[a for s in sides for a in (s.label, s.prediction)])) <= 2:
                names += SCORE_DEFAULTS
    for selector in config.kpis:
        pattern = metric_pattern(selector)
        name = pattern.removeprefix(PREFIX)
        if pattern.startswith(PREFIX) and name in METRICS and name not in names:
            names.append(name)
    return tuple(names)


def is_regression(p: Predictions) -> bool:
    """Numeric labels or predictions with fractions, or more than 50 distinct numeric labels."""
    import numpy as np

    kinds = (p.label.dtype.kind, p.prediction.dtype.kind)
    if any(k not in "iuf" for k in kinds):
        return False
    for values in (p.label, p.prediction):
        if values.dtype.kind == "f" and not np.all(np.mod(values, 1) == 0):
            return True
    return len(np.unique(p.label)) > 50


def side_metrics(p: Predictions, names: Iterable[str]) -> dict[str, float]:
    """Each metric on one side's predictions, as ``{"predictions.<name>": value}``."""
    from mlgate.stats.metrics import compute, get_metric

    out: dict[str, float] = {}
    for name in names:
        metric = get_metric(name)
        column = p.spec.score if metric.needs_score else p.spec.prediction
        if metric.needs_score and p.score is None:
            raise InputError(f"{p.source}: {metric.key} needs a score column; set predictions.score in mlgate.yaml")
        try:
            value = compute(name, p.label, p.prediction, p.score)
        except ValueError as exc:
            raise InputError(
                f"{p.source}: {metric.key} cannot be computed from columns {p.spec.label!r} and {column!r}: "
                f"{exc}; use a metric that fits the task (classes or regression values)"
            ) from None
        out[metric.key] = float(value)
    return out


# --------------------------------------------------------------------------------------------------
# The interval record a RuleOutcome carries (JSON-ready)


def interval_record(c: Comparison, rule: str, reading: str, significant: bool, margin: float | None) -> dict[str, Any]:
    from mlgate.stats import METHOD_TEXT, TEST_TEXT

    of_head = RULES[rule].kind == "value"
    kind = c.method.rsplit("_", 1)[-1]
    if c.method.startswith("head_"):
        method_text = _SIDE_METHOD.get(kind, kind)
    elif c.method.startswith("fixed_base_"):
        method_text = f"{_SIDE_METHOD.get(kind, kind)} of the head, base value fixed"
    else:
        method_text = METHOD_TEXT.get(c.method, c.method)
    return {
        "of": "head" if of_head else "diff",
        "value": c.head if of_head else c.diff,
        "low": c.head_low if of_head else c.diff_low,
        "high": c.head_high if of_head else c.diff_high,
        "confidence": c.confidence,
        "method": c.method,
        "method_text": method_text,
        "test": c.test,
        "test_text": TEST_TEXT.get(c.test, c.test) if c.test else None,
        "p_value": c.p_value,
        "paired": c.paired,
        "n_paired": c.n_paired,
        "n_head": c.n_head,
        "n_base": c.n_base,
        "significant": significant,
        "margin": margin,
        "reading": reading,
        "note": c.note,
        "resamples": c.resamples,
        "seed": c.seed,
    }

