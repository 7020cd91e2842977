"""run.monitor_gates: the verdict word from profiles and predictions, pure (generated data, no files)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlgate.config.schema import MonitorConfig
from mlgate.families.data.drift import drifts_of
from mlgate.run.monitor_gates import SamplePredictions, checks
from tests.support.data_files import classified, profile_of

CFG = MonitorConfig()


def _check(train: pd.DataFrame, prod: pd.DataFrame, **kw):
    t, s = profile_of(train, categorical=("label",)), profile_of(prod, categorical=("label",))
    return checks(CFG, t, s, drifts_of(t, s), exempt=("label",), **kw)


def test_the_same_distribution_is_ok():
    done = _check(classified(3000, seed=1), classified(3000, seed=2))
    assert done.word == "ok" and done.section["drifting_columns"] == []
    assert done.head["drift.drifting_columns"] == 0


def test_a_large_psi_on_a_tiny_sample_is_neither_drift_nor_a_pass():
    train, prod = classified(3000, seed=1), classified(12, seed=2, shift=4)
    done = _check(train, prod)
    gate = next(g for g in done.gates if g.key == "drift.age.psi")
    p = gate.rules[0].message.split("p = ")[1].split(" ")[0]
    assert gate.new >= CFG.psi and gate.status == "skipped"
    assert gate.message == (f"PSI {gate.new:.3g} ≥ 0.2, but KS p = {p} ≥ 0.01 on 12 rows: not judged drift (chance "
                            "alone could move PSI this far; a larger sample decides)")
    assert float(p) >= 0.01
    assert done.word == "ok" and "age" in done.section["drift_unjudged"] and "age" not in done.section["drifting_columns"]


def test_row_identifiers_are_not_compared():
    train = classified(300, seed=1).assign(id=range(300), row_number=range(300), key=[f"t{i}" for i in range(300)])
    prod = classified(200, seed=2).assign(id=range(5000, 5200), row_number=range(1, 201),
                                          key=[f"p{i}" for i in range(200)], request=range(200))
    t, s = profile_of(train, categorical=("label",)), profile_of(prod, categorical=("label",))
    done = checks(CFG, t, s, drifts_of(t, s, ("request",)), exempt=("label",))
    gates = {g.key: g for g in done.gates}
    assert gates["drift.id"].status == "skipped" and gates["drift.id"].message == "a row identifier (named 'id'), not compared"
    assert gates["drift.row_number"].message == (
        "integers numbering the rows (each value once, min to max): a row identifier, not compared")
    assert gates["drift.key"].message == "every value distinct on both sides: an identifier, not compared"
    assert not any(k.startswith(("drift.id.", "drift.key.", "drift.row_number.")) for k in done.head)
    assert done.word == "ok" and gates["drift.age.psi"].status == "pass"


def test_a_shifted_column_is_drift():
    done = _check(classified(3000, seed=1), classified(3000, seed=2, shift=10))
    assert done.word == "drift" and done.section["drifting_columns"] == ["age"]


def test_collapsed_predictions_are_degraded_even_when_inputs_drift_too():
    prod = classified(500, seed=2, shift=10)
    done = _check(classified(3000, seed=1), prod,
                  predictions=SamplePredictions(prediction=np.ones(500, dtype=int)),
                  test_prediction=np.array([0, 1] * 250))
    assert done.word == "degraded"
    assert done.alarms["degraded"] == ["health.distinct_labels"]
    assert "drift.age.psi" in done.alarms["drift"] and "health.label_shift_js" in done.alarms["drift"]


def test_empty_predictions_above_the_share_are_degraded():
    pred = np.array(["yes", "no"] * 50, dtype=object)
    pred[:10] = None  # 10 %
    done = _check(classified(300, seed=1), classified(100, seed=2), predictions=SamplePredictions(prediction=pred))
    gate = next(g for g in done.gates if g.key == "health.empty_share")
    assert gate.status == "fail" and gate.new == 0.1 and done.word == "degraded"


def test_a_lower_is_better_metric_alarms_on_a_rise():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, 200)
    labels = truth.astype(object)
    labels[100:] = None  # half the labels arrived
    wrong = np.where(rng.random(200) < 0.3, 1 - truth, truth)
    done = _check(classified(300, seed=1), classified(200, seed=2),
                  predictions=SamplePredictions(prediction=wrong, labels=labels,
                                                score=np.where(wrong == 1, 0.9, 0.1)),
                  recorded={"predictions.log_loss": 0.2, "predictions.accuracy": 0.95})
    assert done.section["labelled"]["rows"] == 100
    gates = {g.key: g for g in done.gates}
    assert gates["predictions.log_loss"].status == "fail" and gates["predictions.log_loss"].rules[0].rule == "max_increase"
    assert gates["predictions.accuracy"].status == "fail" and gates["predictions.accuracy"].rules[0].rule == "max_drop"
    assert done.word == "degraded"
