"""`mlgate monitor` on a real git + DVC project whose main was recorded with `mlgate run --record`.

The `prepare` stage writes data/train.parquet (DVC-cached, so the monitor reads it at the recorded commit
through DVC) and the `evaluate` stage eval/predictions.csv (the "model" predicts 1 when age > 45). A
production sample is generated the same way (`production`): drawn like the training data, or with `age`
shifted, predictions flipped, labels for only some rows, or a column left out.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.support.dvc_repo import PYTHON, Project, make_project
from tests.support.github_double import point_env_at, start_double
from tests.support.inprocess import Run, run_mlgate

PREPARE = '''\
import json
from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
n = 2000
age = rng.normal(40, 10, n).round(1)
frame = pd.DataFrame({
    "id": np.arange(n),
    "age": age,
    "income": rng.lognormal(10, 0.5, n).round(2),
    "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
    "label": ((age + rng.normal(0, 5, n)) > 45).astype(int),
})
Path("data").mkdir(exist_ok=True)
frame.to_parquet("data/train.parquet", index=False)
test = frame.sample(500, random_state=1)
Path("eval").mkdir(exist_ok=True)
pd.DataFrame({"id": [f"t{i}" for i in range(len(test))], "label": test["label"],
              "pred": (test["age"] > 45).astype(int)}).to_csv("eval/predictions.csv", index=False)
'''
STAGES = {
    "prepare": {
        "cmd": f"{PYTHON} prepare.py",
        "deps": ["prepare.py"],
        "outs": [{"data/train.parquet": {"cache": True}}, {"eval/predictions.csv": {"cache": False}}],
    }
}
CONFIG: dict[str, Any] = {
    "version": 1,
    "data": {"train": {"path": "data/train.parquet", "target": "label"}},
    "predictions": {"path": "eval/predictions.csv", "id": "id", "label": "label", "prediction": "pred"},
    "monitor": {"sample": "prod", "dataset": "train"},
    "kpis": {"predictions.accuracy": {"min": 0.5}},
}


def production(n: int = 1000, *, seed: int = 5, shift: float = 0.0, flip: bool = False, labelled: float = 0.0,
               drop: tuple[str, ...] = (), predictions: bool = True) -> pd.DataFrame:
    """A production sample like the training data; `labelled`: the share of rows whose label arrived."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40 + shift, 10, n).round(1)
    truth = ((age + rng.normal(0, 5, n)) > 45).astype(int)
    frame = pd.DataFrame({
        "id": np.arange(10_000 + seed * n, 10_000 + (seed + 1) * n),  # request ids: never the training rows'
        "age": age,
        "income": rng.lognormal(10, 0.5, n).round(2),
        "region": rng.choice(["north", "south", "east"], n, p=[0.5, 0.3, 0.2]),
    })
    if predictions:
        pred = (age > 45).astype(int)
        frame["pred"] = 1 - pred if flip else pred
    if labelled:
        label = pd.array(truth, dtype="Int64")
        label[rng.random(n) >= labelled] = pd.NA
        frame["label"] = label
    return frame.drop(columns=list(drop))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """main, reproduced and recorded in the metrics ledger (refs/notes/mlgate)."""
    project = make_project(tmp_path_factory.mktemp("monitor") / "repo", params={}, stages=STAGES, config=CONFIG,
                           repro=False, commit=False)
    project.write("prepare.py", PREPARE)
    project.write(".gitignore", "/prod/\n/out*/\n")
    assert project.repro() == ["prepare"]
    project.commit("pipeline")
    proc = project.mlgate("run", "--record", "--quiet", "--report", "/dev/null", "--json", "/dev/null")
    assert proc.returncode == 0, proc.stderr
    assert project.git("notes", "--ref", "refs/notes/mlgate", "list")
    return project


@pytest.fixture
def project(recorded: Project, tmp_path: Path) -> Project:
    return recorded.copy(tmp_path / "repo")


def write_sample(project: Project, frame: pd.DataFrame, rel: str = "prod/sample.csv") -> Path:
    path = project.dir / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if rel.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return path


@pytest.fixture
def monitor(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    for name in ("GITHUB_ACTIONS", "CI", "MLGATE_DEBUG", "GITHUB_TOKEN", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    counter = iter(range(100))

    def run(*args: str) -> Run:
        return run_mlgate(monkeypatch, capsys, project.dir, ["monitor", "--quiet", *args], tmp_path / f"out{next(counter)}")

    return run


def section(run: Run) -> dict[str, Any]:
    assert run.result is not None, run.err
    return run.result["sections"]["monitor"]


def monitoring_note(project: Project, sha: str) -> dict[str, Any] | None:
    proc = subprocess.run(["git", "notes", "--ref", "refs/notes/mlgate-monitoring", "show", sha], cwd=project.root,
                          capture_output=True, text=True, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


# -- verdicts -------------------------------------------------------------------------------------------------


def test_a_sample_like_the_training_data_is_ok_and_recorded_under_the_monitored_commit(project: Project, monitor) -> None:
    write_sample(project, production())
    run = monitor()
    assert run.code == 0, run.err
    assert run.result["verdict"] == "pass"
    assert run.result["context"]["monitor_verdict"] == "ok"
    assert run.result["report_id"] == "monitoring"
    s = section(run)
    assert s["drifting_columns"] == [] and s["missing_columns"] == []
    assert s["commit"] == project.sha("main") and s["rows"] == 1000
    assert "ok: all" in run.report.splitlines()[1]
    assert "monitoring verdict: ok" in run.out
    note = monitoring_note(project, project.sha("main"))
    assert note is not None and note["verdict"] == "ok"
    assert note["metrics"]["monitoring"]["sample.rows"] == 1000


def test_a_drifted_sample_is_drift_with_the_drifting_column_named(project: Project, monitor) -> None:
    write_sample(project, production(shift=15))
    run = monitor()
    assert run.code == 1, run.err
    assert run.result["verdict"] == "fail"
    assert run.result["context"]["monitor_verdict"] == "drift"
    s = section(run)
    assert s["drifting_columns"] == ["age"]
    assert "health.label_shift_js" in s["alarms"]["drift"]  # more people over 45: more predicted 1s
    failed = {g["key"] for g in run.result["gates"] if g["status"] == "fail"}
    assert failed == {"drift.age.psi", "health.label_shift_js"}
    assert "drift: 2 of" in run.report.splitlines()[1]
    assert "**Drifting columns** (1 of 3): `age`" in run.report
    short = project.sha("main")[:7]
    assert f"`production sample` vs `main` @ `{short}` (last recorded run) · baseline: metrics ledger" in run.report


def test_predictions_that_went_wrong_on_the_labelled_rows_are_degraded_and_say_how_many_rows(
        project: Project, monitor) -> None:
    write_sample(project, production(flip=True, labelled=0.2))
    run = monitor()
    assert run.code == 1, run.err
    assert run.result["context"]["monitor_verdict"] == "degraded"
    s = section(run)
    labelled = s["labelled"]
    assert labelled["of"] == 1000 and 150 < labelled["rows"] < 250 and labelled["judged"]
    accuracy = next(m for m in labelled["metrics"] if m["metric"] == "predictions.accuracy")
    assert accuracy["production"] < 0.3 < 0.7 < accuracy["test"]
    assert "predictions.accuracy" in s["alarms"]["degraded"]
    assert f"Labels arrived for {labelled['rows']} of 1,000 rows" in run.report
    gate = next(g for g in run.result["gates"] if g["key"] == "predictions.accuracy")
    assert f"on {labelled['rows']} of 1000 rows with labels" in gate["message"]


def test_too_few_labelled_rows_are_shown_not_judged(project: Project, monitor) -> None:
    write_sample(project, production(n=1000, flip=True, labelled=0.01))
    run = monitor()
    s = section(run)
    assert s["labelled"]["rows"] < 30 and not s["labelled"]["judged"]
    gate = next(g for g in run.result["gates"] if g["key"] == "predictions.accuracy")
    assert gate["status"] == "skipped" and "shown, not judged" in gate["message"]
    assert "predictions.accuracy" not in s["alarms"]["degraded"]


def test_a_sample_missing_a_column_says_so_in_the_report(project: Project, monitor) -> None:
    write_sample(project, production(drop=("income",)))
    run = monitor()
    assert run.code == 0, run.err
    s = section(run)
    assert s["missing_columns"] == ["income"]  # the label column is not missing: labels arrive later
    assert "**Missing from the sample** (1): `income`" in run.report
    assert any("lacks 1 training column ('income')" in w for w in run.result["warnings"])
    # The Data section's schema changes: the missing feature, not the prediction log's own columns (pred
    # added, label removed), which every production sample has.
    [data] = run.result["sections"]["data"]["datasets"]
    assert data["schema_changes"] == [{"column": "income", "change": "removed", "old": "double", "new": None}]
    assert "1 schema change)" in run.report


def test_a_sample_without_predictions_checks_the_inputs_only(project: Project, monitor) -> None:
    write_sample(project, production(predictions=False))
    run = monitor()
    assert run.code == 0, run.err
    assert section(run)["predictions"] is None
    assert not [g for g in run.result["gates"] if g["key"].startswith("health.")]
    assert "no prediction column" in run.report


def test_a_directory_of_parquet_partitions_is_one_sample(project: Project, monitor) -> None:
    write_sample(project, production(n=400, seed=1), "prod/day=1/part.parquet")
    write_sample(project, production(n=600, seed=2), "prod/day=2/part.parquet")
    run = monitor()
    assert run.code == 0, run.err
    assert section(run)["rows"] == 1000 and section(run)["files"] == 2


def test_sample_given_on_the_command_line_may_be_outside_the_repository(project: Project, monitor,
                                                                        tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "today.csv"
    outside.parent.mkdir()
    production(shift=15).to_csv(outside, index=False)
    run = monitor("--sample", str(outside), "--no-record")
    assert run.code == 1 and section(run)["drifting_columns"] == ["age"]
    assert monitoring_note(project, project.sha("main")) is None  # --no-record


def test_an_absolute_glob_on_the_command_line_reads_every_matching_file(project: Project, monitor,
                                                                      tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    production(n=300, seed=1).to_csv(folder / "a.csv", index=False)
    production(n=200, seed=2).to_csv(folder / "b.csv", index=False)
    (folder / "notes.txt").write_text("not data")
    run = monitor("--sample", str(folder / "*.csv"), "--no-record")
    assert run.code == 0, run.err
    assert section(run)["rows"] == 500 and section(run)["files"] == 2


def test_history_shows_the_monitoring_trend(project: Project, monitor, monkeypatch, capsys) -> None:
    from mlgate.cli import main

    write_sample(project, production(shift=15))
    assert monitor().code == 1
    monkeypatch.chdir(project.dir)
    capsys.readouterr()
    assert main(["history", "--report-id", "monitoring", "--no-fetch"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("commit"))
    assert "sample.rows" in header and "drift.max_psi" in header
    row = next(line for line in out.splitlines() if line.startswith(project.sha("main")[:7]))
    assert re.search(r"  drift +1000 +1\.0000 +2\.\d{4}$", row), row  # verdict word, rows, drifting columns, PSI


# -- failure paths --------------------------------------------------------------------------------------------


def test_nothing_recorded_yet_says_how_to_get_it(tmp_path: Path) -> None:
    project = make_project(tmp_path / "fresh", params={}, stages=STAGES, config=CONFIG, repro=False, commit=False)
    project.write("prepare.py", PREPARE)
    project.repro()
    project.commit("pipeline")
    write_sample(project, production())
    proc = project.mlgate("monitor", "--quiet")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        "mlgate: error: nothing to compare with: record the default branch first (the Action on push, or "
        "`mlgate run --record`); no entry on main in refs/notes/mlgate")


def test_a_sample_path_that_does_not_exist_is_bad_input(project: Project, monitor) -> None:
    run = monitor("--sample", "nowhere/today.csv")
    assert run.code == 2
    assert "mlgate: error: --sample nowhere/today.csv: no such file or directory; fix the path" in run.err
    assert run.result is None


def test_a_sample_that_is_not_csv_is_bad_input_naming_the_file(project: Project, monitor) -> None:
    (project.dir / "prod").mkdir()
    (project.dir / "prod" / "today.csv").write_bytes(b"\x00\x01PK\x03\x04 not a csv\n\xff\xfe")
    run = monitor()
    assert run.code == 2
    assert "mlgate: error: data.train: prod/today.csv at the production sample:" in run.err
    assert "Traceback" not in run.err


def test_training_data_gone_from_the_dvc_cache_says_what_to_push(project: Project, monitor) -> None:
    write_sample(project, production())
    shutil.rmtree(project.dir / ".dvc" / "cache")
    (project.dir / "data" / "train.parquet").unlink()
    run = monitor()
    assert run.code == 2
    short = project.sha("main")[:7]
    assert (f"data.train.path: data/train.parquet is neither committed nor in the DVC cache or remote at {short} "
            "(the recorded commit); push the DVC cache where it was trained (dvc push)") in run.err


def test_a_configured_sample_directory_without_files_is_bad_input(project: Project, monitor) -> None:
    (project.dir / "prod").mkdir()
    run = monitor()
    assert run.code == 2
    assert "monitor.sample prod: the directory holds no CSV or Parquet file" in run.err


def test_a_config_without_monitor_block_or_sample_is_bad_input(project: Project, monitor) -> None:
    config = {k: v for k, v in CONFIG.items() if k != "monitor"}
    project.write_config(config)
    run = monitor()
    assert run.code == 2
    assert "no monitor: block; add one" in run.err


def error_line(run: Run) -> str:
    assert run.code == 2, (run.out, run.err)
    assert run.result is None and "Traceback" not in run.err
    [line] = run.err.strip().splitlines()
    return line


def test_the_id_column_is_never_drift_gated(project: Project, monitor) -> None:
    write_sample(project, production())  # its ids (10,000 up) are all outside the training ids (0 to 1,999)
    run = monitor()
    assert run.code == 0, run.err
    gate = next(g for g in run.result["gates"] if g["key"] == "drift.id")
    assert gate["status"] == "skipped"
    assert gate["message"] == "the predictions' id column (predictions.id): a row identifier, not compared"
    assert not [g for g in run.result["gates"] if g["key"].startswith("drift.id.")]
    assert section(run)["drifting_columns"] == []


def test_a_sample_sharing_no_column_is_bad_input_not_ok(project: Project, monitor) -> None:
    write_sample(project, pd.DataFrame({"when": ["mon", "tue"], "clicks": [3, 4]}))
    short = project.sha("main")[:7]
    assert error_line(monitor()) == (
        f"mlgate: error: the production sample prod shares no column with data.train at {short} (sample: when, "
        "clicks; training: id, age, income, region, label), so nothing can be compared; give the sample the "
        "training data's columns (check its delimiter and header)")


def test_a_sample_without_a_header_row_is_named_as_such(project: Project, monitor) -> None:
    path = project.dir / "prod" / "sample.csv"
    path.parent.mkdir()
    production().to_csv(path, index=False, header=False)
    line = error_line(monitor())
    assert "shares no column with data.train" in line and "(sample: column_1, column_2, column_3" in line
    assert line.endswith("(check its delimiter and header)")


def test_a_sample_without_rows_is_bad_input_not_ok(project: Project, monitor) -> None:
    write_sample(project, production().iloc[:0])
    assert error_line(monitor()) == (
        "mlgate: error: the production sample prod holds no rows, so nothing can be checked; monitor a sample with "
        "rows in it")


def test_a_large_psi_on_few_rows_is_not_judged_never_a_bare_pass(project: Project, monitor) -> None:
    write_sample(project, production(n=12, shift=4))
    run = monitor()
    assert run.code == 0, run.err
    unjudged = [g for g in run.result["gates"] if g["key"].endswith(".psi") and g["status"] == "skipped"]
    assert unjudged, run.result["gates"]
    for gate in unjudged:
        assert gate["new"] >= 0.2
        assert re.fullmatch(r"PSI [\d.]+ ≥ 0\.2, but (KS|chi-squared) p = [\d.e-]+ ≥ 0\.01 on 12 rows: not judged "
                            r"drift \(chance alone could move PSI this far; a larger sample decides\)", gate["message"])
    assert not [g for g in run.result["gates"] if g["status"] == "pass" and (g["new"] or 0) >= 0.2
                and g["key"].endswith(".psi")]
    skipped = [g for g in run.result["gates"] if g["status"] == "skipped"]  # those and the id column
    headline = run.report.splitlines()[1]
    assert headline.startswith("## ") and headline.endswith(f", {len(skipped)} not judged")
    assert f"**Not judged** ({len(unjudged)}):" in run.report
    assert f", {len(skipped)} not judged" in run.out.splitlines()[0]


def test_nothing_judged_is_bad_input_not_ok(project: Project, monitor) -> None:
    # the one feature shared is empty: read from CSV, a column with no value has no type, so no statistic
    frame = production(predictions=False)[["id", "age"]].assign(age=np.nan)
    write_sample(project, frame)
    assert error_line(monitor()) == (
        "mlgate: error: the production sample prod could not be checked: no check was judged (drift.id: the "
        "predictions' id column (predictions.id): a row identifier, not compared; drift.age: numeric in the "
        "reference, categorical here: no drift statistic); monitor a larger sample, or one with the training data's columns")


def test_a_sample_column_named_twice_is_bad_input(project: Project, monitor) -> None:
    (project.dir / "prod").mkdir()
    (project.dir / "prod" / "today.csv").write_text("age,age,region\n40,41,north\n")
    assert error_line(monitor()) == (
        "mlgate: error: data.train: prod/today.csv at the production sample: column 'age' appears 2 times among "
        "the file's columns; rename all but one (every column needs its own name)")


def test_infinities_in_the_sample_leak_no_numpy_warning(project: Project) -> None:
    frame = production()
    frame.loc[:5, "age"] = np.inf
    frame.loc[6:9, "income"] = -np.inf
    write_sample(project, frame)
    for args in (("--quiet",), ()):
        proc = project.mlgate("monitor", *args, "--no-record", "--report", "/dev/null", "--json", "/dev/null")
        assert proc.returncode in (0, 1), proc.stderr
        assert "Warning" not in proc.stderr and "numpy" not in proc.stderr, proc.stderr


# -- GitHub: the sticky issue and the dispatch ----------------------------------------------------------------


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with start_double() as gh:
        point_env_at(gh, monkeypatch.setenv)
        summary = tmp_path / "summary.md"
        outputs = tmp_path / "outputs.txt"
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
        monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
        yield gh


def test_an_alarm_opens_one_issue_and_sends_the_dispatch(project: Project, monitor, github, tmp_path) -> None:
    write_sample(project, production(shift=15))
    first = monitor("--github")
    assert first.code == 1, first.err
    issues = github.issues()
    assert len(issues) == 1
    issue = issues[0]
    assert issue["title"] == "mlgate monitoring: drift on production data"
    assert issue["body"].startswith("<!-- mlgate:report id=monitoring head= -->\n")
    assert "**Drifting columns** (1 of 3): `age`" in issue["body"]
    [event] = github.dispatches()
    assert event["event_type"] == "mlgate-drift"
    assert event["client_payload"]["verdict"] == "drift"
    assert event["client_payload"]["drifting_columns"] == ["age"]
    assert event["client_payload"]["commit"] == project.sha("main")
    outputs = (tmp_path / "outputs.txt").read_text()
    assert "monitor-verdict=drift" in outputs
    # the Action's outputs, as for `mlgate ci`: where the files are, which gates failed
    out_dir = tmp_path / "out0"
    assert f"report-path={(out_dir / 'report.md').resolve()}" in outputs.splitlines()
    assert f"result-path={(out_dir / 'result.json').resolve()}" in outputs.splitlines()
    assert "failed-gates=drift.age.psi,health.label_shift_js" in outputs.splitlines()
    assert f"issue-url={issue['html_url']}" in outputs.splitlines()
    assert "drift: 2 of" in (tmp_path / "summary.md").read_text()

    write_sample(project, production())  # production recovered: the same issue says so
    second = monitor("--github")
    assert second.code == 0, second.err
    [issue] = github.issues()
    assert issue["title"] == "mlgate monitoring: ok on production data"
    assert "ok: all" in issue["body"]
    assert len(github.dispatches()) == 1  # no alarm, no dispatch


def test_ok_never_opens_an_issue(project: Project, monitor, github) -> None:
    write_sample(project, production())
    assert monitor("--github").code == 0
    assert github.issues() == [] and github.dispatches() == []


def test_another_users_issue_with_the_marker_is_left_alone(project: Project, monitor, github) -> None:
    github.add_issue("quoted", "<!-- mlgate:report id=monitoring head= -->\nsomeone quoting it", author="octocat")
    write_sample(project, production(shift=15))
    assert monitor("--github").code == 1
    issues = github.issues()
    assert [i["user"]["login"] for i in issues] == ["octocat", "github-actions[bot]"]
    assert issues[0]["body"].endswith("someone quoting it")


def test_a_read_only_token_is_a_warning_and_the_verdict_stands(project: Project, monitor, github) -> None:
    github.set_identity(write=False)
    write_sample(project, production(shift=15))
    run = monitor("--github")
    assert run.code == 1
    assert run.result["context"]["monitor_verdict"] == "drift"
    assert github.issues() == [] and github.dispatches() == []
    assert "mlgate: warning: the monitoring issue was not opened or updated" in run.err
    assert "mlgate: warning: the repository_dispatch event mlgate-drift was not sent" in run.err
    assert "403" in run.err


def test_a_refused_dispatch_alone_leaves_the_issue(project: Project, monitor, github) -> None:
    github.fail_next(403, method="POST", path=r"/dispatches$")
    write_sample(project, production(shift=15))
    run = monitor("--github", "--dispatch-type", "retrain")
    assert run.code == 1
    assert len(github.issues()) == 1 and github.dispatches() == []
    assert "the repository_dispatch event retrain was not sent" in run.err


def test_run_record_then_monitor_then_promote_each_reads_its_own_files(project: Project) -> None:
    """The local chain of the README: `mlgate run --record`, `mlgate monitor`, `mlgate promote`, all with their
    default file names. The monitor writes its own files, so promote still reads the run's result and tags."""
    write_sample(project, production())
    ran = project.mlgate("run", "--record", "--quiet")
    assert ran.returncode == 0, ran.stderr
    run_result = (project.dir / "mlgate-result.json").read_text()
    monitored = project.mlgate("monitor", "--quiet")
    assert monitored.returncode == 0, monitored.stderr
    assert json.loads((project.dir / "mlgate-monitor-result.json").read_text())["context"]["event"] == "monitor"
    assert (project.dir / "mlgate-monitor-report.md").is_file()
    assert (project.dir / "mlgate-result.json").read_text() == run_result  # the run's file, untouched
    promoted = project.mlgate("promote", "--no-push-tags")
    assert promoted.returncode == 0, promoted.stderr
    assert "promoted: created" in promoted.stdout
