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


# -- bad input through the real CLI: one line on stderr, exit 2 ----------------------------------------------


def cli(project: Project, tmp_path: Path, *args: str):
    return project.mlgate("run", "--base", "main", *args, "--report", str(tmp_path / "report.md"),
                          "--json", str(tmp_path / "result.json"))


def error_line(proc) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    return line


def test_a_mistyped_reference_is_exit_2_naming_the_key(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.write_config(config({"path": DATA, "target": "label", "reference": "data/nope.csv"}))
    assert error_line(cli(project, tmp_path, "--quiet")) == (
        "mlgate: error: data.train.reference: data/nope.csv does not exist at the head, so drift against it cannot "
        "be measured; fix the path, or run the stage that writes it (dvc repro / dvc pull)")


def test_a_reference_linked_out_of_the_repository_says_so(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    outside = tmp_path / "elsewhere.parquet"
    outside.write_bytes(project.path(DATA).read_bytes())
    project.path("data/prod.parquet").symlink_to(outside)
    project.write_config(config({"path": DATA, "target": "label", "reference": "data/prod.parquet"}))
    assert error_line(cli(project, tmp_path, "--quiet")) == (
        "mlgate: error: data.train.reference: data/prod.parquet at the head is a symlink that leads outside the "
        "repository; mlgate reads data inside the repository only: copy the file in, or track it with DVC "
        "(dvc add / dvc import)")


def test_a_dataset_inside_git_is_refused(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.write_config(config({"path": ".git/index"}))
    line = error_line(cli(project, tmp_path, "--quiet"))
    assert line.endswith("/mlgate.yaml:4: data.train.path: '.git/index' is inside .git/, git's own files, not a "
                         "dataset; give the path of a CSV or Parquet file in the project")
    project.path("data/index.csv").symlink_to(project.root / ".git" / "index")
    project.write_config(config({"path": "data/index.csv"}))
    assert error_line(cli(project, tmp_path, "--quiet")) == (
        "mlgate: error: data.train.path: data/index.csv at the head leads into .git/, git's own files, not a "
        "dataset; point it at a CSV or Parquet file in the project")


def test_a_target_column_named_twice_is_exit_2_not_a_crash(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.write("data/extra.csv", "age,label,label\n41.5,0,1\n38.0,1,0\n")
    project.write_config({"version": 1, "data": {"extra": {"path": "data/extra.csv", "target": "label"}}})
    assert error_line(cli(project, tmp_path, "--quiet")) == (
        "mlgate: error: data.extra: data/extra.csv at the head: column 'label' appears 2 times among the file's "
        "columns; rename all but one (every column needs its own name)")


def test_a_dataset_without_rows_is_exit_2_not_a_pass(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.write("data/extra.csv", "age,label\n")
    project.write_config({"version": 1, "data": {"extra": "data/extra.csv"}})
    assert error_line(cli(project, tmp_path, "--quiet")) == (
        "mlgate: error: data.extra.path: data/extra.csv at the head holds no rows, so nothing in it can be checked; "
        "write the rows (run the stage that writes it), or fix the path")


def test_a_reference_sharing_no_column_is_exit_2(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.write("prod/sample.csv", "when,count\nmon,1\ntue,2\n")
    project.write_config(config({"path": DATA, "reference": "prod/sample.csv"}))
    assert error_line(cli(project, tmp_path, "--quiet")) == (
        "mlgate: error: data.train.reference: prod/sample.csv shares no column with data.train (age, region, label "
        "against when, count), so no drift can be measured; point it at the same kind of data")


def test_binary_bytes_in_a_data_file_are_not_echoed(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.path("data/extra.csv").write_bytes(b"a\n" + bytes(range(256)) * 40)
    project.write_config({"version": 1, "data": {"extra": "data/extra.csv"}})
    line = error_line(cli(project, tmp_path, "--quiet"))
    assert line.startswith("mlgate: error: data.extra: data/extra.csv at the head: ")
    assert len(line) < 300 and all(c.isprintable() for c in line) and "\ufffd" not in line


def test_infinities_leak_no_numpy_warning_quiet_or_not(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.write("data/extra.csv", "x,y\n1,inf\n-1,-inf\n1e308,2\n1e308,3\n")
    project.write_config({"version": 1, "data": {"extra": {"path": "data/extra.csv", "reference": "data/extra.csv"}},
                          "kpis": {"data.extra.rows": {"min": 1}}})
    for args in (("--quiet",), ()):
        proc = cli(project, tmp_path, *args)
        assert proc.returncode == 0, proc.stderr
        assert "Warning" not in proc.stderr and "numpy" not in proc.stderr, proc.stderr
    assert cli(project, tmp_path, "--quiet").stderr == ""


# -- files without a header row (DVC's get-started writes TSV rows: id, label, text) --------------------------


def get_started_rows(rows: int = 400) -> str:
    import numpy as np

    rng = np.random.default_rng(7)
    return "".join(f"{rng.integers(1, 200_000)}\t{rng.integers(0, 2)}\tquestion {i} about python and r\n"
                   for i in range(rows))


def test_a_tsv_without_a_header_is_profiled_as_data_and_said(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.write("data/prepared/train.tsv", get_started_rows())
    project.write_config({"version": 1, "data": {"prepared": "data/prepared/train.tsv"},
                          "kpis": {"data.prepared.rows": {"min": 100}}})
    proc = cli(project, tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    data = result["metrics"]["data"]
    assert data["data.prepared.rows"]["new"] == 400
    assert data["data.prepared.columns.column_2.distinct"]["new"] == 2  # the label, not a column named '1'
    assert any(w.startswith("data.prepared: data/prepared/train.tsv at the head: the first row (") and
               "read without a header, as columns column_1…column_3" in w for w in result["warnings"])


def test_a_tsv_field_that_opens_with_a_quote_is_text_not_a_quoted_field(main_project, tmp_path):
    """TSV has no quoting: a question that opens with '"' must not swallow the rows after it."""
    project = main_project.copy(tmp_path / "repo")
    rows = get_started_rows().splitlines(keepends=True)
    rows[10] = '77\t1\t"How do I quote in R? and more\n'
    rows[11] = '78\t0\tsay "hi" now\n'
    project.write("data/prepared/train.tsv", "".join(rows))
    project.write_config({"version": 1, "data": {"prepared": {"path": "data/prepared/train.tsv",
                                                              "columns": ["id", "label", "text"]}},
                          "kpis": {"data.prepared.rows": {"min": 100}}})
    proc = cli(project, tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["metrics"]["data"]["data.prepared.rows"]["new"] == 400


def test_columns_name_a_tsv_without_a_header(main_project, tmp_path):
    project = main_project.copy(tmp_path / "repo")
    project.write("data/prepared/train.tsv", get_started_rows())
    project.write_config({"version": 1, "data": {"prepared": {"path": "data/prepared/train.tsv", "target": "label",
                                                              "columns": ["id", "label", "text"]}},
                          "kpis": {"data.prepared.target.classes": {"min": 2}}})
    proc = cli(project, tmp_path, "--quiet")
    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["metrics"]["data"]["data.prepared.rows"]["new"] == 400
    assert result["gates"][0]["status"] == "pass" and result["gates"][0]["new"] == 2
    assert not any("first row" in w for w in result["warnings"])
