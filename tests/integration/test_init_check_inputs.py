"""Bad and awkward input to `mlgate init` and `mlgate check`, through the real CLI: no dvc.yaml, a dvc.yaml
or dvc.lock that does not parse, a corrupt metrics file, DVC-tracked data without a remote, a metrics
family that cannot measure, and a long list of ungated metrics. Each: the one line and the exit code."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.dvc_repo import git, make_project, mlgate_env

pytestmark = [pytest.mark.slow]
CONFIG = {"version": 1, "kpis": {"accuracy": {"max_drop": 0.01}}}


def _mlgate(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlgate", *args], cwd=cwd, env=mlgate_env(), capture_output=True,
                          text=True, timeout=300, check=False)


def _dvc(cwd: Path, *args: str) -> None:
    subprocess.run([str(Path(sys.executable).parent / "dvc"), *args], cwd=cwd, env=mlgate_env(), check=True,
                   capture_output=True, timeout=120)


def test_init_without_dvc_yaml_says_there_is_no_pipeline(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    _dvc(repo, "init", "-q")

    proc = _mlgate(repo, "init")

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == (f"mlgate: error: {repo.resolve()}: no dvc.yaml here, so no DVC pipeline to gate; run 'mlgate init' in"
                                   " the folder of the project's dvc.yaml (or pass --project-dir), or add a pipeline"
                                   " with 'dvc stage add'")
    assert "wrote" not in proc.stdout and not (repo / "mlgate.yaml").exists()


@pytest.mark.parametrize(("name", "text", "fix"), [
    ("dvc.yaml", "stages:\n  train:\n    cmd: [\n", "fix dvc.yaml"),
    ("dvc.lock", "schema: '2.0'\nstages: [\n", "fix dvc.lock, or delete it and run 'dvc repro' to write it again"),
])
@pytest.mark.parametrize("command", ["init", "check"])
def test_a_pipeline_file_that_does_not_parse_is_exit_2_naming_it(tmp_path: Path, name: str, text: str, fix: str,
                                                                 command: str) -> None:
    project = make_project(tmp_path / "repo", config=CONFIG if command == "check" else None)
    project.write(name, text)

    proc = _mlgate(project.dir, command, *(["--force"] if command == "init" else []))

    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith(f"mlgate: error: {name}: DVC cannot parse it: not valid YAML at line "), line
    assert line.endswith(f"; {fix}"), line
    other = "dvc.lock" if name == "dvc.yaml" else "dvc.yaml"
    assert other not in line


def test_check_on_a_corrupt_metrics_file_says_it_cannot_be_read(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=CONFIG, params={"metrics": "{not json"})

    proc = _mlgate(project.dir, "check")

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == ("mlgate: error: metrics.json: cannot be read: not valid JSON: Expecting property name "
                                   "enclosed in double quotes: line 1 column 2 (char 1); fix the file, or rerun the "
                                   "stage that writes it ('dvc repro')")
    assert "matches no metric" not in proc.stdout + proc.stderr
    assert "no metrics to match yet" not in proc.stdout + proc.stderr


def test_check_on_a_corrupt_file_beside_a_readable_one_still_refuses(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=CONFIG, params={"metrics": {"accuracy": 0.9}, "bad": "[1,"},
                           metrics={"metrics.json": "metrics", "eval/bad.json": "bad"})

    proc = _mlgate(project.dir, "check")

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().startswith("mlgate: error: eval/bad.json: cannot be read: not valid JSON"), proc.stderr
    assert "accuracy = 0.9" in proc.stdout


def test_init_on_a_corrupt_metrics_file_writes_no_raw_error_nor_path(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=None, params={"metrics": "{not json"})

    proc = _mlgate(project.dir, "init", "--no-workflow")

    assert proc.returncode == 0, proc.stderr
    assert "note: DVC could not read metrics.json: not valid JSON: Expecting property name" in proc.stdout
    text = (project.dir / "mlgate.yaml").read_text(encoding="utf-8")
    assert "metrics.json (not valid JSON (line 1))" in text.replace("\n#  ", " ")
    assert "Expecting" not in text and "unable to read" not in text and str(tmp_path) not in text
    assert ".dvc/cache" not in text


@pytest.mark.parametrize("how", ["add", "import-url"])
def test_init_warns_when_dvc_tracked_data_has_no_remote(tmp_path: Path, how: str) -> None:
    """``dvc add`` and ``dvc import-url`` both leave a .dvc file whose data a fresh clone must pull (an import
    is frozen: repro does not fetch it again)."""
    project = make_project(tmp_path / "repo", config=None)
    if how == "add":
        project.write("data/raw.csv", "a,b\n1,2\n")
        _dvc(project.dir, "add", "-q", "data/raw.csv")
    else:
        source = tmp_path / "source.csv"
        source.write_text("a,b\n1,2\n", encoding="utf-8")
        (project.dir / "data").mkdir()
        _dvc(project.dir, "import-url", "-q", str(source), "data/raw.csv")

    proc = _mlgate(project.dir, "init", "--no-workflow")

    assert proc.returncode == 0, proc.stderr
    assert ("  warning: DVC tracks data here (data/raw.csv (data/raw.csv.dvc)) and the project has no DVC remote: a run"
            " in CI starts from a fresh clone and cannot pull it, so it fails; add one with 'dvc remote add -d NAME"
            " URL', then 'dvc push'") in proc.stdout.splitlines()

    _dvc(project.dir, "remote", "add", "-d", "store", "s3://bucket/dvc")  # a remote a runner can reach
    again = _mlgate(project.dir, "init", "--no-workflow", "--force")
    assert again.returncode == 0 and "warning" not in again.stdout, again.stdout


def test_a_pipeline_without_tracked_data_gets_no_remote_warning(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=None)
    proc = _mlgate(project.dir, "init", "--no-workflow")
    assert proc.returncode == 0 and "warning" not in proc.stdout, proc.stdout


def test_check_counts_every_ungated_metric(tmp_path: Path) -> None:
    metrics = {f"m{i:03d}": i / 1000 for i in range(595)}
    project = make_project(tmp_path / "repo", params={"metrics": metrics},
                           config={"version": 1, "kpis": {"m000": {"min": 0}, "m001": {"min": 0}}})

    proc = _mlgate(project.dir, "check")

    assert proc.returncode == 0, proc.stderr
    assert "  not gated (593; the first 60 here; a gate names one under kpis:):" in proc.stdout
    listed = [line for line in proc.stdout.splitlines() if line.startswith("    metrics.json:")]
    assert len(listed) == 60 and listed[0].startswith("    metrics.json:m002 = ")
    assert proc.stdout.splitlines()[-1] == "    ... and 533 more"


def test_check_with_a_failing_model_sample_still_checks_the_data_gates(tmp_path: Path) -> None:
    config = {"version": 1, "data": {"train": {"path": "data/train.csv", "target": "label"}},
              "model": {"path": "models/model.pkl", "loader": "pickle", "sample": "data/sample.csv"},
              "kpis": {"accuracy": {"max_drop": 0.01}, "data.train.rows": {"min": 1},
                       "model.latency_ratio": {"max": 2}}}
    project = make_project(tmp_path / "repo", config=config)
    project.write("data/train.csv", "a,label\n1,0\n2,1\n3,0\n")
    project.write("data/sample.csv", "a\n1\n2\n")
    (project.dir / "models").mkdir()
    (project.dir / "models" / "model.pkl").write_bytes(pickle.dumps({"not": "a model"}))

    proc = _mlgate(project.dir, "check")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "  data.train.rows = 3  [min 1]" in proc.stdout.splitlines()
    assert "MATCHES NOTHING" not in proc.stdout
    model = next(line for line in proc.stdout.splitlines() if line.startswith("  model.latency_ratio"))
    assert model.startswith("  model.latency_ratio: not checked: model: models/model.pkl: ") and "predict()" in model
