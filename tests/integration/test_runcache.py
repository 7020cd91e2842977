"""DVC remote and run-cache through `mlgate run` in fresh clones: restore what did not change, run the rest.

origin/main was recorded by `mlgate run --record`, which also pushed the DVC cache and run-cache to a
local directory remote. The stages log every real execution (tests/support/ledger_project.py); the
metrics are DVC-cached, so a fresh clone has none until they are pulled or reproduced.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ledger_project import EVALUATE, Origin, Runner


@pytest.fixture
def mlgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    return Runner(tmp_path, monkeypatch, capsys)


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
