"""On a DVC project that is not the bundled example, `mlgate run --base main` gates like it should and
its numbers agree with `dvc metrics diff main` (DVC's own CLI, as a subprocess).

The project: ridge regression on scikit-learn's bundled diabetes dataset (no download), two stages
(prepare → train), metrics in a nested JSON file and a YAML file. main trains with alpha 1.0; a degraded
branch raises alpha (worse R², higher errors), an improved one lowers it.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

# DVC binds its log handlers to sys.stdout and sys.stderr when first imported: import it now, under the
# session's capture, not inside a test whose capsys stream is closed afterwards (DVC's next log would raise).
import dvc.repo  # noqa: F401
import pytest

from tests.support.dvc_repo import PYTHON, Project, make_project, mlgate_env

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("agrees_with_dvc")]  # one worker builds the project once

DVC = Path(sys.executable).with_name("dvc")
MLGATE = Path(sys.executable).with_name("mlgate")

PREPARE = '''\
from pathlib import Path

import yaml
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
data = load_diabetes(as_frame=True).frame
train, test = train_test_split(data, test_size=params["test_size"], random_state=params["seed"])
Path("data").mkdir(exist_ok=True)
train.to_csv("data/train.csv", index=False)
test.to_csv("data/test.csv", index=False)
'''

TRAIN = '''\
import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
train, test = pd.read_csv("data/train.csv"), pd.read_csv("data/test.csv")
features = [c for c in train.columns if c != "target"]
model = Ridge(alpha=params["alpha"]).fit(train[features], train["target"])
pred = model.predict(test[features])
residuals = test["target"] - pred
metrics = {
    "r2": float(r2_score(test["target"], pred)),
    "mae": float(mean_absolute_error(test["target"], pred)),
    "rmse": float(np.sqrt(mean_squared_error(test["target"], pred))),
    "residuals": {"mean": float(residuals.mean()), "std": float(residuals.std())},
}
Path("eval").mkdir(exist_ok=True)
Path("eval/metrics.json").write_text(json.dumps(metrics, indent=2))
Path("eval/model.yaml").write_text(yaml.safe_dump({
    "coef_norm": float(np.linalg.norm(model.coef_)), "n_features": len(features),
}))
'''

STAGES = {
    "prepare": {
        "cmd": f"{PYTHON} prepare.py",
        "deps": ["prepare.py"],
        "params": ["prepare"],
        "outs": ["data/train.csv", "data/test.csv"],
    },
    "train": {
        "cmd": f"{PYTHON} train.py",
        "deps": ["train.py", "data/train.csv", "data/test.csv"],
        "params": ["train"],
        "metrics": [{"eval/metrics.json": {"cache": False}}, {"eval/model.yaml": {"cache": False}}],
    },
}
PARAMS = {"prepare": {"test_size": 0.25, "seed": 7}, "train": {"alpha": 1.0}}
CONFIG = {
    "version": 1,
    "kpis": {
        "r2": {"min": 0.2, "max_drop": 0.01},
        "rmse": {"max_increase_pct": 2},
        "mae": {"max_increase_pct": 2},
        "coef_norm": {"max": 1e6, "severity": "warn"},
    },
}


@pytest.fixture(scope="module")
def regression(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("diabetes") / "repo", params=PARAMS, stages=STAGES,
                           config=CONFIG, repro=False, commit=False)
    project.write("prepare.py", PREPARE)
    project.write("train.py", TRAIN)
    assert project.repro() == ["prepare", "train"]
    project.commit("ridge regression on diabetes, alpha 1.0")
    return project


def dvc_json(project: Project, *args: str) -> dict[str, Any]:
    """`dvc ARGS --json`: the real DVC CLI of this environment, from the project directory."""
    proc = subprocess.run([str(DVC), *args, "--json"], cwd=project.dir, capture_output=True, text=True,
                          check=False, env=mlgate_env())
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def same_number(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


@pytest.mark.parametrize(
    ("scenario", "alpha", "expected_exit"),
    [("degraded", 5.0, 1), ("improved", 0.1, 0)],
)
def test_mlgate_gates_the_change_and_agrees_with_dvc_metrics_diff(regression, tmp_path, scenario, alpha, expected_exit):
    project = regression.copy(tmp_path / "repo")
    project.checkout(scenario, new=True)
    project.update_params({"train": {"alpha": alpha}})
    project.commit(f"alpha {alpha}")
    result_path = tmp_path / "result.json"

    # The console script a user runs, as a real process: its exit code is what CI sees.
    proc = subprocess.run(
        [str(MLGATE), "run", "--base", "main", "--json", str(result_path), "--report", str(tmp_path / "report.md")],
        cwd=project.dir, capture_output=True, text=True, check=False, env=mlgate_env(),
    )

    assert proc.returncode == expected_exit, proc.stdout + proc.stderr
    result = json.loads(result_path.read_text())
    assert [(s["name"], s["status"]) for s in result["stages"]] == [("prepare", "skipped"), ("train", "ran")]
    assert result["baseline"]["source"] == "git"
    r2 = next(g for g in result["gates"] if g["kpi"] == "r2")
    assert r2["status"] == ("fail" if scenario == "degraded" else "pass")
    assert (r2["new"] < r2["old"]) is (scenario == "degraded")

    # Every metric DVC reports, mlgate reports with the same old, new and diff; and no others.
    dvc_metrics = dvc_json(project, "metrics", "diff", "main", "--all")
    assert_same_diff(result["metrics"], dvc_metrics)
    assert set(dvc_metrics) == {"eval/metrics.json", "eval/model.yaml"}
    assert "residuals.std" in dvc_metrics["eval/metrics.json"]
    # The gate rows carry the same numbers.
    for gate in result["gates"]:
        theirs = dvc_metrics[gate["file"]][gate["key"]]
        assert same_number(gate["old"], theirs["old"]) and same_number(gate["new"], theirs["new"]), gate
    # And the params.
    dvc_params = dvc_json(project, "params", "diff", "main", "--all")
    assert_same_diff(result["params"], dvc_params)
    alpha_row = dvc_params["params.yaml"]["train.alpha"]
    assert (alpha_row["old"], alpha_row["new"]) == (PARAMS["train"]["alpha"], alpha)


def assert_same_diff(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """The same files, keys, and old/new/diff values, in DVC's diff shape."""
    assert set(ours) == set(theirs)
    for path, keys in theirs.items():
        assert set(ours[path]) == set(keys), path
        for key, their_entry in keys.items():
            our_entry = ours[path][key]
            for field in ("old", "new", "diff"):
                assert same_number(our_entry.get(field), their_entry.get(field)), (path, key, field, our_entry, their_entry)
