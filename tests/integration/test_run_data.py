"""`mlgate run` with a `data:` block, on real git + DVC projects.

The `prepare` stage writes data/train.parquet (a DVC-cached output, so the base's file is read from the
DVC cache at the base commit) from params.yaml's `data` section: `rows` rows, a `positive` share of
label 1, `age` shifted by `shift`, and `age_text` writing the age as text. Expected numbers are computed
from the Parquet files the pipeline wrote.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from mlgate.cli import main
from tests.support.dvc_repo import PYTHON, Project, make_project

DATA = "data/train.parquet"
SCRIPT_NAME = "prepare.py"
SCRIPT = '''\
"""Write data/train.parquet from params.yaml's data section (tests/integration/test_run_data.py)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

p = yaml.safe_load(Path("params.yaml").read_text())["data"]
rng = np.random.default_rng(0)
n = p["rows"]
age = rng.normal(40 + p.get("shift", 0), 10, n).round(1)
frame = pd.DataFrame({
    "age": [f"{a} years" for a in age] if p.get("age_text") else age,
    "region": rng.choice(["north", "south", "east"], n),
    "label": (rng.random(n) < p.get("positive", 0.4)).astype(int),
})
Path("data").mkdir(exist_ok=True)
frame.to_parquet("data/train.parquet", index=False)
Path("metrics.json").write_text(json.dumps({"rows": n}))
'''
STAGES = {
    "prepare": {
        "cmd": f"{PYTHON} {SCRIPT_NAME}",
        "deps": [SCRIPT_NAME],
        "params": ["data"],
        "outs": [{DATA: {"cache": True}}],
        "metrics": [{"metrics.json": {"cache": False}}],
    }
}
KPIS = {
    "data.train.schema": "unchanged",
    "data.train.target.share_min": {"min": 0.25},
    "data.train.rows": {"max_drop_pct": 20},
}


def config(dataset: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"version": 1, "data": {"train": dataset or {"path": DATA, "target": "label"}}, "kpis": KPIS}


@pytest.fixture(scope="module")
def main_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("data") / "repo", params={"data": {"rows": 2000}},
                           stages=STAGES, config=config(), repro=False, commit=False)
    project.write(SCRIPT_NAME, SCRIPT)
    assert project.repro() == ["prepare"]
    project.commit("initial pipeline")
    assert DATA not in project.git("ls-files").split()
    return project


def branch(project: Project, **changes: Any) -> None:
    project.checkout("feature", new=True)
    project.update_params({"data": changes})
    project.commit(f"feature: {changes}")


def run(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        *args: str) -> tuple[int, dict[str, Any], str, str]:
    report, result = tmp_path / "report.md", tmp_path / "result.json"
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.chdir(project.dir)
    capsys.readouterr()
    code = main(["run", "--base", "main", *args, "--quiet", "--report", str(report), "--json", str(result)])
    err = capsys.readouterr().err
    data = json.loads(result.read_text()) if result.exists() else {}
    return code, data, report.read_text() if report.exists() else "", err


def test_a_change_that_drops_one_class_fails_the_data_gate_and_the_report_says_why(
        main_project, tmp_path, monkeypatch, capsys):
    project = main_project.copy(tmp_path / "repo")
    base = pd.read_parquet(project.path(DATA))
    branch(project, positive=0.1)
    code, result, report, err = run(project, tmp_path, monkeypatch, capsys)
    head = pd.read_parquet(project.path(DATA))
    assert code == 1, err
    gates = {g["key"]: g for g in result["gates"]}
    assert gates["data.train.target.share_min"]["status"] == "fail"
    assert gates["data.train.target.share_min"]["new"] == pytest.approx(head["label"].mean())
    assert gates["data.train.target.share_min"]["old"] == pytest.approx(base["label"].mean())
    assert gates["data.train.schema"]["status"] == "pass"
    data = result["metrics"]["data"]
    assert data["data.train.rows"]["old"] == data["data.train.rows"]["new"] == 2000
    assert data["data.train.drift.label.psi"]["new"] > 0.2
    section = result["sections"]["data"]["datasets"][0]
    assert [c["class"] for c in section["classes"]] == ["0", "1"]
    # the report's Data section: folded, with the class shares that explain the failing gate
    assert "<details><summary>Data (train: 2,000 → 2,000 rows)</summary>" in report
    old, new = base["label"].mean() * 100, head["label"].mean() * 100
    assert f"`1` {old:.1f} % → {new:.1f} %" in report
    assert report.index("<details><summary>Data (") < report.index("<details><summary>All metrics")


def test_a_column_that_becomes_text_fails_schema_unchanged(main_project, tmp_path, monkeypatch, capsys):
    project = main_project.copy(tmp_path / "repo")
    branch(project, age_text=True)
    code, result, report, err = run(project, tmp_path, monkeypatch, capsys)
    assert code == 1, err
    gates = {g["key"]: g for g in result["gates"]}
    assert gates["data.train.schema"]["status"] == "fail"
    changes = result["sections"]["data"]["datasets"][0]["schema_changes"]
    assert changes == [{"column": "age", "change": "retyped", "old": "double", "new": "string"}]
    assert "| `age` | retyped `double` → `string` |" in report
    assert "1 schema change" in report


def test_a_missing_target_column_is_exit_2_with_one_line(main_project, tmp_path, monkeypatch, capsys):
    project = main_project.copy(tmp_path / "repo")
    project.write_config(config({"path": DATA, "target": "outcome"}))
    project.commit("target renamed in mlgate.yaml only")
    code, _, _, err = run(project, tmp_path, monkeypatch, capsys)
    assert code == 2
    assert ("data.train: data/train.parquet at the head: target column 'outcome' is not in the file "
            "(columns: age, region, label); fix data.train.target") in err
    assert "Traceback" not in err
