"""`mlgate run` with statistical gates on per-example predictions, on real git + DVC projects.

The evaluate stage writes ``eval/predictions.csv`` from params.yaml's ``eval`` section: ``rows``
examples with a fixed truth and base predictions (seeded), then ``worse`` right predictions made wrong
and ``better`` wrong ones made right; ``id_prefix`` renames the ids (the evaluation set changed). The
predictions are a DVC-cached output, so the base's file is read from the DVC cache at the base commit.
Every expected number is computed from the CSV files the pipeline wrote.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

from mlgate.cli import main
from tests.support.dvc_repo import PYTHON, Project, make_project

PREDICTIONS = "eval/predictions.csv"
SCRIPT_NAME = "make_predictions.py"
SCRIPT = '''\
"""Write eval/predictions.csv from params.yaml's eval section (tests/integration/test_run_prediction_gates.py)."""
import json
from pathlib import Path

import numpy as np
import yaml

p = yaml.safe_load(Path("params.yaml").read_text())["eval"]
n = p["rows"]
rng = np.random.default_rng(p.get("data_seed", 0))
label = rng.integers(0, 2, n)
right = rng.random(n) < p.get("accuracy", 0.9)
u = rng.random(n)
right_rows, wrong_rows = np.flatnonzero(right), np.flatnonzero(~right)
right[right_rows[: p.get("worse", 0)]] = False
right[wrong_rows[: p.get("better", 0)]] = True
pred = np.where(right, label, 1 - label)
proba = np.where(pred == 1, 0.5 + 0.5 * u, 0.5 * u)
prefix = p.get("id_prefix", "ex")
out = Path("eval")
out.mkdir(exist_ok=True)
rows = [f"{prefix}{i:05d},{t},{q},{s:.6f}" for i, (t, q, s) in enumerate(zip(label, pred, proba))]
(out / "predictions.csv").write_text("id,label,pred,proba\\n" + "\\n".join(rows) + "\\n")
(out / "metrics.json").write_text(json.dumps({"rows": n}))
'''

STAGES = {
    "evaluate": {
        "cmd": f"{PYTHON} {SCRIPT_NAME}",
        "deps": [SCRIPT_NAME],
        "params": ["eval"],
        "outs": [{PREDICTIONS: {"cache": True}}],
        "metrics": [{"eval/metrics.json": {"cache": False}}],
    }
}
PREDICTIONS_BLOCK = {"path": PREDICTIONS, "id": "id", "label": "label", "prediction": "pred", "score": "proba"}


def config(kpis: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "predictions": PREDICTIONS_BLOCK, "kpis": kpis}


STAT_CONFIG = config({"predictions.accuracy": {"max_drop": 0.01, "confidence": 0.95}})


def build(root: Path, *, rows: int, repro: bool = True, kpis: dict[str, Any] | None = None) -> Project:
    project = make_project(root, params={"eval": {"rows": rows}}, stages=STAGES, config=config(kpis) if kpis else STAT_CONFIG,
                           repro=False, commit=False)
    project.write(SCRIPT_NAME, SCRIPT)
    if repro:
        assert project.repro() == ["evaluate"]
    project.commit("initial pipeline")
    return project


def branch(project: Project, **changes: Any) -> None:
    project.checkout("feature", new=True)
    project.update_params({"eval": changes})
    project.commit(f"feature: {changes}")


def accuracy(frame: pd.DataFrame) -> float:
    return float(accuracy_score(frame["label"], frame["pred"]))


@dataclass
class Run:
    code: int
    result: dict[str, Any]
    report: str
    err: str

    def gate(self, kpi: str) -> dict[str, Any]:
        (found,) = [g for g in self.result["gates"] if g["kpi"] == kpi]
        return found


@pytest.fixture
def mlgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """`mlgate run ARGS` in-process from the project dir; result and report read back."""

    def run(project: Project, *args: str) -> Run:
        report, result = tmp_path / "report.md", tmp_path / "result.json"
        monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
        monkeypatch.chdir(project.dir)
        capsys.readouterr()
        code = main(["run", *args, "--quiet", "--report", str(report), "--json", str(result)])
        err = capsys.readouterr().err
        assert result.exists(), err
        return Run(code, json.loads(result.read_text()), report.read_text(), err)

    return run


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """main: 5,000 predictions, reproduced; the CSV is in the DVC cache, not in git."""
    project = build(tmp_path_factory.mktemp("large") / "repo", rows=5000)
    assert PREDICTIONS not in project.git("ls-files").split()
    return project


def predictions(project: Project) -> pd.DataFrame:
    """The predictions in the work tree (main's before branching, the head's after the run)."""
    return pd.read_csv(project.path(PREDICTIONS), dtype={"id": str})


# ---- the verdicts ---------------------------------------------------------------------------------------


def test_a_real_two_point_drop_on_5000_rows_fails_with_confidence(large, tmp_path, mlgate):
    project = large.copy(tmp_path / "repo")
    base = predictions(project)
    branch(project, worse=100)

    run = mlgate(project, "--base", "main")

    head = predictions(project)
    assert run.code == 1, run.err
    assert run.result["baseline"]["source"] == "git"
    gate = run.gate("predictions.accuracy")
    assert gate["file"] == PREDICTIONS and gate["status"] == "fail"
    assert gate["old"] == pytest.approx(accuracy(base)) and gate["new"] == pytest.approx(accuracy(head))
    (rule,) = gate["rules"]
    iv = rule["interval"]
    drop = accuracy(head) - accuracy(base)
    assert drop == pytest.approx(-0.02)
    assert iv["of"] == "diff" and iv["value"] == pytest.approx(drop)
    assert iv["low"] < drop < iv["high"] < -0.01  # the whole interval is a drop beyond the margin
    assert (iv["paired"], iv["n_paired"], iv["test"], iv["confidence"]) == (True, 5000, "mcnemar_exact", 0.95)
    assert iv["p_value"] < 0.001
    assert "significant: the drop exceeds 0.01" in rule["message"] == iv["reading"]
    # the report: a narrow row (the confidence beside the rule), the interval, the test and n in the details, once
    report = run.report.replace("\u00a0", " ")
    row = next(line for line in report.splitlines() if line.startswith("| ❌ | `predictions.accuracy`"))
    assert row.endswith("| −0.0200 worse | drop ≤ 0.01 (95 %) |") and "<sub>n=5000</sub>" in row
    assert "fell by 0.0200 (95 % interval −0.02" in report and "5,000 paired examples): more than the 0.01 allowed" in report
    assert "McNemar exact p < 0.0001" in report
    # metrics from the predictions appear for both sides, as plain metrics
    metrics = run.result["metrics"][PREDICTIONS]
    assert {"predictions.accuracy", "predictions.f1", "predictions.roc_auc", "predictions.log_loss"} <= set(metrics)
    assert metrics["predictions.accuracy"]["old"] == pytest.approx(accuracy(base))
    assert "`predictions.f1`" in run.report


def test_noise_passes_within_noise_while_a_plain_max_drop_fails(tmp_path, mlgate):
    # 500 rows; the head gets 12 rows wrong that were right and 6 right that were wrong: a 1.2-point drop
    kpis = {
        "predictions.accuracy": {"max_drop": 0.01, "confidence": 0.95},
        f"{PREDICTIONS}:predictions.accuracy": {"max_drop": 0.01},  # the same metric, a plain gate
    }
    project = build(tmp_path / "repo", rows=500, kpis=kpis)
    base = predictions(project)
    branch(project, worse=12, better=6)

    run = mlgate(project, "--base", "main")

    head = predictions(project)
    drop = accuracy(head) - accuracy(base)
    assert drop == pytest.approx(-6 / 500)
    statistical, plain = run.gate("predictions.accuracy"), run.gate(f"{PREDICTIONS}:predictions.accuracy")
    assert plain["status"] == "fail" and plain["rules"][0]["interval"] is None
    assert plain["message"] == "fell by 0.0120, more than the 0.01 allowed"
    assert statistical["status"] == "pass"
    iv = statistical["rules"][0]["interval"]
    assert iv["low"] < -0.01 < iv["high"]  # the data cannot tell a 0.01 drop from noise
    assert iv["n_paired"] == 500 and not iv["significant"]
    assert "within noise" in iv["reading"]
    assert run.code == 1  # the plain gate alone fails the run


def test_ids_that_do_not_overlap_fall_back_to_unpaired_and_say_so(large, tmp_path, mlgate):
    project = large.copy(tmp_path / "repo")
    branch(project, id_prefix="new", worse=100)

    run = mlgate(project, "--base", "main")

    iv = run.gate("predictions.accuracy")["rules"][0]["interval"]
    assert (iv["paired"], iv["n_paired"], iv["n_head"], iv["n_base"]) == (False, 0, 5000, 5000)
    assert (iv["method"], iv["test"]) == ("unpaired_counts", "fisher_exact")
    warning = next(w for w in run.result["warnings"] if w.startswith(PREDICTIONS))
    assert "unpaired" in warning and "share no ids" in warning
    assert "5,000 examples against 5,000" in run.report  # unpaired, in the interval's reading
    assert "share no ids" in run.report


def test_a_base_reproduced_in_a_worktree_hands_back_its_predictions(tmp_path, mlgate):
    project = build(tmp_path / "repo", rows=2000, repro=False)  # main: no outputs anywhere
    branch(project, worse=80)

    run = mlgate(project, "--base", "main")

    assert run.result["baseline"]["source"] == "reproduced"
    iv = run.gate("predictions.accuracy")["rules"][0]["interval"]
    assert (iv["paired"], iv["n_paired"]) == (True, 2000)
    assert iv["value"] == pytest.approx(-80 / 2000)
    assert run.gate("predictions.accuracy")["status"] == "fail"


def test_without_a_base_a_min_rule_is_judged_on_the_head_interval(tmp_path, mlgate):
    kpis = {"predictions.accuracy": {"min": 0.95, "max_drop": 0.01, "confidence": 0.95}}
    project = build(tmp_path / "repo", rows=1000, kpis=kpis)

    run = mlgate(project, "--base", "main")  # the head is main itself: no previous commit to compare

    head = predictions(project)
    gate = run.gate("predictions.accuracy")
    by_rule = {r["rule"]: r for r in gate["rules"]}
    iv = by_rule["min"]["interval"]
    assert iv["of"] == "head" and iv["value"] == pytest.approx(accuracy(head))
    assert iv["high"] < 0.95  # ~0.90 on 1,000 rows: significantly below the minimum
    assert by_rule["min"]["status"] == "fail"
    assert "significantly below the minimum 0.95" in by_rule["min"]["message"]


# ---- bad inputs: one line, exit 2, naming file and column ------------------------------------------------


BAD_FILES = {
    "missing column": ("id,label,pred\na,1,1\nb,0,0\n", "no column 'proba' (predictions.score)"),
    "duplicate ids": ("id,label,pred,proba\na,1,1,0.9\na,0,0,0.1\n", "column 'id' (predictions.id) has 1 duplicate ids"),
    "empty predictions": ("id,label,pred,proba\na,1,,0.9\nb,0,0,0.1\nc,0,,0.2\n",
                          "column 'pred' (predictions.prediction) has 2 missing or infinite values (NaN, inf or "
                          "empty), first in data row 1 (id 'a'); the evaluate stage must write a finite value in every row"),
    "score above one": ("id,label,pred,proba\na,1,1,0.9\nb,0,0,1.7\n",
                        "column 'proba' (predictions.score) has 1 values that are not a probability in [0, 1] (NaN, "
                        "infinite or out of range), first 1.7 in data row 2 (id 'b')"),
    "infinite prediction": ("id,label,pred,proba\na,1,1,0.9\nb,0,-inf,0.1\n",
                            "column 'pred' (predictions.prediction) has 1 missing or infinite values (NaN, inf or "
                            "empty), first in data row 2 (id 'b')"),
    "empty file": ("", "empty file"),
}


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return build(tmp_path_factory.mktemp("small") / "repo", rows=200)


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_predictions_file_exits_2_with_one_line_naming_file_and_column(small, tmp_path, case):
    project = small.copy(tmp_path / "repo")
    text, expected = BAD_FILES[case]
    project.write(PREDICTIONS, text)

    proc = project.mlgate("run", "--no-repro", "--base", "main", "--quiet", "--report", str(tmp_path / "r.md"),
                          "--json", str(tmp_path / "r.json"))

    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"mlgate: error: {PREDICTIONS}: ")
    assert expected in line


def run_bad(project: Project, tmp_path: Path) -> str:
    """`mlgate run` on a bad head file: exit 2 and one line on stderr, which is returned."""
    proc = project.mlgate("run", "--no-repro", "--base", "main", "--quiet", "--report", str(tmp_path / "r.md"),
                          "--json", str(tmp_path / "r.json"))
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    return line


def test_a_nan_score_in_one_row_is_refused_not_left_out(small, tmp_path):
    project = small.copy(tmp_path / "repo")
    rows = project.path(PREDICTIONS).read_text().splitlines()
    header = rows[0].split(",")
    for i in (5, 9):  # data rows 5 and 9: leaving them out would improve the metrics
        cells = rows[i].split(",")
        cells[header.index("proba")] = "nan" if i == 5 else ""
        rows[i] = ",".join(cells)
    project.write(PREDICTIONS, "\n".join(rows) + "\n")

    line = run_bad(project, tmp_path)

    assert line == (f"mlgate: error: {PREDICTIONS}: column 'proba' (predictions.score) has 2 values that are not a "
                    f"probability in [0, 1] (NaN, infinite or out of range), first nan in data row 5 (id 'ex00004'); "
                    "the evaluate stage must write the positive-class probability for every row")


def test_infinite_regression_predictions_are_refused(small, tmp_path):
    project = small.copy(tmp_path / "repo")
    project.write_config({"version": 1, "predictions": {**PREDICTIONS_BLOCK, "score": None},
                          "kpis": {"predictions.rmse": {"max": 1.0}}})
    rows = [f"r{i},{i / 10:.1f},{'inf' if i == 7 else '-inf' if i == 8 else f'{i / 10 + 0.05:.2f}'}" for i in range(60)]
    project.write(PREDICTIONS, "id,label,pred\n" + "\n".join(rows) + "\n")

    line = run_bad(project, tmp_path)

    assert line == (f"mlgate: error: {PREDICTIONS}: column 'pred' (predictions.prediction) has 2 missing or infinite "
                    "values (NaN, inf or empty), first in data row 8 (id 'r7'); the evaluate stage must write a "
                    "finite value in every row")


def test_a_json_lines_predictions_file_with_a_line_that_is_not_an_object(small, tmp_path):
    project = small.copy(tmp_path / "repo")
    path = "eval/predictions.jsonl"
    project.write_config({"version": 1, "predictions": {**PREDICTIONS_BLOCK, "path": path},
                          "kpis": {"predictions.accuracy": {"min": 0.5}}})
    good = [json.dumps({"id": f"r{i}", "label": i % 2, "pred": i % 2, "proba": 0.9 if i % 2 else 0.1})
            for i in range(40)]
    project.write(path, "\n".join(good[:12] + ["[1, 0, 0.5]"] + good[12:]) + "\n")

    line = run_bad(project, tmp_path)

    assert line == (f"mlgate: error: {path}: line 13 holds a list, not a JSON object; write one object a line, "
                    'e.g. {"id": "a", "label": 1, "pred": 1}')


def test_confidence_on_a_metric_that_is_not_from_predictions_without_history_is_judged_plainly(small, tmp_path):
    """No ledger history to learn the noise from: the number alone decides, and the row says so."""
    project = small.copy(tmp_path / "repo")
    project.write_config(config({"rows": {"min": 100, "confidence": 0.95}}))

    proc = project.mlgate("run", "--no-repro", "--quiet", "--json", str(tmp_path / "r.json"), "--report",
                          str(tmp_path / "r.md"))

    assert proc.returncode == 0, proc.stderr
    gate = next(g for g in json.loads((tmp_path / "r.json").read_text())["gates"] if g["kpi"] == "rows")
    assert gate["status"] == "pass"
    assert "0 recorded runs, fewer than 8: judged on the number alone" in gate["message"]


def test_check_shows_what_a_predictions_kpi_matches(small, tmp_path):
    project = small.copy(tmp_path / "repo")

    proc = project.mlgate("check")

    assert proc.returncode == 0, proc.stderr
    expected = accuracy(predictions(project))
    assert f"  predictions.accuracy = {expected:.6g}  [" in proc.stdout and f"]  in {PREDICTIONS}\n" in proc.stdout
