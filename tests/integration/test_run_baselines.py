"""`mlgate run` finds the base's numbers: committed, reproduced in a worktree, or none at all.

Each test copies a real git + DVC project built once per module (tests/support/dvc_repo.py) and runs the
real command in-process (`mlgate.cli.main`). The pipeline copies params.yaml's ``metrics`` section into
``metrics.json``, so a branch steers its numbers by changing params, and every expected number is read
back from git or from the files the pipeline wrote. The stage also appends one line per run (its working
directory and params) to the file named by $STAGE_LOG, which shows where and whether it ran.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

# DVC binds its log handlers to sys.stdout and sys.stderr when first imported: import it now, under the
# session's capture, not inside a test whose capsys stream is closed afterwards (DVC's next log would raise).
import dvc.repo  # noqa: F401
import pytest
import yaml

from tests.support.dvc_repo import (
    DEFAULT_CONFIG,
    WRITER,
    WRITER_NAME,
    Project,
    make_project,
    python_cmd,
    train_stage,
)
from tests.support.inprocess import runner

METRICS = {"metrics.json": "metrics"}
LOG_CODE = (
    "import json, os, yaml; log = os.environ.get('STAGE_LOG'); "
    "log and open(log, 'a').write(json.dumps({'cwd': os.getcwd(), "
    "'params': yaml.safe_load(open('params.yaml'))}) + '\\n')"
)


def logged_stages(*, cache: bool) -> dict[str, Any]:
    stage = train_stage(METRICS, cache=cache)
    return {"train": {**stage, "cmd": f"{stage['cmd']} && {python_cmd(LOG_CODE)}"}}


def build(root: Path, *, cache: bool = False, repro: bool = True, commit: bool = True, **kwargs: Any) -> Project:
    """make_project with the logging train stage: on `main`, reproduced (or not) and committed."""
    project = make_project(root, stages=logged_stages(cache=cache), repro=False, commit=False, **kwargs)
    project.write(WRITER_NAME, WRITER)
    if repro:
        assert project.repro() == ["train"]
    if commit:
        project.commit("initial pipeline")
    return project




@pytest.fixture
def stage_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "stage-log.jsonl"
    monkeypatch.setenv("STAGE_LOG", str(log))
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    return log


def stage_runs(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def mlgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run `mlgate ARGS` in-process from `cwd`; the result and report go to fresh files in tmp_path."""
    return runner(tmp_path, monkeypatch, capsys)


def committed_metrics(project: Project, ref: str) -> dict[str, Any]:
    return json.loads(project.git("show", f"{ref}:metrics.json"))


def worktrees(project: Project) -> list[str]:
    return [line.split(" ", 1)[1] for line in project.git("worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


def branch_with(project: Project, metrics: dict[str, Any], name: str = "feature") -> None:
    project.checkout(name, new=True)
    project.update_params({"metrics": metrics})
    project.commit(f"{name}: {metrics}")


# ---- templates, built once per module ---------------------------------------------------------------


@pytest.fixture(scope="module")
def committed_template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """main: the pipeline ran and its metrics (cache: false) are committed to git."""
    return build(tmp_path_factory.mktemp("committed") / "repo")


@pytest.fixture(scope="module")
def cached_template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """main: the metrics are a DVC-cached output (git-ignored), and this clone has no cache entry for them."""
    project = build(tmp_path_factory.mktemp("cached") / "repo", cache=True)
    assert "metrics.json" in (project.dir / ".gitignore").read_text()
    assert "metrics.json" not in project.git("ls-files").split()
    shutil.rmtree(project.dir / ".dvc" / "cache")
    return project


@pytest.fixture(scope="module")
def unrun_template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """main: the pipeline is committed but was never run, so no metrics exist for it anywhere."""
    return build(tmp_path_factory.mktemp("unrun") / "repo", repro=False)


def copy(template: Project, tmp_path: Path) -> Project:
    return template.copy(tmp_path / "repo")


# ---- (a) committed ----------------------------------------------------------------------------------


def test_metrics_committed_on_main_are_the_baseline(committed_template, tmp_path, stage_log, mlgate):
    project = copy(committed_template, tmp_path)
    main_metrics = committed_metrics(project, "main")
    worse = {**main_metrics, "accuracy": main_metrics["accuracy"] - 0.02}
    branch_with(project, worse)

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 1, run.err
    result = run.result
    assert result["baseline"]["source"] == "git"
    assert result["baseline"]["sha"] == result["base"]["sha"] == project.sha("main")
    assert result["head"]["sha"] == project.sha("feature")
    head_metrics = project.read_json("metrics.json")
    for key, value in main_metrics.items():
        entry = result["metrics"]["metrics.json"][key]
        assert (entry["old"], entry["new"]) == (value, head_metrics[key]), key
    accuracy = run.gate("accuracy")
    assert (accuracy["old"], accuracy["new"], accuracy["status"]) == (main_metrics["accuracy"], worse["accuracy"], "fail")
    assert run.gate("loss")["status"] == "pass"
    # Only the head's pipeline ran; the baseline was read, not rebuilt.
    assert [r["cwd"] for r in stage_runs(stage_log)] == [str(project.dir)]
    assert "metrics committed to git" in run.report


def test_a_fresh_clone_with_only_origin_main_compares_with_base_main(committed_template, tmp_path, stage_log, mlgate):
    """A CI-style clone has `origin/main` but no local `main`: `--base main` still finds it."""
    clone = tmp_path / "clone"
    committed_template.git("clone", "--quiet", "--no-local", str(committed_template.root), str(clone))
    project = Project(clone, clone)
    project.git("checkout", "--quiet", "-b", "feature")
    project.git("branch", "--quiet", "-D", "main")  # as actions/checkout leaves a pull request's clone
    assert project.git("branch", "--list", "main") == ""  # no local main, only origin/main

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err
    assert run.result["base"]["sha"] == committed_template.sha("main")
    assert run.result["baseline"]["source"] == "git"


def test_metrics_in_the_dvc_cache_at_main_are_read_without_reproducing(tmp_path, stage_log, mlgate):
    project = build(tmp_path / "repo", cache=True)
    main_metrics = project.read_json("metrics.json")
    branch_with(project, {**main_metrics, "accuracy": main_metrics["accuracy"] + 0.01})
    stage_log.unlink(missing_ok=True)

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "dvc-cache"
    assert run.gate("accuracy")["old"] == main_metrics["accuracy"]
    assert [r["cwd"] for r in stage_runs(stage_log)] == [str(project.dir)]


# ---- (b) reproduced in a worktree --------------------------------------------------------------------


@pytest.mark.parametrize("template_name", ["cached_template", "unrun_template"])
def test_uncommitted_metrics_are_reproduced_in_a_worktree_that_is_removed(
    template_name, request, tmp_path, stage_log, mlgate
):
    project = copy(request.getfixturevalue(template_name), tmp_path)
    stage_log.unlink(missing_ok=True)  # the template may have been built just now, inside this test
    main_params = project.params["metrics"]
    better = {**main_params, "accuracy": main_params["accuracy"] + 0.02, "loss": main_params["loss"] * 0.5}
    branch_with(project, better)

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err
    result = run.result
    assert result["baseline"]["source"] == "reproduced", result["baseline"]
    assert result["baseline"]["sha"] == project.sha("main")
    for key, value in main_params.items():
        assert result["metrics"]["metrics.json"][key]["old"] == value, key
        assert result["metrics"]["metrics.json"][key]["new"] == better[key], key
    # The base's stage ran once, with main's params, outside this work tree; the worktree is gone.
    runs = stage_runs(stage_log)
    base_runs = [r for r in runs if r["cwd"] != str(project.dir)]
    assert [r["params"]["metrics"] for r in base_runs] == [main_params], runs
    assert not Path(base_runs[0]["cwd"]).exists()
    assert worktrees(project) == [str(project.root)]
    assert "reproducing the base" in run.err
    assert "base reproduced in a worktree" in run.report


def test_reproduce_never_gives_no_baseline_and_relative_gates_say_so(cached_template, tmp_path, stage_log, mlgate):
    project = copy(cached_template, tmp_path)
    project.write_config({**DEFAULT_CONFIG, "baseline": {"reproduce": "never"}})
    main_params = project.params["metrics"]
    branch_with(project, {**main_params, "accuracy": main_params["accuracy"] - 0.02})

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err  # the drop cannot be judged without a baseline; min 0.9 still holds
    assert run.result["baseline"]["source"] == "none"
    assert "never" in run.result["baseline"]["detail"]
    accuracy, loss = run.gate("accuracy"), run.gate("loss")
    assert accuracy["status"] == "pass" and accuracy["old"] is None
    assert [(r["rule"], r["status"]) for r in accuracy["rules"]] == [("min", "pass"), ("max_drop", "no_baseline")]
    assert loss["status"] == "no_baseline"
    assert all(r["cwd"] == str(project.dir) for r in stage_runs(stage_log))
    assert worktrees(project) == [str(project.root)]


def test_reproduce_always_rebuilds_the_base_even_with_committed_metrics(committed_template, tmp_path, stage_log, mlgate):
    project = copy(committed_template, tmp_path)
    project.write_config({**DEFAULT_CONFIG, "baseline": {"reproduce": "always"}})
    project.commit("always reproduce the base")
    main_metrics = committed_metrics(project, "main")
    branch_with(project, {**main_metrics, "loss": main_metrics["loss"] * 2})

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 1, run.err
    assert run.result["baseline"]["source"] == "reproduced"
    loss = run.gate("loss")
    assert (loss["old"], loss["status"]) == (main_metrics["loss"], "fail")
    # main's outputs are up to date, yet its stage ran again, in the worktree, with main's params.
    base_runs = [r for r in stage_runs(stage_log) if r["cwd"] != str(project.dir)]
    assert [r["params"]["metrics"] for r in base_runs] == [main_metrics]
    assert "reproducing the base" in run.err
    assert worktrees(project) == [str(project.root)]


def test_a_base_that_cannot_be_reproduced_gives_no_baseline_and_a_warning(unrun_template, tmp_path, stage_log, mlgate):
    project = copy(unrun_template, tmp_path)
    project.checkout("broken-main", new=True)
    stages = yaml.safe_load(project.path("dvc.yaml").read_text())
    stages["stages"]["train"]["cmd"] = python_cmd("raise SystemExit('base pipeline is broken')")
    project.write("dvc.yaml", yaml.safe_dump(stages, sort_keys=False))
    project.commit("a broken pipeline")
    project.checkout("feature", new=True)
    project.write("dvc.yaml", yaml.safe_dump({"stages": logged_stages(cache=False)}, sort_keys=False))
    project.commit("fixed")

    run = mlgate(project.dir, "--base", "broken-main")

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "none"
    assert any("reproducing the base" in w and "failed" in w for w in run.result["warnings"]), run.result["warnings"]
    assert run.gate("accuracy")["status"] == "pass"
    assert run.gate("loss")["status"] == "no_baseline"
    assert worktrees(project) == [str(project.root)]


# ---- (c) none --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("accuracy", "expected_exit"), [(0.95, 0), (0.85, 1)])
def test_a_lone_branch_has_no_baseline_but_absolute_gates_still_judge(
    tmp_path, stage_log, mlgate, accuracy, expected_exit
):
    project = build(tmp_path / "repo", branch="experiment",
                    params={"metrics": {"accuracy": accuracy, "f1": 0.9, "loss": 0.3}})
    assert project.git("branch", "--format=%(refname:short)").split() == ["experiment"]

    run = mlgate(project.dir)

    assert run.code == expected_exit, run.err
    result = run.result
    assert result["baseline"]["source"] == "none"
    assert result["base"] is None
    gate = run.gate("accuracy")
    assert gate["new"] == accuracy
    assert [(r["rule"], r["status"]) for r in gate["rules"]] == [
        ("min", "pass" if expected_exit == 0 else "fail"), ("max_drop", "no_baseline")
    ]
    assert run.gate("loss")["status"] == "no_baseline"
    assert all(entry["old"] is None for entry in result["metrics"]["metrics.json"].values())


def test_a_base_without_a_dvc_project_gives_no_baseline(tmp_path, stage_log, mlgate):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "README.md").write_text("before the pipeline\n")
    project = build(root, commit=False)
    project.git("reset", "--quiet")  # `dvc init` staged its files: main gets the README alone
    project.git("add", "README.md")
    project.git("commit", "--quiet", "-m", "main: no DVC yet")
    assert project.git("ls-tree", "--name-only", "main").split() == ["README.md"]
    project.checkout("add-pipeline", new=True)
    project.commit("add the DVC pipeline")

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "none"
    assert "no DVC project" in run.result["baseline"]["detail"], run.result["warnings"]
    assert run.result["base"]["sha"] == project.sha("main")
    assert run.gate("accuracy")["status"] == "pass"
    assert run.gate("loss")["status"] == "no_baseline"
    assert worktrees(project) == [str(project.root)]


def test_the_base_worktree_shares_the_dvc_cache_so_an_unchanged_stage_is_restored_not_run(tmp_path, stage_log, mlgate):
    """main never ran; the head's run filled the cache. Reproducing main in a worktree restores the
    shared `prepare` stage from the run-cache and runs only `train`, with main's params."""
    log_prepare = LOG_CODE.replace("'cwd'", "'stage': 'prepare', 'cwd'")
    log_train = LOG_CODE.replace("'cwd'", "'stage': 'train', 'cwd'")
    train = train_stage(METRICS)
    write_data = python_cmd("open('data.txt', 'w').write('rows')")
    stages = {
        "prepare": {
            "cmd": f"{write_data} && {python_cmd(log_prepare)}",
            "deps": ["raw.txt"],  # DVC keeps no run-cache for a stage without dependencies
            "outs": ["data.txt"],
        },
        "train": {**train, "deps": [*train.get("deps", []), "data.txt"], "cmd": f"{train['cmd']} && {python_cmd(log_train)}"},
    }
    project = make_project(tmp_path / "repo", stages=stages, repro=False, commit=False)
    project.write(WRITER_NAME, WRITER)
    project.write("raw.txt", "raw data")
    project.commit("pipeline, never run on main")
    branch_with(project, {**project.params["metrics"], "accuracy": 0.97})

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "reproduced"
    ran = [(r["stage"], r["cwd"] == str(project.dir)) for r in stage_runs(stage_log)]
    assert ran.count(("prepare", True)) == 1 and ("prepare", False) not in ran, ran  # restored in the worktree
    assert ran.count(("train", False)) == 1, ran  # the base's own train ran, with main's params
    assert "prepare: restored" in run.err


def test_on_the_base_branch_a_clean_tree_compares_with_the_previous_commit(committed_template, tmp_path, stage_log,
                                                                          mlgate):
    project = copy(committed_template, tmp_path)
    before = project.sha()
    project.update_params({"metrics": {**project.params["metrics"], "accuracy": 0.5}})
    project.repro()
    project.commit("main gets worse")

    clean = mlgate(project.dir)  # on main, nothing uncommitted: main~1 is the base
    assert clean.code == 1, clean.err
    assert clean.result["base"] == {"ref": "main~1", "sha": before, "dirty": False}
    assert clean.result["base_how"] == "previous commit"
    assert clean.gate("accuracy")["new"] == 0.5

    project.update_params({"metrics": {**project.params["metrics"], "accuracy": 0.55}})
    dirty = mlgate(project.dir)  # uncommitted changes: compared with the last commit, main itself
    assert dirty.result["base"]["sha"] == project.sha("main") and dirty.result["base_how"] == "merge-base"
    assert dirty.gate("accuracy")["old"] == 0.5


# ---- a metrics file inside an output that is a directory -------------------------------------------------


def _directory_output_project(root: Path, remote: Path | None = None) -> Project:
    """The stage's output is the folder ``eval`` (DVC-cached); ``eval/metrics.json`` is a top-level metric.
    main holds accuracy 0.95, the branch ``feature`` 0.96; ``remote``: a local directory as the default remote,
    holding main's outputs."""
    from dvc.repo import Repo

    stage = {"cmd": train_stage({"eval/metrics.json": "metrics"})["cmd"],
             "deps": [WRITER_NAME], "params": ["metrics"], "outs": ["eval"]}
    project = make_project(root, stages={"train": stage}, top_level_metrics=["eval/metrics.json"])
    if remote is not None:
        with Repo(str(project.dir)) as repo:
            with repo.config.edit() as conf:
                conf["remote"]["store"] = {"url": str(remote)}
                conf["core"]["remote"] = "store"
            assert repo.push() > 0
        project.commit("a DVC remote")
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.repro()
    project.commit("better")
    return project


def test_metrics_inside_a_cached_directory_output_are_named_as_from_the_dvc_cache(tmp_path, mlgate):
    project = _directory_output_project(tmp_path / "repo")
    assert "eval/metrics.json" not in project.git("ls-tree", "-r", "--name-only", "main")  # only in the cache

    run = mlgate(project.dir, "--base", "main", "--no-repro")

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "dvc-cache", run.result["baseline"]
    assert run.gate("accuracy")["old"] == 0.95
    assert "metrics in the DVC cache" in run.report and "pulled from the DVC remote" not in run.report


def test_metrics_inside_a_directory_output_only_in_the_remote_are_named_as_pulled(tmp_path, mlgate):
    project = _directory_output_project(tmp_path / "repo", remote=tmp_path / "remote")
    shutil.rmtree(project.dir / ".dvc" / "cache")  # a runner with an empty cache
    project.repro()  # the head's outputs again; the base's are only in the remote

    run = mlgate(project.dir, "--base", "main", "--no-repro")

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "dvc-remote", run.result["baseline"]
    assert run.gate("accuracy")["old"] == 0.95
    assert "pulled from the DVC remote" in run.report


def test_metrics_of_a_pipeline_in_a_subfolder_in_the_dvc_cache_are_named_as_from_the_cache(tmp_path, mlgate):
    """``models/churn/dvc.yaml`` names its outputs from its own folder, in its own dvc.lock."""
    project = make_project(tmp_path / "repo", stages={}, config={"version": 1, "kpis": {"accuracy": {"min": 0.9}}},
                           repro=False, commit=False)
    stage = {**train_stage({"metrics.json": "metrics"}, cache=True), "deps": [f"../../{WRITER_NAME}"]}
    stage["cmd"] = stage["cmd"].replace(f" {WRITER_NAME} ", f" ../../{WRITER_NAME} ")
    project.write("models/churn/dvc.yaml", yaml.safe_dump({"stages": {"train": stage}}))
    project.write("models/churn/params.yaml", yaml.safe_dump({"metrics": {"accuracy": 0.95}}))
    from dvc.repo import Repo

    def repro() -> None:
        with contextlib.chdir(project.dir), Repo(str(project.dir)) as repo:
            repo.reproduce(all_pipelines=True)

    repro()
    project.commit("a pipeline in a subfolder")
    assert "models/churn/metrics.json" not in project.git("ls-files")
    project.checkout("feature", new=True)
    project.write("models/churn/params.yaml", yaml.safe_dump({"metrics": {"accuracy": 0.96}}))
    repro()
    project.commit("better")

    run = mlgate(project.dir, "--base", "main", "--no-repro")

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "dvc-cache", run.result["baseline"]
    assert run.result["metrics"]["models/churn/metrics.json"]["accuracy"]["old"] == 0.95


def test_a_base_metrics_file_that_cannot_be_read_is_said_even_when_the_base_is_rebuilt(tmp_path, mlgate):
    project = make_project(tmp_path / "repo", params={"metrics": '{"accuracy": 0.95,'})  # main's metrics: corrupt
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.96, "loss": 0.2}})
    project.repro()
    project.commit("fixed")

    run = mlgate(project.dir, "--base", "main", "--no-repro")

    assert run.code == 0, run.err
    short = project.sha("main")[:7]
    assert [w for w in run.result["warnings"] if w.startswith(f"baseline metrics.json at {short}: ")] == [
        f"baseline metrics.json at {short}: unable to read: 'metrics.json', JSON file structure is corrupted: "
        "Expecting property name enclosed in double quotes: line 1 column 19 (char 18)"]
