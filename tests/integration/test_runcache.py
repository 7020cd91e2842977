"""DVC remote and run-cache through `mlgate run` in fresh clones: restore what did not change, run the rest.

origin/main was recorded by `mlgate run --record`, which also pushed the DVC cache and run-cache to a
local directory remote. The stages log every real execution (tests/support/ledger_project.py); the
metrics are DVC-cached, so a fresh clone has none until they are pulled or reproduced.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import yaml

from tests.support.dvc_repo import Project, make_project, python_cmd
from tests.support.ledger_project import EVALUATE, Origin, Runner


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Origin:
    world = Origin.make(tmp_path_factory.mktemp("runcache") / "world")
    world.record_main()
    return world


@pytest.fixture
def world(template: Origin, tmp_path: Path) -> Origin:
    return template.copy(tmp_path / "world")


def test_a_docs_only_commit_runs_no_stage_in_a_fresh_clone(world: Origin, mlgate: Runner) -> None:
    world.dev.checkout("docs", new=True)
    world.dev.write("README.md", "# how to use the model\n")
    docs_sha = world.dev.commit("docs only")
    world.dev.git("push", "--quiet", "origin", "docs")
    clone = world.clone("fresh", branch="docs")
    assert not (clone.dir / "metrics.json").exists()  # nothing but git yet

    run = mlgate(clone.dir, "--base", "origin/main")

    assert run.code == 0, run.err
    assert mlgate.executed() == []
    assert run.stage_status() == {"train": "restored", "evaluate": "restored"}
    assert run.result["head"]["sha"] == docs_sha
    # The restored numbers are main's, read from the pulled metrics file.
    recorded = world.notes(world.dev.sha("main"))["metrics"]["metrics.json"]
    assert clone.read_json("metrics.json") == recorded
    assert run.gate("accuracy")["new"] == recorded["accuracy"]
    assert "`train`, `evaluate` restored from the run-cache" in run.report and "ran `" not in run.report


def test_an_evaluate_change_reruns_evaluate_only(world: Origin, mlgate: Runner) -> None:
    clone = world.clone("fresh")
    clone.checkout("eval-fix", new=True)
    clone.write("evaluate.py", EVALUATE.replace("OFFSET = 0.0", "OFFSET = 0.01"))
    clone.commit("evaluate: offset")

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    assert mlgate.executed() == [("evaluate", str(clone.dir))]
    assert run.stage_status() == {"train": "restored", "evaluate": "ran"}
    accuracy = run.gate("accuracy")
    assert accuracy["new"] == clone.read_json("metrics.json")["accuracy"]
    assert accuracy["new"] == pytest.approx(accuracy["old"] + 0.01)
    assert run.result["baseline"]["source"] == "ledger"


def test_a_param_change_back_to_a_recorded_value_is_restored_from_the_run_cache(world: Origin, mlgate: Runner) -> None:
    clone = world.clone("fresh")
    clone.checkout("detour", new=True)
    clone.update_params({"train": {"accuracy": 0.88}})
    clone.commit("try 0.88")
    assert mlgate(clone.dir, "--base", "main", "--push-cache").result is not None  # this branch pushes its run-cache
    other = world.clone("other", branch="main")
    other.checkout("same-idea", new=True)
    other.update_params({"train": {"accuracy": 0.88}})
    other.commit("the same params, elsewhere")
    mlgate.reset()

    run = mlgate(other.dir, "--base", "main")

    assert mlgate.executed() == []
    assert set(run.stage_status().values()) == {"restored"}
    assert other.read_json("metrics.json")["accuracy"] == 0.88


def test_without_a_remote_the_pipeline_simply_runs(world: Origin, mlgate: Runner) -> None:
    clone = world.clone("fresh")
    config = clone.dir / ".dvc" / "config"
    config.write_text(config.read_text().replace("    remote = storage\n", ""))
    clone.commit("no default remote")

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    assert sorted(stage for stage, _ in mlgate.executed()) == ["evaluate", "train"], run.result["stages"]
    assert mlgate(clone.dir, "--base", "main", "--pull").code == 2  # asked for, impossible: says so


# ---- a run-cache pull that fails ---------------------------------------------------------------------------


def _unreachable_s3_remote(root: Path, cmd: str | None = None) -> Project:
    """A project whose default remote is S3 at a loopback port nothing listens on (the run-cache pull fails);
    ``cmd``: the train stage's command instead of the generated one."""
    pytest.importorskip("dvc_s3")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again when the block ends: connections are refused
    project = make_project(root)
    config = project.dir / ".dvc" / "config"
    config.write_text(config.read_text().replace("[core]\n", "[core]\n    remote = store\n")
                      + f"['remote \"store\"']\n    url = s3://models/store\n    endpointurl = http://127.0.0.1:{port}\n")
    if cmd is not None:
        dvc_yaml = yaml.safe_load(project.path("dvc.yaml").read_text())
        dvc_yaml["stages"]["train"]["cmd"] = cmd
        project.write("dvc.yaml", yaml.safe_dump(dvc_yaml, sort_keys=False))
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.commit("better")
    return project


S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
          "AWS_MAX_ATTEMPTS": "1"}


def test_a_failed_run_cache_pull_is_a_warning_and_the_stages_run(tmp_path: Path) -> None:
    project = _unreachable_s3_remote(tmp_path / "repo")

    proc = project.mlgate("run", "--base", "main", "--pull", "--json", str(tmp_path / "result.json"),
                          "--report", str(tmp_path / "report.md"), env=S3_ENV)

    assert proc.returncode == 0, proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert [s["status"] for s in result["stages"]] == ["ran"]
    assert result["metrics"]["metrics.json"]["accuracy"]["new"] == 0.96
    pulled = [w for w in result["warnings"] if w.startswith("the run-cache could not be pulled (")]
    assert len(pulled) == 1 and "127.0.0.1" in pulled[0], result["warnings"]
    assert pulled[0].endswith("a stage DVC cannot restore otherwise runs instead: the same result, only slower")


def test_a_failed_run_cache_pull_never_hides_the_stage_s_own_failure(tmp_path: Path) -> None:
    project = _unreachable_s3_remote(tmp_path / "repo", cmd=python_cmd(
        "import sys; print('the training data is bad', file=sys.stderr); sys.exit(1)"))

    proc = project.mlgate("run", "--base", "main", "--pull", env=S3_ENV)

    assert proc.returncode == 3, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mlgate: error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert errors[0].startswith(f"mlgate: error: dvc repro failed in {project.dir}: failed to reproduce 'train': ")
    assert errors[0].endswith("exited with 1; see the stage's output above")
    assert "the training data is bad" in proc.stderr
    assert "DVC warning: the run-cache could not be pulled (" in proc.stderr
