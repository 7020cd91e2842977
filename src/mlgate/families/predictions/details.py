"""Beyond the average: slices, prediction health, flipped examples, calibration — for the predictions family.

``details(...)`` is pure: from both sides' loaded predictions (and, for slices, the columns of their
files) it returns metrics under

* ``predictions.slice.<slice>.<metric>`` and ``.rows`` — every predictions metric per slice (stats.slices);
* ``predictions.health.<figure>`` — each side's health; at the head also the shift against the base and
  the agreement on paired rows (stats.health);
* ``predictions.flips.right_to_wrong`` / ``wrong_to_right`` — at the head, on paired rows (stats.flips);
* ``predictions.calibration.brier`` / ``ece`` — each side, with a binary score (stats.calibration);

a ``section`` for the report, warnings, and a judge for slice gates: a slice smaller than
``min_slice_size`` passes with "not gated"; rules with a confidence level on gated slices are judged
on their intervals together, adjusted for the number of slice gates (Holm by default, see
stats.multiple): a slice gate fails only when its interval shows the breach *and* its adjusted p-value
stays below 1 − confidence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from mlgate.gating.rules import FAIL, PASS, RULES
from mlgate.gating.selectors import key_matches

if TYPE_CHECKING:
    import pandas as pd

    from mlgate.config.schema import Kpi, PredictionsConfig
    from mlgate.edges.sides import Side
    from mlgate.gating.gates import RuleOutcome
    from mlgate.stats import Comparison, Pairing, Predictions

SLICE = "predictions.slice."
HEALTH = "predictions.health."
FLIPS = "predictions.flips."
CALIBRATION = "predictions.calibration."
MOVERS = 5
Record = Callable[..., dict[str, Any]]  # interval_record(comparison, rule, reading, significant, margin)


@dataclass
class Details:
    head: dict[str, Any] = field(default_factory=dict)
    base: dict[str, Any] | None = None
    section: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    outcomes: dict[tuple[str, str], RuleOutcome] = field(default_factory=dict)  # (key, rule) -> decided

    def judge(self, path: str | None, key: str, rule: str, threshold: float, kpi: Kpi) -> RuleOutcome | None:
        """The decided slice outcome for this (key, rule), or None to leave it to the other judges."""
        return self.outcomes.get((key, rule)) if key.startswith(SLICE) else None


# --------------------------------------------------------------------------------------------------
# Reading the columns slices use


def read_slice_columns(cfg: PredictionsConfig, side: Side, name: str) -> pd.DataFrame | None:
    """The side's predictions file with the features joined (None without slices or without the file)."""
    if not cfg.slices:
        return None
    from mlgate.stats import PredictionSpec
    from mlgate.stats.slices import needed_columns, read_columns

    path = side.path(cfg.path)
    if path is None:
        return None
    name = name or cfg.path
    spec = PredictionSpec(cfg.path, id=cfg.id, label=cfg.label, prediction=cfg.prediction, score=cfg.score)
    features = None
    if cfg.features is not None:
        f_path = side.path(cfg.features)
        f_name = name.replace(cfg.path, cfg.features) if cfg.path in name else cfg.features
        if f_path is None:
            from mlgate.errors import InputError

            raise InputError(f"{f_name}: no such file (predictions.features); check the path in mlgate.yaml "
                             "and that the pipeline writes it")
        features = (cfg.features, f_path, f_name)
    return read_columns(cfg.path, path, spec, needed_columns(_specs(cfg)), name=name, features=features)


def slice_metric_names(kpis: dict[str, Kpi]) -> tuple[str, ...]:
    """Metrics a slice KPI names (``predictions.slice.<slice>.<metric>``), so they are computed per slice."""
    from mlgate.stats.metrics import METRICS

    names = [selector.rpartition(":")[2].rpartition(".")[2] for selector in kpis
             if selector.rpartition(":")[2].startswith(SLICE)]
    return tuple(dict.fromkeys(n for n in names if n in METRICS))


def _specs(cfg: PredictionsConfig) -> list[Any]:
    from mlgate.stats.slices import SliceSpec

    return [SliceSpec(column=s.column, bins=tuple(s.bins) if s.bins else None, name=s.name, where=s.where)
            for s in cfg.slices]


# --------------------------------------------------------------------------------------------------
# Everything at once


def details(cfg: PredictionsConfig, kpis: dict[str, Kpi], names: Sequence[str], head: Predictions,
            base: Predictions | None, pairing: Pairing | None, *, head_columns: pd.DataFrame | None = None,
            base_columns: pd.DataFrame | None = None, record: Record, resamples: int = 2000,
            seed: int = 0) -> Details:
    """Slices, health, flips and calibration for both sides (see the module doc)."""
    from mlgate.stats import metrics as m

    out = Details(base={} if base is not None else None)
    classification = not any(m.get_metric(n).regression for n in names)
    _health(cfg, head, base, pairing, classification, out)
    if pairing is not None:
        _flips(head, pairing, classification, out)
    _calibration(cfg, head, base, out)
    if cfg.slices and head_columns is not None:
        _slices(cfg, kpis, names, head, base, pairing, head_columns, base_columns, record, resamples, seed, out)
    return out


def _put(out: Details, key: str, head: Any = None, base: Any = None) -> None:
    if head is not None:
        out.head[key] = head
    if base is not None and out.base is not None:
        out.base[key] = base


# --------------------------------------------------------------------------------------------------
# Health


def _health(cfg: PredictionsConfig, head: Predictions, base: Predictions | None, pairing: Pairing | None,
            classification: bool, out: Details) -> None:
    from mlgate.stats import health

    rng = (cfg.prediction_range[0], cfg.prediction_range[1]) if cfg.prediction_range else None  # [low, high]
    section: dict[str, Any] = {}
    factorized = {}
    for side, p in (("head", head), ("base", base)):
        if p is None:
            continue
        factorized[side] = health.factorize(p.prediction)  # once a side: health and shift both count labels
        values = health.side_health(p.prediction, p.score, classification=classification, prediction_range=rng,
                                    factorized=factorized[side])
        section[side] = values
        for name, value in values.items():
            _put(out, HEALTH + name, **{side: value})
    if base is not None and classification:
        section["shift"] = health.shift_from_counts(health.label_counts(base.prediction, factorized["base"]),
                                                    health.label_counts(head.prediction, factorized["head"]))
        for name, value in section["shift"].items():
            _put(out, HEALTH + name, head=value)
    if pairing is not None and pairing.paired:
        section["agreement"] = health.agreement(pairing.base.prediction, pairing.head.prediction)
        if classification:
            _put(out, HEALTH + "agreement", head=section["agreement"])
    out.section["health"] = section


# --------------------------------------------------------------------------------------------------
# Flips and the confusion change


def _flips(head: Predictions, pairing: Pairing, classification: bool, out: Details) -> None:
    from mlgate.stats import flips

    section: dict[str, Any] = {"paired": pairing.paired}
    if not pairing.paired:
        section["note"] = "the rows do not pair by id, so no example can be followed from base to head"
    else:
        h, b = pairing.head, pairing.base
        if classification:
            f = flips.flips(h.ids, h.label, b.prediction, h.prediction)
            section.update(right_to_wrong=f.right_to_wrong, wrong_to_right=f.wrong_to_right,
                           right_to_wrong_ids=f.right_to_wrong_ids, wrong_to_right_ids=f.wrong_to_right_ids)
            _put(out, FLIPS + "right_to_wrong", head=f.right_to_wrong)
            _put(out, FLIPS + "wrong_to_right", head=f.wrong_to_right)
        else:
            section["error_increases"] = flips.error_increases(h.ids, h.label, b.prediction, h.prediction)
    if classification:
        p = pairing
        try:
            section["confusion"] = flips.confusion_change(p.head.label, p.base.prediction, p.head.prediction,
                                                          base_label=None if p.paired else p.base.label)
        except ValueError:
            pass
        else:
            if len(section["confusion"]["classes"]) > 20:
                del section["confusion"]  # too large to read in a comment
    out.section["flips"] = section


# --------------------------------------------------------------------------------------------------
# Calibration


def _calibration(cfg: PredictionsConfig, head: Predictions, base: Predictions | None, out: Details) -> None:
    from mlgate.stats import calibration
    from mlgate.stats import metrics as m

    sides = [("head", head)] + ([("base", base)] if base is not None else [])
    if head.score is None or any(p.score is None for _, p in sides):
        return
    labels = m.class_labels(*[a for _, p in sides for a in (p.label, p.prediction)])
    if len(labels) > 2:
        return
    pos = m.positive_label(labels)
    section: dict[str, Any] = {"bins": cfg.calibration_bins, "positive": _plain(pos)}
    for side, p in sides:
        y = np.asarray(p.label == pos, dtype=bool)
        score = cast(np.ndarray, p.score)  # every side has one: checked above
        table = calibration.reliability(y, score, cfg.calibration_bins)
        values = {"brier": calibration.brier(y, score), "ece": calibration.ece_of(table)}
        section[side] = dict(values, table=[b.to_dict() for b in table])
        for name, value in values.items():
            _put(out, CALIBRATION + name, **{side: value})
    out.section["calibration"] = section


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# --------------------------------------------------------------------------------------------------
# Slices


def _slices(cfg: PredictionsConfig, kpis: dict[str, Kpi], names: Sequence[str], head: Predictions,
            base: Predictions | None, pairing: Pairing | None, head_columns: pd.DataFrame,
            base_columns: pd.DataFrame | None, record: Record, resamples: int, seed: int, out: Details) -> None:
    from mlgate.stats import metrics as m
    from mlgate.stats import slices as sl

    specs = _specs(cfg)
    frames = [head_columns] + ([base_columns] if base_columns is not None and base is not None else [])
    defs = sl.define(specs, frames, source=head.source)
    head_in = sl.membership(defs, head_columns, source=head.source)
    base_in = None
    if base is not None and base_columns is not None:
        base_in = sl.membership(defs, base_columns, source=base.source)
    elif base is not None:
        out.warnings.append(f"{base.source}: the base's slice columns are unreadable; slices are shown for the head")
    results = sl.compute_slices(defs, names, head, head_in, base if base_in is not None else None, base_in,
                                min_size=cfg.min_slice_size)
    by_name = {r.name: r for r in results}
    for r in results:
        if r.n_head == 0:
            continue  # a slice gone at the head: shown in the section, not a metric a gate would call missing
        for metric, value in r.head.items():
            _put(out, f"{SLICE}{r.name}.{metric}", head=value)
        if r.n_head:
            _put(out, f"{SLICE}{r.name}.rows", head=r.n_head)
        for metric, value in (r.base or {}).items():
            _put(out, f"{SLICE}{r.name}.{metric}", base=value)
        if r.n_base:
            _put(out, f"{SLICE}{r.name}.rows", base=r.n_base)

    # the pairing's rows, and each slice's membership over them
    comparable = pairing is not None and base_in is not None
    if comparable:
        assert pairing is not None and base is not None and base_in is not None
        h_pos = sl.paired_rows(head, pairing.head)
        b_pos = h_pos if pairing.paired else sl.paired_rows(base, pairing.base)
        b_source = head_in if pairing.paired else base_in
        same_h = np.array_equal(h_pos, np.arange(len(head)))
        same_b = np.array_equal(b_pos, np.arange(len(base if not pairing.paired else head)))
        over_pairs = {d.name: (head_in[d.name] if same_h else head_in[d.name][h_pos],
                               b_source[d.name] if same_b else b_source[d.name][b_pos]) for d in defs}
        coded = None if any(m.get_metric(n).regression for n in names) else sl.encode_pairing(pairing)

    def comparison(slice_name: str, metric: str, level: float, alone: bool) -> Comparison:
        from mlgate.stats import compare_paired

        if alone:
            rows = np.flatnonzero(head_in[slice_name])
            p = head.take(rows)
            c = compare_paired(metric, p.label, p.prediction, p.prediction, base_score=p.score, head_score=p.score,
                               confidence=level, resamples=resamples, seed=seed, source=head.source)
            return replace(c, method=f"head_{c.method.split('_', 1)[1]}", test=None, p_value=None, n_paired=0,
                           paired=False, n_base=0, note=f"the head's {len(rows):,} rows of the slice alone")
        assert pairing is not None
        h_in, b_in = over_pairs[slice_name]
        return sl.compare_slice(metric, pairing, h_in, b_in, confidence=level, resamples=resamples, seed=seed,
                                coded=coded)

    # movers and worst slices on the headline metric
    headline = names[0]
    spec = m.get_metric(headline)
    rows: list[dict[str, Any]] = []
    for r in results:
        row = r.to_dict()
        if comparable and r.gated and r.n_base and headline in r.head and headline in (r.base or {}):
            try:
                c = comparison(r.name, headline, 0.95, alone=False)
            except Exception as exc:  # noqa: BLE001 - an interval that cannot be computed is left out, said why
                row["notes"].append(f"no interval: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
            else:
                row["interval"] = {"diff": c.diff, "low": c.diff_low, "high": c.diff_high, "confidence": 0.95,
                                   "significant": c.diff_low > 0 or c.diff_high < 0,
                                   "text": _interval_text(c.diff, c.diff_low, c.diff_high)}
        rows.append(row)
    sign = 1 if spec.higher_is_better else -1
    with_value = [row for row in rows if headline in row["head"]]
    worst = sorted(with_value, key=lambda row: sign * row["head"][headline])[:MOVERS]
    moved = [row for row in with_value if row.get("interval")]
    movers = sorted(moved, key=lambda row: -abs(row["interval"]["diff"]))[:MOVERS]

    # gates on slices: small ones are not gated; interval rules are decided together
    gates = _slice_gates(kpis, out, by_name)
    for key, rule, _threshold, _kpi in gates:
        r = by_name[key[len(SLICE):].rsplit(".", 1)[0]]
        if not r.gated:
            from mlgate.gating.gates import SKIPPED, RuleOutcome

            note = "; ".join(n for n in r.notes if "not gated" in n or "no rows" in n) or "not gated"
            out.outcomes[(key, rule)] = RuleOutcome(rule=rule, threshold=_threshold, status=SKIPPED,
                                                    message=f"slice {r.name}: {note}")
    decided = [(key, rule, threshold, kpi) for key, rule, threshold, kpi in gates
               if (key, rule) not in out.outcomes and kpi.confidence_level is not None
               and RULES[rule].interval is not None]
    n_family = _decide_together(decided, comparison, base is not None and comparable, cfg.slice_correction,
                                record, out)
    shown = list({row["name"]: row for row in movers + worst}.values())  # movers first, then the worst
    out.section["slices"] = {
        "metric": headline, "higher_is_better": spec.higher_is_better, "min_size": cfg.min_slice_size,
        "correction": cfg.slice_correction, "correction_text": correction_name(cfg.slice_correction),
        "gated_with_confidence": n_family, "paired": bool(pairing.paired) if pairing is not None else None,
        "count": len(rows), "slices": rows, "shown": shown,
        "worst": [row["name"] for row in worst], "movers": [row["name"] for row in movers],
    }


def _slice_gates(kpis: dict[str, Kpi], out: Details, by_name: dict[str, Any]) -> list[tuple[str, str, Any, Kpi]]:
    keys = sorted(set(out.head) | set(out.base or {}))
    found = []
    for selector, kpi in kpis.items():
        pattern = selector.rpartition(":")[2]
        if not pattern.startswith(SLICE):
            continue
        for key in keys:
            if key.startswith(SLICE) and key_matches(pattern, key) and key[len(SLICE):].rsplit(".", 1)[0] in by_name:
                found += [(key, rule, threshold, kpi) for rule, threshold in kpi.rules()]
    return found


def _decide_together(gates: list[tuple[str, str, Any, Kpi]], comparison: Callable[..., Comparison], have_base: bool,
                     correction: str, record: Record, out: Details) -> int:
    from mlgate.gating.gates import RuleOutcome
    from mlgate.stats import decide
    from mlgate.stats.multiple import METHOD_TEXT, adjust, rule_p_value

    judged = []
    for key, rule, threshold, kpi in gates:
        slice_name, metric = key[len(SLICE):].rsplit(".", 1)
        if metric == "rows":
            continue
        alone = RULES[rule].kind == "value"
        if not alone and not have_base:
            continue  # no base predictions: the plain rule against the base value
        level = cast(float, kpi.confidence_level)  # the gates decided together all have one
        try:
            c = comparison(slice_name, "predictions." + metric, level, alone)
        except Exception as exc:  # noqa: BLE001 - an undefined interval leaves the rule to the plain check
            out.warnings.append(f"{key}: no interval ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}); "
                                "judged without one")
            continue
        decision = decide(c, rule, threshold, kpi.higher_is_better)
        judged.append((key, rule, threshold, level, c, decision, rule_p_value(c, rule, threshold)))
    for level in sorted({j[3] for j in judged}):
        family = [j for j in judged if j[3] == level]
        adjusted = adjust(np.array([j[6] for j in family]), correction)
        for (key, rule, threshold, _, c, decision, p), adj in zip(family, adjusted):
            alpha = 1 - level
            failed = not decision.passed and (correction == "none" or adj <= alpha)
            reading = decision.reading
            if correction != "none" and len(family) > 1:
                if not decision.passed and not failed:
                    reading += (f"; within noise after {correction_name(correction)} over {len(family)} slice "
                                f"gates (adjusted p = {adj:.3g})")
                else:
                    reading += f"; {correction_name(correction)} over {len(family)} slice gates: adjusted p = {adj:.3g}"
            interval = record(c, rule, reading, decision.significant, decision.margin)
            interval["correction"] = {"method": correction, "text": METHOD_TEXT[correction], "family": len(family),
                                      "p_value": p, "adjusted_p": float(adj)}
            out.outcomes[(key, rule)] = RuleOutcome(rule=rule, threshold=threshold, status=FAIL if failed else PASS,
                                                    message=reading, interval=interval)
    return len(judged)


def _interval_text(diff: float, low: float, high: float) -> str:
    from mlgate.text.numbers import fixed, interval_digits

    d = interval_digits(low, high, diff)
    return f"{fixed(diff, d, sign=True)} ({fixed(low, d, sign=True)} … {fixed(high, d, sign=True)})"


def correction_name(method: str) -> str:
    return {"holm": "Holm", "bh": "Benjamini–Hochberg", "none": "no correction"}[method]
