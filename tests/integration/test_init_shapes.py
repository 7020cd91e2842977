"""`mlgate init` on the shapes DVC projects declare their metrics in, through the real CLI: the gates it
writes block a clear regression of the held-out split's headline metrics (exit 1) and pass an improvement
(exit 0). Stage ``metrics:`` with nested split keys (``test.accuracy``); dvclive's top-level ``metrics:``
(``dvclive/metrics.json`` with ``train.loss``, ``eval.acc``); DVC's get-started shape (``roc_auc.test``,
``avg_prec.test`` in a cached ``eval`` output); and a score near zero (r2 = 0.013), gated absolutely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlgate.config.load import load_config
from tests.support.dvc_repo import PYTHON, WRITER_NAME, Project, make_project

pytestmark = [pytest.mark.slow]


def _stage(out: str, cache: bool, metrics: bool) -> dict[str, Any]:
    """One stage writing params.yaml's ``metrics`` section into ``out``/metrics.json."""
    return {"cmd": f"{PYTHON} {WRITER_NAME} metrics={out}/metrics.json", "deps": [WRITER_NAME], "params": ["metrics"],
            ("metrics" if metrics else "outs"): [{(f"{out}/metrics.json" if metrics else out): {"cache": cache}}]}


SHAPES = {
    # a stage's own metrics: output, splits as the outer keys
    "stage-metrics": dict(
        stages={"evaluate": _stage("eval", cache=False, metrics=True)},
        params={"metrics": {"test": {"accuracy": 0.91, "loss": 0.30}, "train": {"accuracy": 0.99, "loss": 0.05}}},
        blocking={"test.accuracy", "test.loss"}, warned={"train.accuracy", "train.loss"},
        worse={"test": {"accuracy": 0.80}}, better={"test": {"accuracy": 0.95, "loss": 0.25}},
    ),
    # dvclive: its folder a plain output, its metrics.json listed under dvc.yaml's top-level metrics:
    "dvclive-top-level": dict(
        stages={"train": _stage("dvclive", cache=False, metrics=False)}, top_level_metrics=["dvclive/metrics.json"],
        params={"metrics": {"train": {"loss": 0.10}, "eval": {"loss": 0.20, "acc": 0.88}, "step": 9}},
        blocking={"eval.acc", "eval.loss"}, warned={"train.loss"},
        worse={"eval": {"loss": 0.40}}, better={"eval": {"loss": 0.18, "acc": 0.90}},
    ),
    # DVC's example-get-started: a cached eval folder, the split as the inner key
    "get-started": dict(
        stages={"evaluate": _stage("eval", cache=True, metrics=False)}, top_level_metrics=["eval/metrics.json"],
        params={"metrics": {"avg_prec": {"train": 0.97, "test": 0.93}, "roc_auc": {"train": 0.98, "test": 0.94}}},
        blocking={"avg_prec.test", "roc_auc.test"}, warned={"avg_prec.train", "roc_auc.train"},
        worse={"roc_auc": {"test": 0.85}}, better={"roc_auc": {"test": 0.96}, "avg_prec": {"test": 0.94}},
    ),
}


def _initialised(root: Path, shape: dict[str, Any]) -> Project:
    project = make_project(root, stages=shape["stages"], params=shape["params"],
                           top_level_metrics=shape.get("top_level_metrics"), config=None)
    proc = project.mlgate("init", "--no-workflow")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    project.commit("mlgate init")
    return project


def _run_after(project: Project, branch: str, change: dict[str, Any], tmp_path: Path) -> tuple[int, dict]:
    project.checkout("main")
    project.checkout(branch, new=True)
    project.update_params({"metrics": change})
    project.repro()
    project.commit(branch)
    out = tmp_path / f"{branch}.json"
    proc = project.mlgate("run", "--base", "main", "--json", str(out), timeout=300)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode, json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", list(SHAPES))
def test_init_gates_block_a_regression_and_pass_an_improvement(name: str, tmp_path: Path) -> None:
    shape = SHAPES[name]
    project = _initialised(tmp_path / "repo", shape)

    kpis = load_config(project.dir / "mlgate.yaml").kpis
    assert {k for k, kpi in kpis.items() if kpi.severity == "fail"} == shape["blocking"]
    assert {k for k, kpi in kpis.items() if kpi.severity == "warn"} == shape["warned"]

    code, result = _run_after(project, "worse", shape["worse"], tmp_path)
    failed = {g["kpi"] for g in result["gates"] if g["status"] == "fail"}
    assert code == 1 and result["verdict"] == "fail" and failed & shape["blocking"], result["gates"]

    code, result = _run_after(project, "better", shape["better"], tmp_path)
    assert code == 0 and result["verdict"] == "pass", result["gates"]
    judged = {g["kpi"] for g in result["gates"] if g["status"] == "pass"}
    assert shape["blocking"] <= judged  # the improvement was checked, not skipped


def test_a_score_near_zero_gets_an_absolute_margin(tmp_path: Path) -> None:
    """r2 = 0.013: 2% of it is 0.00026, so init writes max_drop 0.01: a fall to 0.0125 passes (noise), a fall
    to 0.001 blocks."""
    shape = {"stages": {"fit": _stage("eval", cache=False, metrics=True)},
             "params": {"metrics": {"test": {"r2": 0.013}}}}
    project = _initialised(tmp_path / "repo", shape)

    kpi = load_config(project.dir / "mlgate.yaml").kpis["test.r2"]
    assert kpi.max_drop == 0.01 and kpi.max_drop_pct is None and kpi.severity == "fail"

    code, result = _run_after(project, "noise", {"test": {"r2": 0.0125}}, tmp_path)
    assert code == 0, result["gates"]
    code, result = _run_after(project, "worse", {"test": {"r2": 0.001}}, tmp_path)
    assert code == 1 and [g["kpi"] for g in result["gates"] if g["status"] == "fail"] == ["test.r2"]


def test_a_project_with_only_training_metrics_is_told_no_gate_blocks(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", stages={"train": _stage("dvclive", cache=False, metrics=False)},
                           top_level_metrics=["dvclive/metrics.json"],
                           params={"metrics": {"train": {"loss": 0.1, "acc": 0.9}}}, config=None)

    proc = project.mlgate("init", "--no-workflow")

    assert proc.returncode == 0, proc.stderr
    assert "  2 gates (0 blocking) on 2 metrics in dvclive/metrics.json; every line says why" in proc.stdout
    assert ("  note: no gate blocks (each is a training-split, per-class, size or time metric): set 'severity: fail'"
            " on the one that must not regress") in proc.stdout.splitlines()
    assert {kpi.severity for kpi in load_config(project.dir / "mlgate.yaml").kpis.values()} == {"warn"}
