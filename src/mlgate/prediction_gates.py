"""Gates on per-example predictions: the glue between ``predictions:`` in mlgate.yaml, the DVC edge and
the statistics engine (``mlgate.stats``).

``runner.execute`` calls, in order:

1. ``check_config(config, source)`` at prepare time: ``confidence``/``significance`` only on
   ``predictions.*`` KPIs, metric names known, a score column when a metric needs one (ConfigError).
2. ``load_head(config, project)`` before the baseline: the head's predictions from the workspace;
   ``gather(config, project, resolved, head)`` after it: the base's predictions from
   wherever the base's numbers came from — read at the base commit through DVC (``committed``, and
   ``ledger`` when DVC can still read the file at the ledger's commit), kept from the worktree
   (``reproduced``), or none. Rows pair by id; when they do not, the comparison is unpaired and a
   warning says so.
3. ``PredictionData.add_metrics(head, base)``: ``predictions.<metric>`` values into each side's
   Snapshot, under the predictions file's path, so plain rules and the "All metrics" table see them.
4. ``PredictionData.judge`` goes to ``gates.evaluate``: a rule of a KPI with a confidence level is
   judged on a confidence interval by ``stats.decide``; every other rule stays a plain comparison.

Without base predictions but with a base value (a ledger baseline whose files DVC cannot read any
more), drop/rise rules take the base value as fixed and judge the head's interval against it; the
interval says so. The statistics are imported lazily: they cost about a second.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mlgate.compare import is_number
from mlgate.config import Config, Kpi
from mlgate.errors import ConfigError, InputError, MlgateError
from mlgate.gates import FAIL, PASS, RuleOutcome
from mlgate.snapshot import Snapshot

if TYPE_CHECKING:
    from mlgate.baseline import Resolved
    from mlgate.dvc_project import DvcProject
    from mlgate.stats import Comparison, Pairing, Predictions

PREFIX = "predictions."
VALUE_RULES = ("min", "max")

CLASSIFICATION_DEFAULTS = ("accuracy", "precision", "recall", "f1")
SCORE_DEFAULTS = ("roc_auc", "log_loss")
REGRESSION_DEFAULTS = ("mae", "rmse", "r2")

# How a side alone was resampled, by the comparison's method without its "paired_"/"unpaired_" prefix
_SIDE_METHOD = {"counts": "bootstrap (multinomial counts)", "rows": "bootstrap (rows)", "delong": "DeLong"}


def metric_pattern(selector: str) -> str:
    """The key part of a KPI selector (``file:key`` → ``key``)."""
    return selector.rpartition(":")[2]


# --------------------------------------------------------------------------------------------------
# 1. Config checks


def check_config(config: Config, source: str = "mlgate.yaml") -> None:
    """ConfigError (exit 2) for a statistical option the predictions cannot serve."""
    for selector, kpi in config.kpis.items():
        pattern = metric_pattern(selector)
        option = "confidence" if kpi.confidence is not None else "significance"
        if kpi.confidence_level is not None and not pattern.startswith(PREFIX):
            raise ConfigError(
                f"{source}: kpis.{selector}: {option} needs per-example predictions, but {selector!r} is not "
                "a predictions metric; add a predictions: block and use predictions.<metric> "
                f"(e.g. predictions.accuracy), or remove {option}"
            )
        if not pattern.startswith(PREFIX) or config.predictions is None:
            if kpi.confidence_level is not None:
                raise ConfigError(
                    f"{source}: kpis.{selector}: {option} needs per-example predictions; add a predictions: "
                    "block (path, id, label, prediction, score) naming the file the evaluate stage writes"
                )
            continue
        name = pattern.removeprefix(PREFIX)
        if "*" in name:
            continue
        from mlgate.stats.metrics import METRICS

        metric = METRICS.get(name)
        if metric is None:
            known = ", ".join(PREFIX + n for n in METRICS)
            raise ConfigError(f"{source}: kpis.{selector}: no such predictions metric; use one of {known}")
        if metric.needs_score and config.predictions.score is None:
            raise ConfigError(
                f"{source}: kpis.{selector}: {metric.key} needs the positive-class probability; "
                "set predictions.score to the column that holds it"
            )


def keep_paths(config: Config) -> tuple[str, ...]:
    """Files a base reproduced in a worktree must hand back (the predictions), relative to the project."""
    return (config.predictions.path,) if config.predictions is not None else ()


# --------------------------------------------------------------------------------------------------
# 2. Loading both sides


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
    base_value: dict[str, Any] = field(default_factory=dict)  # "predictions.x" -> the base Snapshot's value
    _cache: dict[tuple[str, float, str], Comparison] = field(default_factory=dict, repr=False)

    # -- 3. metrics into the Snapshots ------------------------------------------------------------------
    def add_metrics(self, head: Snapshot, base: Snapshot | None) -> None:
        """``predictions.<metric>`` for each side that has predictions; a base value already there (from
        the ledger) stays when the base predictions are unavailable."""
        head.metrics[self.file] = side_metrics(self.head, self.metrics)
        if base is not None and self.base is not None:
            base.metrics[self.file] = side_metrics(self.base, self.metrics)
        self.base_value = dict(base.metrics.get(self.file, {})) if base is not None else {}

    # -- 4. the judge -----------------------------------------------------------------------------------
    def judge(self, path: str | None, key: str, rule: str, threshold: float, kpi: Kpi) -> RuleOutcome | None:
        """A RuleOutcome judged on an interval, or None to leave the rule to the plain comparison."""
        from mlgate.stats import decide

        level = kpi.confidence_level
        if level is None or path != self.file or not key.startswith(PREFIX):
            return None
        if rule in VALUE_RULES:
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


def load_head(config: Config, project: DvcProject) -> Predictions | None:
    """The head's predictions from the workspace (InputError, exit 2, when missing or invalid); None
    without a ``predictions:`` block. Called before the baseline is resolved, so a bad file fails fast."""
    if config.predictions is None:
        return None
    from mlgate.stats import load_predictions

    return load_predictions(_spec(config), project.root / config.predictions.path, name=config.predictions.path)


def gather(config: Config, project: DvcProject, resolved: Resolved, head: Predictions, *, resamples: int = 2000,
           seed: int = 0) -> PredictionData:
    """Head (from ``load_head``) and base predictions, paired (see the module doc).

    A missing or broken base file is a warning: relative rules then judge without base predictions.
    """
    warnings: list[str] = []
    base, origin = _load_base(_spec(config), project, resolved, warnings)
    data = from_sides(config, head, base, base_origin=origin, resamples=resamples, seed=seed)
    data.warnings[:0] = warnings
    if base is None and resolved.baseline.source != "none" and _has_confidence(config):
        data.warnings.append(f"{data.file}: no base predictions ({origin}); drop and rise rules with a confidence "
                             "level take the base value as fixed")
    return data


def from_sides(config: Config, head: Predictions, base: Predictions | None, *, base_origin: str = "",
               resamples: int = 2000, seed: int = 0) -> PredictionData:
    """PredictionData from loaded sides (pure: no I/O), paired by id when there is a base."""
    from mlgate.stats import pair

    assert config.predictions is not None
    data = PredictionData(file=config.predictions.path, head=head, base=base, base_origin=base_origin,
                          metrics=wanted_metrics(config, head, base), resamples=resamples, seed=seed)
    if base is not None:
        data.pairing = pair(head, base)
        if not data.pairing.paired or data.pairing.dropped_head or data.pairing.dropped_base:
            data.warnings.append(f"{data.file}: {data.pairing.reason}")
    return data


def add_workspace_metrics(config: Config, project: DvcProject, snap: Snapshot) -> str | None:
    """For ``mlgate check``: the workspace's ``predictions.<metric>`` values into ``snap`` so selectors match.

    Returns a warning instead when the predictions file is not written yet; InputError when it is invalid.
    """
    if config.predictions is None:
        return None
    if not (project.root / config.predictions.path).is_file():
        return (f"{config.predictions.path}: not written yet; run the pipeline to check the predictions.* KPIs")
    head = load_head(config, project)
    assert head is not None
    from_sides(config, head, None).add_metrics(snap, None)
    return None


def _spec(config: Config) -> Any:
    from mlgate.stats import PredictionSpec

    cfg = config.predictions
    assert cfg is not None
    return PredictionSpec(cfg.path, id=cfg.id, label=cfg.label, prediction=cfg.prediction, score=cfg.score)


def _load_base(spec: Any, project: DvcProject, resolved: Resolved, warnings: list[str]) -> tuple[Predictions | None, str]:
    from mlgate.stats import load_predictions

    baseline = resolved.baseline
    path = str(spec.path)
    if baseline.source == "none" or baseline.sha is None:
        return None, "no baseline"
    short = baseline.sha[:7]
    name = f"{path} (base {short})"
    if baseline.source == "reproduced":
        data = resolved.files.get(path)
        if data is None:
            return None, f"the reproduced base {short} did not write {path}"
        origin = f"reproduced base {short}"
    else:
        try:
            data = project.read_file(path, baseline.sha)
        except MlgateError as exc:
            warnings.append(f"{name}: cannot be read through DVC: {exc}")
            return None, f"{path} is not readable at {short}"
        if data is None:
            return None, f"{path} is neither committed nor in the DVC cache or remote at {short}"
        origin = f"{'ledger commit' if baseline.source == 'ledger' else 'committed at'} {short}"
    try:
        return load_predictions(spec, io.BytesIO(data), name=name), origin
    except InputError as exc:
        warnings.append(f"base predictions unusable: {exc}")
        return None, f"the base's {path} is unusable"


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

    of_head = rule in VALUE_RULES
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

