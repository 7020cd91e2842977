"""monitor_checks: the verdict word from profiles and predictions, pure (generated data, no files)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlgate.config import MonitorConfig
from mlgate.data.drift import drifts_of
from mlgate.monitor_checks import SamplePredictions, checks
from tests.support.data_files import classified, profile_of

CFG = MonitorConfig()


def _check(train: pd.DataFrame, prod: pd.DataFrame, **kw):
    t, s = profile_of(train, categorical=("label",)), profile_of(prod, categorical=("label",))
    return checks(CFG, t, s, drifts_of(t, s), exempt=("label",), **kw)


def test_the_same_distribution_is_ok():
    done = _check(classified(3000, seed=1), classified(3000, seed=2))
    assert done.word == "ok" and done.section["drifting_columns"] == []
    assert done.head["drift.drifting_columns"] == 0


def test_a_large_psi_on_a_tiny_sample_is_not_significant_so_not_drift():
    train, prod = classified(3000, seed=1), classified(12, seed=2, shift=4)
    done = _check(train, prod)
    gate = next(g for g in done.gates if g.key == "drift.age.psi")
    assert gate.new >= CFG.psi and gate.status == "pass" and "not significant" in gate.message
    assert done.word == "ok"


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
