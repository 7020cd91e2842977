"""The checks of ``mlgate monitor``, pure: a production sample against what the default branch recorded.

From the training dataset's profile and the sample's (mlgate.families.data), the sample's predictions and labels
(when it has those columns), the test predictions at the recorded commit and the recorded ``predictions.*``
metrics, ``checks(...)`` returns the figures (``Checked.head``: the sample's; ``.base``: the recorded
side's), one gate per check, the report's ``monitor`` section, warnings, and the verdict word:

- ``drift`` — an input column drifted (PSI at least ``psi`` and its KS / chi-squared p-value below
  ``significance``), or the predicted labels shifted from the test predictions (Jensen–Shannon distance at
  least ``max_label_shift_js`` and a chi-squared p-value below ``significance``);
- ``degraded`` — the predictions look broken (more than ``max_empty_share`` missing, fewer than
  ``min_distinct_labels`` labels), or a metric on the labelled rows fell more than ``max_metric_drop``
  below the recorded test metric (rose, for a lower-is-better one); ``degraded`` wins over ``drift``;
- ``ok`` — neither.

A column whose PSI is at least ``psi`` but whose p-value is not below ``significance`` (few rows: chance
could move PSI that far) is not judged drift and not passed either: its gate is skipped, saying so. Row
identifiers (``id``, the predictions' id column, integers numbering the rows) are not compared.

A training column absent from the sample (labels excepted: they arrive later) is stated, with a warning:
it cannot drift, and the model may not be able to score without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mlgate.config.schema import MonitorConfig
from mlgate.families.data.drift import ColumnDrift
from mlgate.families.data.profile import DatasetProfile, quiet_numbers
from mlgate.gating.gates import SKIPPED, GateOutcome, RuleOutcome
from mlgate.gating.rules import FAIL, PASS
from mlgate.text.safe import excerpt

FILE = "monitoring"  # the pseudo-file of every monitoring figure (the diff, the ledger, history)
OK, DRIFT, DEGRADED = "ok", "drift", "degraded"
WORDS = (OK, DRIFT, DEGRADED)
# The columns `mlgate history --report-id monitoring` shows by default (those present in the entries)
HISTORY = ("monitoring:sample.rows", "monitoring:sample.labelled_rows", "monitoring:drift.drifting_columns",
           "monitoring:drift.max_psi", "monitoring:health.empty_share", "monitoring:health.label_shift_js",
           "monitoring:predictions.*")


@dataclass(frozen=True)
class SamplePredictions:
    """The sample's prediction column and, where they arrived, its labels (None = not in the sample)."""

    prediction: np.ndarray
    labels: np.ndarray | None = None  # object or number array, None/NaN where a row has no label yet
    score: np.ndarray | None = None


@dataclass
class Checked:
    head: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)
    gates: list[GateOutcome] = field(default_factory=list)
    section: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    alarms: dict[str, list[str]] = field(default_factory=lambda: {DRIFT: [], DEGRADED: []})

    @property
    def word(self) -> str:
        return DEGRADED if self.alarms[DEGRADED] else DRIFT if self.alarms[DRIFT] else OK

    def gate(self, key: str, status: str, message: str, *, rule: str, threshold: Any, new: Any, old: Any = None,
             alarm: str | None = None) -> None:
        diff = new - old if _number(new) and _number(old) else None
        self.gates.append(GateOutcome(kpi=key, file=FILE, key=key, severity="fail", status=status, message=message,
                                      old=old, new=new, diff=diff,
                                      rules=[RuleOutcome(rule, threshold, status,
                                                         message)]))
        if status == FAIL and alarm:
            self.alarms[alarm].append(key)


def checks(cfg: MonitorConfig, training: DatasetProfile, sample: DatasetProfile, drifts: list[ColumnDrift], *,
           exempt: tuple[str, ...] = (), predictions: SamplePredictions | None = None,
           test_prediction: np.ndarray | None = None, recorded: dict[str, Any] | None = None,
           classification: bool = True) -> Checked:
    """Every check (see the module doc); ``exempt``: columns a sample may lack (the labels)."""
    with quiet_numbers():
        return _checks(cfg, training, sample, drifts, exempt, predictions, test_prediction, recorded or {},
                       classification)


def _checks(cfg: MonitorConfig, training: DatasetProfile, sample: DatasetProfile, drifts: list[ColumnDrift],
            exempt: tuple[str, ...], predictions: SamplePredictions | None, test_prediction: np.ndarray | None,
            recorded: dict[str, Any], classification: bool) -> Checked:
    out = Checked()
    out.head["sample.rows"] = sample.rows
    out.base["sample.rows"] = training.rows
    _drift(cfg, training, sample, drifts, exempt, out)
    if predictions is not None:
        _health(cfg, predictions, test_prediction, recorded, classification, out)
        if predictions.labels is not None:
            _labelled(cfg, predictions, recorded, out)
    else:
        out.section["predictions"] = None
    out.section["verdict"] = out.word
    out.section["alarms"] = {k: list(v) for k, v in out.alarms.items()}
    return out


def _drift(cfg: MonitorConfig, training: DatasetProfile, sample: DatasetProfile, drifts: list[ColumnDrift],
           exempt: tuple[str, ...], out: Checked) -> None:
    missing = [c for c in training.columns if c not in sample.columns and c not in exempt]
    out.section["missing_columns"] = missing
    out.head["sample.missing_columns"] = len(missing)
    if missing:
        shown = ", ".join(repr(excerpt(c, 40)) for c in missing[:10]) + (" …" if len(missing) > 10 else "")
        out.warnings.append(f"the production sample lacks {len(missing)} training column"
                            f"{'s' if len(missing) != 1 else ''} ({shown}): no drift can be measured for "
                            f"{'them' if len(missing) != 1 else 'it'}, and the model may not be able to score "
                            "without them")
    drifting = []
    judged = 0
    for d in drifts:
        key = f"drift.{d.column.replace('.', '_')}"
        if d.psi is None:
            out.gate(key, SKIPPED, d.skipped or "no drift statistic", rule="max", threshold=cfg.psi, new=None)
            continue
        p = d.ks_pvalue if d.ks_pvalue is not None else d.chi2_pvalue
        test = "KS" if d.ks_pvalue is not None else "chi-squared"
        for stat, value in d.metrics().items():
            out.head[f"{key}.{stat}"] = value
        drifted = d.psi >= cfg.psi and p is not None and p < cfg.significance
        status = FAIL if drifted else PASS
        judged += drifted or d.psi < cfg.psi
        if drifted:
            drifting.append(d.column)
            message = (f"PSI {d.psi:.3g} ≥ {cfg.psi:g} and {test} p-value {p:.2g} < {cfg.significance:g}: "
                       "the column drifted from the training data")
        elif d.psi >= cfg.psi:  # above the threshold, but chance could make it: neither drift nor a pass
            status = SKIPPED
            message = (f"PSI {d.psi:.3g} ≥ {cfg.psi:g}, but {test} p = {_p(p)} ≥ {cfg.significance:g} on "
                       f"{sample.rows:,} rows: not judged drift (chance alone could move PSI this far; a larger "
                       "sample decides)")
        else:
            message = f"PSI {d.psi:.3g} < {cfg.psi:g}"
        out.gate(f"{key}.psi", status, message, rule="max", threshold=cfg.psi, new=d.psi, alarm=DRIFT)
    out.head["drift.drifting_columns"] = len(drifting)
    out.head["drift.max_psi"] = max((d.psi for d in drifts if d.psi is not None), default=0.0)
    out.section["drifting_columns"] = drifting
    out.section["drift_judged"] = judged
    out.section["drift_unjudged"] = [d.column for d in drifts if d.psi is not None and d.psi >= cfg.psi
                                     and d.column not in drifting]


def _health(cfg: MonitorConfig, p: SamplePredictions, test_prediction: np.ndarray | None, recorded: dict[str, Any],
            classification: bool, out: Checked) -> None:
    from mlgate.stats import health

    factorized = health.factorize(p.prediction)
    figures = health.side_health(p.prediction, p.score, classification=classification, factorized=factorized)
    section: dict[str, Any] = {"rows": int(len(p.prediction)), "health": figures, "shift": None}
    for name, value in figures.items():
        out.head[f"health.{name}"] = value
        old = recorded.get(f"predictions.health.{name}")
        if _number(old):
            out.base[f"health.{name}"] = old
    empty = figures.get("empty_share", 0.0)
    out.gate("health.empty_share", FAIL if empty > cfg.max_empty_share else PASS,
             f"{empty:.1%} of the predictions are missing or blank "
             f"({'more than' if empty > cfg.max_empty_share else 'at most'} {cfg.max_empty_share:.1%})",
             rule="max", threshold=cfg.max_empty_share, new=empty, old=out.base.get("health.empty_share"),
             alarm=DEGRADED)
    if classification:
        labels = int(figures.get("distinct_labels", 0))
        out.gate("health.distinct_labels", FAIL if labels < cfg.min_distinct_labels else PASS,
                 f"{labels} distinct predicted label{'s' if labels != 1 else ''} "
                 f"({'fewer than' if labels < cfg.min_distinct_labels else 'at least'} {cfg.min_distinct_labels})",
                 rule="min", threshold=cfg.min_distinct_labels, new=labels,
                 old=out.base.get("health.distinct_labels"), alarm=DEGRADED)
        if test_prediction is not None:
            shift = health.shift(test_prediction, p.prediction)
            section["shift"] = shift
            if shift:
                js, pv = shift["label_shift_js"], shift["label_shift_p"]
                out.head["health.label_shift_js"], out.head["health.label_shift_p"] = js, pv
                shifted = js >= cfg.max_label_shift_js and pv < cfg.significance
                message = (f"Jensen–Shannon distance {js:.3g} from the test predictions' labels, chi-squared "
                           f"p-value {_p(pv)}" + (": the predicted labels shifted" if shifted else ""))
                out.gate("health.label_shift_js", FAIL if shifted else PASS, message, rule="max",
                         threshold=cfg.max_label_shift_js, new=js, alarm=DRIFT)
                section["test_labels"] = _shares(test_prediction)
                section["sample_labels"] = _shares(p.prediction)
        else:
            out.warnings.append("no test predictions at the recorded commit: the predicted labels are not compared")
    out.section["predictions"] = section


def _labelled(cfg: MonitorConfig, p: SamplePredictions, recorded: dict[str, Any], out: Checked) -> None:
    from mlgate.stats import health
    from mlgate.stats.metrics import METRICS, compute

    assert p.labels is not None
    has_label = ~health.missing_mask(p.labels)
    has_prediction = ~health.missing_mask(p.prediction)
    rows = has_label & has_prediction
    n, total = int(rows.sum()), len(rows)
    out.head["sample.labelled_rows"] = n
    section: dict[str, Any] = {"rows": n, "of": total, "metrics": [], "judged": n >= cfg.min_labelled_rows}
    out.section["labelled"] = section
    if n == 0:
        section["note"] = "no row has a label yet"
        return
    labels, prediction = _same_kind(p.labels[rows], p.prediction[rows])
    score = p.score[rows] if p.score is not None else None
    for key, old in sorted(recorded.items()):
        name = key.removeprefix("predictions.")
        metric = METRICS.get(name)
        if not key.startswith("predictions.") or metric is None or not _number(old):
            continue
        if metric.needs_score and score is None:
            continue
        try:
            value = float(compute(name, labels, prediction, score))
        except ValueError as exc:
            out.warnings.append(f"predictions.{name} on the {n} labelled rows cannot be computed: {exc}")
            continue
        out.head[key], out.base[key] = value, old
        change = (old - value) if metric.higher_is_better else (value - old)
        rule = "max_drop" if metric.higher_is_better else "max_increase"
        word = "drop" if metric.higher_is_better else "rise"
        section["metrics"].append({"metric": key, "test": old, "production": value})
        if n < cfg.min_labelled_rows:
            out.gate(key, SKIPPED, f"only {n} labelled row{'s' if n != 1 else ''} (fewer than "
                     f"{cfg.min_labelled_rows}): shown, not judged", rule=rule, threshold=cfg.max_metric_drop,
                     new=value, old=old)
            continue
        bad = change > cfg.max_metric_drop + 1e-9
        out.gate(key, FAIL if bad else PASS,
                 f"{value:.4g} on {n} of {total} rows with labels against {old:.4g} on the test set: a {word} of "
                 f"{max(change, 0.0):.3g} ({'more than' if bad else 'at most'} {cfg.max_metric_drop:g})",
                 rule=rule, threshold=cfg.max_metric_drop, new=value, old=old, alarm=DEGRADED)


def _same_kind(labels: np.ndarray, prediction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and predictions as one kind: numbers when both are numbers, else text ("1" and 1 agree)."""
    def numeric(a: np.ndarray) -> np.ndarray | None:
        try:
            values = np.asarray(a, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if np.all(np.mod(values, 1) == 0):
            return values.astype(np.int64)
        return values

    a, b = numeric(labels), numeric(prediction)
    if a is not None and b is not None:
        return a, b
    return (np.asarray([str(v) for v in labels], dtype=object), np.asarray([str(v) for v in prediction], dtype=object))


def _shares(values: np.ndarray, top: int = 10) -> list[list[Any]]:
    from mlgate.stats import health

    counts = health.label_counts(values)
    total = int(counts.sum())
    ranked = counts.sort_values(ascending=False)[:top]
    return [[str(k), int(v) / total if total else 0.0] for k, v in ranked.items()]


def _p(value: float | None) -> str:
    return "—" if value is None else f"{value:.2g}"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)
