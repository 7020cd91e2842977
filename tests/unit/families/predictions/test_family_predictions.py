"""The predictions family: config checks, metrics per side, rules judged on intervals, the report with intervals.

Pure: predictions are built in memory (``judge_sides``), the gates run through ``gates.evaluate`` with
the predictions' judge, exactly as the run calls them (``run.judge.with_families``). Regenerate the golden
file after an intended change with ``MLGATE_UPDATE_GOLDEN=1 pytest tests/unit/families/predictions/test_family_predictions.py``
and review it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from sklearn import metrics as skm

from mlgate.config.load import parse_config
from mlgate.edges.sides import DirectorySide
from mlgate.errors import ConfigError, InputError
from mlgate.families.predictions import family
from mlgate.gating import compare, gates
from mlgate.gating.snapshot import Snapshot
from mlgate.report.render import render
from mlgate.result import Baseline, Result, Revision
from mlgate.stats import Predictions, PredictionSpec

GOLDEN = Path(__file__).parents[2] / "report" / "golden" / "report_intervals.md"
FILE = "eval/predictions.csv"
BLOCK = {"path": FILE, "id": "id", "label": "label", "prediction": "pred", "score": "proba"}


def config(kpis: dict[str, Any], predictions: dict[str, Any] | None = BLOCK) -> Any:
    data: dict[str, Any] = {"version": 1, "kpis": kpis}
    if predictions is not None:
        data["predictions"] = predictions
    return parse_config(yaml.safe_dump(data, sort_keys=False))


def side(name: str, label: np.ndarray, pred: np.ndarray, score: np.ndarray | None = None,
         ids: np.ndarray | None = None) -> Predictions:
    spec = PredictionSpec(FILE, id="id", label="label", prediction="pred", score="proba" if score is not None else None)
    ids = np.array([f"ex{i:05d}" for i in range(len(label))], dtype=object) if ids is None else ids
    return Predictions(source=name, spec=spec, ids=ids, label=label, prediction=pred, score=score)


def binary(n: int = 2000, *, worse: int = 0, better: int = 0, seed: int = 0) -> tuple[Predictions, Predictions]:
    """(head, base): base right on ~90 % of rows; the head turns `worse` right rows wrong, `better` wrong rows right."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    right = rng.random(n) < 0.9
    u = rng.random(n)
    base_pred = np.where(right, label, 1 - label)
    head_right = right.copy()
    head_right[np.flatnonzero(right)[:worse]] = False
    head_right[np.flatnonzero(~right)[:better]] = True
    head_pred = np.where(head_right, label, 1 - label)

    def proba(pred: np.ndarray) -> np.ndarray:
        return np.where(pred == 1, 0.5 + 0.5 * u, 0.5 * u)

    return side("head", label, head_pred, proba(head_pred)), side("base", label, base_pred, proba(base_pred))


def run_gates(cfg: Any, head: Predictions, base: Predictions | None, *, base_values: dict[str, float] | None = None,
              with_base: bool = True) -> tuple[list[gates.GateOutcome], Any, Snapshot, Snapshot | None]:
    recorded = dict(base_values or {})
    data = family.judge_sides(cfg, head, base, base_origin="ledger commit abc1234", recorded=recorded)
    head_snap = Snapshot(metrics={FILE: data.head_metrics()})
    base_metrics = data.base_metrics()
    if base_metrics is not None:
        recorded = base_metrics
    base_snap = Snapshot(metrics={FILE: recorded} if recorded else {}) if with_base else None
    return gates.evaluate(cfg, head_snap, base_snap, judge=data.judge), data, head_snap, base_snap


# ---- config checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["confidence", "significance"])
def test_a_statistical_option_on_a_plain_metric_is_accepted_for_the_history_noise(option):
    level = 0.05 if option == "significance" else 0.95
    cfg = config({"accuracy": {"max_drop": 0.01, option: level}})
    assert cfg.kpis["accuracy"].confidence_level == pytest.approx(0.95)


def test_confidence_without_a_predictions_block_asks_for_one():
    with pytest.raises(ConfigError, match=r"kpis\.predictions\.accuracy: confidence needs per-example predictions; "
                                          r"add a predictions: block"):
        config({"predictions.accuracy": {"max_drop": 0.01, "confidence": 0.95}}, predictions=None)


def test_an_unknown_predictions_metric_lists_the_known_ones():
    with pytest.raises(ConfigError, match=r"kpis\.predictions\.acuracy: no such predictions metric; use one of "
                                          r"predictions\.accuracy, "):
        config({"predictions.acuracy": {"min": 0.9}})


def test_a_score_metric_without_a_score_column_says_which_key_to_set():
    with pytest.raises(ConfigError, match=r"predictions\.roc_auc needs the positive-class probability; "
                                          r"set predictions\.score"):
        config({"predictions.roc_auc": {"min": 0.9}}, predictions={**BLOCK, "score": None})


def test_plain_predictions_keys_without_a_block_are_left_to_metrics_files():
    assert config({"predictions.accuracy": {"min": 0.9}}, predictions=None).kpis
    assert config({"predictions.*": {"min": 0.5, "confidence": 0.9}}).kpis


# ---- metrics into the Snapshots ---------------------------------------------------------------------------


def test_each_side_gets_the_classification_metrics_scikit_learn_computes():
    head, base = binary()
    cfg = config({"predictions.f1_macro": {"min": 0.5}})
    _, data, head_snap, base_snap = run_gates(cfg, head, base)
    assert data.metrics == ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "f1_macro")
    for p, snap in ((head, head_snap), (base, base_snap)):
        values = snap.metrics[FILE]
        assert values["predictions.accuracy"] == pytest.approx(skm.accuracy_score(p.label, p.prediction))
        assert values["predictions.f1"] == pytest.approx(skm.f1_score(p.label, p.prediction))
        assert values["predictions.f1_macro"] == pytest.approx(skm.f1_score(p.label, p.prediction, average="macro"))
        assert values["predictions.precision"] == pytest.approx(skm.precision_score(p.label, p.prediction))
        assert values["predictions.recall"] == pytest.approx(skm.recall_score(p.label, p.prediction))
        assert values["predictions.roc_auc"] == pytest.approx(skm.roc_auc_score(p.label, p.score))
        assert values["predictions.log_loss"] == pytest.approx(skm.log_loss(p.label, p.score))


def test_regression_predictions_get_the_regression_metrics():
    rng = np.random.default_rng(1)
    y = rng.normal(10, 2, 300)
    head = side("head", y, y + rng.normal(0, 1, 300))
    data = family.judge_sides(config({"predictions.mse": {"max": 5}}, {**BLOCK, "score": None}), head, None)
    values = data.head_metrics()
    assert set(values) == {"predictions.mae", "predictions.rmse", "predictions.r2", "predictions.mse"}
    assert values["predictions.mae"] == pytest.approx(skm.mean_absolute_error(y, head.prediction))
    assert values["predictions.rmse"] == pytest.approx(skm.mean_squared_error(y, head.prediction) ** 0.5)
    assert values["predictions.r2"] == pytest.approx(skm.r2_score(y, head.prediction))


def test_three_classes_get_no_binary_score_metrics():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 200)
    head = side("head", y, y, score=rng.random(200))
    assert family.wanted_metrics(config({"predictions.accuracy": {"min": 0.5}}), head) == (
        "accuracy", "precision", "recall", "f1")


# ---- judging -----------------------------------------------------------------------------------------------


def test_rules_without_a_confidence_level_are_exactly_the_plain_rules():
    head, base = binary(worse=30)
    cfg = config({"predictions.accuracy": {"max_drop": 0.01, "min": 0.8}, "predictions.f1": {"max_drop_pct": 1}})
    judged, _, head_snap, base_snap = run_gates(cfg, head, base)
    plain = gates.evaluate(cfg, head_snap, base_snap)
    assert [g.to_dict() for g in judged] == [g.to_dict() for g in plain]
    assert all(r.interval is None for g in judged for r in g.rules)


def test_a_drop_rule_with_confidence_is_judged_on_the_paired_interval():
    head, base = binary(worse=60)  # −0.03 on 2,000 rows
    cfg = config({"predictions.accuracy": {"max_drop": 0.01, "significance": 0.1}})
    (gate,), *_ = run_gates(cfg, head, base)
    (rule,) = gate.rules
    iv = rule.interval
    assert gate.status == rule.status == gates.FAIL
    assert iv["value"] == pytest.approx(-0.03) and iv["low"] < -0.03 < iv["high"] < -0.01
    assert (iv["confidence"], iv["paired"], iv["n_paired"], iv["test"]) == (pytest.approx(0.9), True, 2000,
                                                                               "mcnemar_exact")
    assert rule.message == iv["reading"] and "(90 %), significant: the drop exceeds 0.01" in iv["reading"]


def test_a_min_rule_with_confidence_is_judged_on_the_head_interval():
    head, base = binary()
    cfg = config({"predictions.accuracy": {"min": 0.9, "confidence": 0.95}})
    (gate,), *_ = run_gates(cfg, head, base)
    iv = gate.rules[0].interval
    accuracy = skm.accuracy_score(head.label, head.prediction)
    assert iv["of"] == "head" and iv["value"] == pytest.approx(accuracy)
    assert iv["low"] < 0.9 < iv["high"]  # ~0.90 on 2,000 rows: within noise of the minimum
    assert gate.status == gates.PASS and "within noise of the minimum 0.9" in iv["reading"]
    assert (iv["test"], iv["n_head"]) == (None, 2000)


def test_without_a_base_a_drop_rule_with_confidence_has_no_baseline():
    head, _ = binary()
    cfg = config({"predictions.accuracy": {"max_drop": 0.01, "confidence": 0.95}})
    (gate,), *_ = run_gates(cfg, head, None, with_base=False)
    assert gate.status == gates.NO_BASELINE and gate.rules[0].interval is None


def test_a_ledger_base_value_without_base_predictions_is_taken_as_fixed():
    head, _ = binary()
    cfg = config({"predictions.accuracy": {"max_drop": 0.01, "confidence": 0.95}})
    accuracy = float(skm.accuracy_score(head.label, head.prediction))
    base_value = accuracy + 0.05
    (gate,), data, _, _ = run_gates(cfg, head, None, base_values={"predictions.accuracy": base_value})
    iv = gate.rules[0].interval
    assert iv["method"].startswith("fixed_base") and not iv["paired"] and iv["test"] is None
    assert iv["value"] == pytest.approx(accuracy - base_value)
    head_alone = data._comparison("predictions.accuracy", 0.95, "head")
    assert (iv["low"], iv["high"]) == pytest.approx((head_alone.head_low - base_value, head_alone.head_high - base_value))
    assert "base value is taken as fixed: ledger commit abc1234" in iv["note"]
    assert gate.status == gates.FAIL


def test_unpaired_when_the_ids_differ():
    head, base = binary(worse=40)
    head = side("head", head.label, head.prediction, head.score,
                ids=np.array([f"new{i}" for i in range(len(head.label))], dtype=object))
    cfg = config({"predictions.accuracy": {"max_drop": 0.01, "confidence": 0.95}})
    (gate,), data, *_ = run_gates(cfg, head, base)
    iv = gate.rules[0].interval
    assert (iv["paired"], iv["method"], iv["test"]) == (False, "unpaired_counts", "fisher_exact")
    assert any("share no ids" in w for w in data.warnings)


# ---- result and report ----------------------------------------------------------------------------------


def report_result() -> Result:
    head, base = binary(worse=60, better=10)
    cfg = config({
        "predictions.accuracy": {"max_drop": 0.01, "confidence": 0.95},
        "predictions.f1": {"min": 0.85, "confidence": 0.95},
        "predictions.roc_auc": {"max_drop": 0.05, "confidence": 0.95},
        "predictions.recall": {"min": 0.8},
    })
    outcomes, data, head_snap, base_snap = run_gates(cfg, head, base)
    sha_head, sha_base = "3f2a9c1" + "4" * 33, "a81d0e4" + "5" * 33
    return Result(
        verdict=gates.verdict(outcomes), head=Revision("feature/stat-gates", sha_head),
        base=Revision("main", sha_base), base_how="merge-base",
        baseline=Baseline("committed", "metrics committed at a81d0e4", sha_base), gates=outcomes,
        metrics=compare.diff_flat(base_snap.metrics, head_snap.metrics), params={}, warnings=data.warnings,
        errors={"head": {}}, created_at="2026-01-01T00:00:00+00:00",
    )


def test_the_result_json_carries_the_intervals():
    result = report_result()
    again = Result.from_dict(result.to_dict())
    judged = [(g.kpi, r.rule, r.interval) for g in again.gates for r in g.rules if r.interval]
    assert [(k, rule) for k, rule, _ in judged] == [
        ("predictions.accuracy", "max_drop"), ("predictions.f1", "min"), ("predictions.roc_auc", "max_drop")]
    assert judged == [(g.kpi, r.rule, r.interval) for g in result.gates for r in g.rules if r.interval]
    assert judged[2][2]["test"] == "delong"


def test_report_with_intervals_matches_the_golden_file():
    text = render(report_result())
    if os.environ.get("MLGATE_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_golden_report_shows_interval_test_n_and_reading():
    """What the golden file must show, so a regenerated golden cannot silently lose it."""
    text = GOLDEN.read_text(encoding="utf-8").replace("\u00a0", " ")  # no-break spaces keep cells whole
    row = next(line for line in text.splitlines() if line.startswith("| ❌ | `predictions.accuracy`"))
    assert row.endswith("| −0.0250 worse | drop ≤ 0.01 (95 %) |")  # narrow: the interval is in the details, once
    assert "<details><summary>Confidence intervals (3), from per-example predictions</summary>" in text
    assert ("fell by 0.0250 (95 % interval −0.0325 … −0.0170, 2,000 paired examples): more than the 0.01 allowed"
            in text)
    assert text.count("−0.0325 … −0.0170") == 2  # the failing reading under the table, and in the details
    assert "McNemar exact p < 0.0001" in text and "DeLong z p" in text
    assert "0.8806 (95 % interval 0.8653 … 0.8951, 2,000 examples): above the minimum 0.85" in text
    assert "| 📄 `eval/predictions.csv` | | | |" in text and "| `predictions.log_loss` |" in text


# ---- mlgate check ----------------------------------------------------------------------------------------


def test_the_family_reads_the_workspace_predictions_or_says_they_are_not_written(tmp_path):
    cfg = config({"predictions.accuracy": {"min": 0.5}}, {**BLOCK, "score": None})
    with pytest.raises(InputError, match=f"{FILE}: no such predictions file at the head"):
        family.compute(cfg, DirectorySide("head", None, tmp_path), None)
    (tmp_path / "eval").mkdir()
    (tmp_path / FILE).write_text("id,label,pred\na,1,1\nb,0,1\nc,0,0\nd,1,1\n", encoding="utf-8")
    found = family.compute(cfg, DirectorySide("head", None, tmp_path), None)
    assert found is not None and found.file == FILE and found.base is None
    assert found.head["predictions.accuracy"] == 0.75


def test_empty_predictions_are_refused_not_left_out_of_the_metrics(tmp_path):
    cfg = config({"predictions.accuracy": {"min": 0.9}}, {**BLOCK, "score": None})
    (tmp_path / "eval").mkdir()
    rows = "".join(f"r{i},1,{'' if i in (3, 5) else 1}\n" for i in range(10))  # 2 of 10 predictions empty
    (tmp_path / FILE).write_text("id,label,pred\n" + rows, encoding="utf-8")

    with pytest.raises(InputError) as info:  # 8 right rows would make a perfect accuracy
        family.compute(cfg, DirectorySide("head", None, tmp_path), None)

    assert info.value.exit_code == 2
    assert str(info.value) == (f"{FILE}: column 'pred' (predictions.prediction) has 2 missing or infinite values "
                               "(NaN, inf or empty), first in data row 4 (id 'r3'); the evaluate stage must write a "
                               "finite value in every row")
