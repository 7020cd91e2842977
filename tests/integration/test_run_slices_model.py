"""`mlgate run` with slices, health, flips, calibration and the model family, on a real git + DVC project.

The evaluate stage writes ``eval/predictions.csv`` (with a ``region`` column) from params.yaml's
``eval`` section: ``rows`` examples with a fixed truth and base predictions, then ``worse_north`` right
predictions in the north region made wrong. It also pickles a small scikit-learn model fitted on
``eval.features`` columns, and writes the sample rows to time it on. Every expected number is computed
from the files the pipeline wrote.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, brier_score_loss

from mlgate.cli import main
from tests.support.dvc_repo import PYTHON, Project, make_project

PREDICTIONS = "eval/predictions.csv"
SCRIPT_NAME = "evaluate.py"
SCRIPT = '''\
"""Write eval/predictions.csv, models/model.pkl and data/sample.csv (tests/integration/test_run_slices_model.py)."""
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.linear_model import LogisticRegression

p = yaml.safe_load(Path("params.yaml").read_text())["eval"]
n = p["rows"]
rng = np.random.default_rng(0)
label = rng.integers(0, 2, n)
region = rng.choice(["north", "south", "east", "west"], n)
right = rng.random(n) < 0.9
north_right = np.flatnonzero(right & (region == "north"))
right[north_right[: p.get("worse_north", 0)]] = False
pred = np.where(right, label, 1 - label)
proba = np.clip(np.where(pred == 1, 0.8, 0.2) + rng.normal(0, 0.1, n), 0, 1).round(4)
Path("eval").mkdir(exist_ok=True)
pd.DataFrame({"id": [f"ex{i}" for i in range(n)], "label": label, "pred": pred, "proba": proba,
              "region": region}).to_csv("eval/predictions.csv", index=False)
x = pd.DataFrame(rng.normal(size=(200, 4)), columns=["a", "b", "c", "d"])
Path("data").mkdir(exist_ok=True)
x.to_csv("data/sample.csv", index=False)
model = LogisticRegression().fit(x[p["features"]], (x["a"] > 0).astype(int))
Path("models").mkdir(exist_ok=True)
Path("models/model.pkl").write_bytes(pickle.dumps(model))
Path("eval/metrics.json").write_text(json.dumps({"rows": n}))
'''

STAGES = {
    "evaluate": {
        "cmd": f"{PYTHON} {SCRIPT_NAME}",
        "deps": [SCRIPT_NAME],
        "params": ["eval"],
        "outs": [{PREDICTIONS: {"cache": True}}, {"models/model.pkl": {"cache": True}},
                 {"data/sample.csv": {"cache": True}}],
        "metrics": [{"eval/metrics.json": {"cache": False}}],
    }
}
CONFIG = {
    "version": 1,
    "predictions": {"path": PREDICTIONS, "id": "id", "label": "label", "prediction": "pred", "score": "proba",
                    "slices": ["region"]},
    "model": {"path": "models/model.pkl", "loader": "pickle", "sample": "data/sample.csv", "repeats": 6},
    "kpis": {
        "predictions.accuracy": {"max_drop": 0.02, "confidence": 0.95},
        "predictions.slice.region=*.accuracy": {"max_drop": 0.02, "confidence": 0.95},
        "predictions.health.distinct_labels": {"min": 2},
        "predictions.calibration.brier": {"max": 0.5},
        "model.size_mb": {"max": 5},
        "model.interface": "unchanged",
    },
}


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = make_project(tmp_path / "repo", params={"eval": {"rows": 4000, "features": ["a", "b", "c", "d"]}},
                     stages=STAGES, config=CONFIG, repro=False, commit=False)
    p.write(SCRIPT_NAME, SCRIPT)
    assert p.repro() == ["evaluate"]
    p.commit("initial pipeline")
    return p


def run(project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
        ) -> tuple[int, dict[str, Any], str, str]:
    report, result = tmp_path / "report.md", tmp_path / "result.json"
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.chdir(project.dir)
    capsys.readouterr()
    code = main(["run", "--base", "main", "--quiet", "--report", str(report), "--json", str(result)])
    err = capsys.readouterr().err
    assert result.exists(), err
    return code, json.loads(result.read_text()), report.read_text(), err


def gate(result: dict[str, Any], key: str) -> dict[str, Any]:
    (found,) = [g for g in result["gates"] if g["key"] == key]
    return found


def test_fine_on_average_but_a_slice_fails(project, monkeypatch, capsys, tmp_path):
    base = pd.read_csv(project.path(PREDICTIONS))
    project.checkout("feature", new=True)
    project.update_params({"eval": {"worse_north": 60}})
    project.commit("worse in the north")

    code, result, report, err = run(project, monkeypatch, capsys, tmp_path)

    head = pd.read_csv(project.path(PREDICTIONS))
    assert code == 1, err
    assert result["warnings"] == []
    overall = gate(result, "predictions.accuracy")
    assert overall["status"] == "pass" and "within the 0.02 margin" in overall["message"]
    north = gate(result, "predictions.slice.region=north.accuracy")
    rows = head["region"] == "north"
    assert north["status"] == "fail"
    assert north["new"] == pytest.approx(accuracy_score(head["label"][rows], head["pred"][rows]))
    assert north["old"] == pytest.approx(accuracy_score(base["label"][rows], base["pred"][rows]))
    interval = north["rules"][0]["interval"]
    assert interval["high"] < -0.02 and interval["correction"]["method"] == "holm"
    assert interval["correction"]["family"] == 4
    assert "Holm over 4 slice gates: adjusted p = " in north["message"]
    for other in ("south", "east", "west"):
        assert gate(result, f"predictions.slice.region={other}.accuracy")["status"] == "pass"
    metrics = result["metrics"][PREDICTIONS]
    assert metrics["predictions.flips.right_to_wrong"]["new"] == 60
    assert metrics["predictions.calibration.brier"]["old"] == pytest.approx(brier_score_loss(base["label"], base["proba"]))
    assert metrics["predictions.slice.region=north.rows"] == {"old": int(rows.sum()), "new": int(rows.sum()), "diff": 0}
    section = result["sections"]["predictions"]
    assert section["slices"]["movers"][0] == "region=north" and section["flips"]["right_to_wrong"] == 60
    # the model family: both sides, the same interface
    model = result["metrics"]["model"]
    size = project.path("models/model.pkl").stat().st_size / 1e6
    assert model["model.size_mb"]["new"] == pytest.approx(size, abs=1e-6)
    assert model["model.interface"]["old"] == model["model.interface"]["new"]
    assert gate(result, "model.interface")["status"] == "pass"
    assert model["model.latency_ratio"]["new"] > 0 and "latency" in result["sections"]["model"]


def test_an_interface_change_fails_unchanged(project, monkeypatch, capsys, tmp_path):
    project.checkout("feature", new=True)
    project.update_params({"eval": {"features": ["a", "b", "c"]}})
    project.commit("one feature fewer")

    code, result, _report, err = run(project, monkeypatch, capsys, tmp_path)

    assert code == 1, err
    g = gate(result, "model.interface")
    assert g["status"] == "fail" and g["message"].startswith("changed from '4 inputs #")
    assert result["sections"]["model"]["interface_changes"] == ["1 input column(s) removed: d"]


@pytest.mark.parametrize(("change", "message"), [
    ({"predictions": {**CONFIG["predictions"], "slices": [{"name": "night", "where": "hour < 6"}]}},
     "mlgate: error: eval/predictions.csv: slice 'night': cannot evaluate where: 'hour < 6': "),
    ({"predictions": {**CONFIG["predictions"], "slices": ["district"]}},
     "mlgate: error: eval/predictions.csv: no column 'district' (predictions.slices); columns present: "),
    ({"model": {**CONFIG["model"], "path": "models/missing.pkl"}},
     "mlgate: error: models/missing.pkl: no such file or directory at the head; check model.path"),
])
def test_bad_slices_or_model_are_one_line_exit_2(project, monkeypatch, capsys, change, message):
    project.write_config({**CONFIG, **change, "kpis": {"predictions.accuracy": {"min": 0.5}}})
    project.commit("config")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.chdir(project.dir)
    capsys.readouterr()

    code = main(["run", "--base", "main", "--quiet", "--no-repro"])

    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert any(line.startswith(message) for line in err), err
    assert not any("Traceback" in line for line in err)


# -- a where: is checked before pandas evaluates it; features must share the predictions' ids ---------------

LONG_WHERE = " or ".join(f"region == 'r{i:05d}'" for i in range(4400))  # about 96 KB


@pytest.mark.parametrize(("where", "said"), [
    ("region == 'north' and proba ** 999999999999 > 0",
     "raises to the power 999999999999, above 100; such a power takes forever or overflows"),
    ("2 ** 999999999999 > 1", "raises to the power 999999999999, above 100"),
    ("9 ** 9 ** 9 > proba", "raises to a power given by a constant expression; write the exponent as a number"),
    ("proba > @CONFIG", "uses '@', which refers to a variable of the program, not a column; name the file's columns only"),
    ("region.__class__ == 1", "uses the attribute '__class__'; attributes starting with '_' are not allowed"),
    ("proba > " + "7" * 40, "has an integer literal of more than 30 digits; write it as a float (e.g. 1e40)"),
    ("(" + LONG_WHERE, "(96,"),
])
def test_a_where_that_could_hang_or_reach_variables_is_refused_in_the_config(project, tmp_path, where, said):
    project.write_config({**CONFIG, "predictions": {**CONFIG["predictions"], "slices": [{"name": "x", "where": where}]},
                          "kpis": {"predictions.accuracy": {"min": 0.5}}})
    project.commit("config")

    started = time.monotonic()
    proc = project.mlgate("run", "--base", "main", "--quiet", "--no-repro")

    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"mlgate: error: {project.dir / 'mlgate.yaml'}:")
    assert ": predictions.slices: entry 1: where: " in line
    assert said in line
    assert len(line) < 400  # a 96 KB where: is quoted, not echoed
    assert time.monotonic() - started < 60


def test_an_error_evaluating_a_long_where_quotes_it_bounded(project, tmp_path):
    where = LONG_WHERE.replace("region ==", "district ==")  # valid syntax, but no such column
    project.write_config({**CONFIG, "predictions": {**CONFIG["predictions"], "slices": [{"name": "x", "where": where}]},
                          "kpis": {"predictions.accuracy": {"min": 0.5}}})
    project.commit("config")

    proc = project.mlgate("run", "--base", "main", "--quiet", "--no-repro")

    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"mlgate: error: {PREDICTIONS}: slice 'x': cannot evaluate where: \"district == 'r00000' or ")
    assert f"… ({len(where):,} characters): " in line and len(line) < 600


def test_features_whose_ids_never_match_the_predictions_are_refused(project, tmp_path):
    project.write("data/features.csv", "id,shift\n" + "".join(f"row-{i},{i % 3}\n" for i in range(50)))
    project.write_config({**CONFIG, "predictions": {**CONFIG["predictions"], "slices": ["shift"],
                                                    "features": "data/features.csv"},
                          "kpis": {"predictions.accuracy": {"min": 0.5}}})
    project.commit("features")

    proc = project.mlgate("run", "--base", "main", "--quiet", "--no-repro")

    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line == ("mlgate: error: data/features.csv: no id in column 'id' matches an id of eval/predictions.csv (e.g. "
                    "'row-0' here, 'ex0' there), so every slice would be empty; predictions.features must hold the "
                    "predictions' ids")
