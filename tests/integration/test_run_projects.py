"""`mlgate run` on real git + DVC projects of several shapes.

A project in a subdirectory, metrics in several files and formats (JSON, YAML, TOML; stage and top-level
``metrics:``), a metrics file that disappears at the head, and the stage-by-stage progress. Projects are
built with tests/support/dvc_repo.py, whose stage copies params.yaml sections into metrics files, so every
expected number comes from the params a test wrote; the command runs in-process (`mlgate.cli.main`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

# DVC binds its log handlers to sys.stdout and sys.stderr when first imported: import it now, under the
# session's capture, not inside a test whose capsys stream is closed afterwards (DVC's next log would raise).
import dvc.repo  # noqa: F401
import pytest
import yaml

from tests.support.dvc_repo import WRITER, WRITER_NAME, Project, make_project, train_stage
from tests.support.inprocess import runner


@pytest.fixture
def mlgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run `mlgate run ARGS` in-process from `cwd`; the result and report go to fresh files in tmp_path."""
    return runner(tmp_path, monkeypatch, capsys)


def flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def worktrees(project: Project) -> list[str]:
    return [line.split(" ", 1)[1] for line in project.git("worktree", "list", "--porcelain").splitlines()
            if line.startswith("worktree ")]


def with_writer(project: Project, *, repro: bool = True) -> Project:
    """Finish a make_project(..., stages=..., repro=False, commit=False): add the stage script, run, commit."""
    project.write(WRITER_NAME, WRITER)
    if repro:
        project.repro()
    project.commit("initial pipeline")
    return project


# ---- a DVC project in a subdirectory ----------------------------------------------------------------

SUBDIR = "ml/model"


@pytest.fixture(scope="module")
def subdir_template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("subdir") / "repo", subdir=SUBDIR)
    assert (project.dir / ".dvc").is_dir() and not (project.root / ".dvc").exists()
    return project


@pytest.mark.parametrize("where", ["--project-dir from the root", "inside the subdirectory"])
def test_a_project_in_a_subdirectory_runs_from_the_root_and_from_inside(subdir_template, tmp_path, mlgate, where):
    project = subdir_template.copy(tmp_path / "repo")
    main_metrics = json.loads(project.git("show", f"main:{SUBDIR}/metrics.json"))
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": main_metrics["accuracy"] - 0.03}})
    project.commit("worse accuracy")

    if where.startswith("--project-dir"):
        run = mlgate(project.root, "--base", "main", "--project-dir", SUBDIR)
    else:
        run = mlgate(project.dir, "--base", "main")

    assert run.code == 1, run.err
    result = run.result
    assert result["project_dir"] == SUBDIR
    assert result["baseline"]["source"] == "git"
    assert [(s["name"], s["status"]) for s in result["stages"]] == [("train", "ran")]
    head_metrics = project.read_json("metrics.json")
    assert set(result["metrics"]) == {"metrics.json"}
    for key, value in main_metrics.items():
        entry = result["metrics"]["metrics.json"][key]
        assert (entry["old"], entry["new"]) == (value, head_metrics[key]), key
    assert run.gate("accuracy")["status"] == "fail"
    # mlgate.yaml is found in the project directory, and named relative to where the command ran.
    assert result["config_path"] == (f"{SUBDIR}/mlgate.yaml" if where.startswith("--project-dir") else "mlgate.yaml")


def test_a_folder_inside_the_project_runs_the_whole_project(subdir_template, tmp_path, mlgate):
    """Like git, mlgate works from any folder inside the DVC project: it finds the project's root."""
    project = subdir_template.copy(tmp_path / "repo")
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.5}})
    project.commit("much worse")
    inner = project.dir / "notebooks" / "scratch"
    inner.mkdir(parents=True)

    run = mlgate(inner, "--base", "main")

    assert run.code == 1, run.err
    assert run.result["project_dir"] == SUBDIR
    assert run.gate("accuracy")["new"] == 0.5


def test_a_subdirectory_project_reproduces_its_base_in_a_worktree(tmp_path, mlgate):
    project = make_project(tmp_path / "repo", subdir=SUBDIR, cache_metrics=True)
    main_params = project.params["metrics"]
    shutil.rmtree(project.dir / ".dvc" / "cache")  # a fresh clone: main's metrics are nowhere to be read
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"loss": main_params["loss"] * 0.5}})
    project.commit("lower loss")

    run = mlgate(project.root, "--base", "main", "--project-dir", SUBDIR)

    assert run.code == 0, run.err
    assert run.result["baseline"]["source"] == "reproduced", run.result["warnings"]
    for key, value in main_params.items():
        assert run.result["metrics"]["metrics.json"][key]["old"] == value, key
    assert run.gate("loss")["new"] == main_params["loss"] * 0.5
    assert worktrees(project) == [str(project.root)]


# ---- metrics in several files and formats ------------------------------------------------------------

MULTI_PARAMS: dict[str, Any] = {
    "scores": {"accuracy": 0.91, "loss": 0.30, "per_class": {"cat": {"recall": 0.80}, "dog": {"recall": 0.85}}},
    "model": {"loss": 0.50, "size": {"mb": 3.0}},
    "summary": {"latency": {"p95_ms": 12.0}, "rows": 1000},
}
MULTI_CONFIG: dict[str, Any] = {
    "version": 1,
    "kpis": {
        "accuracy": {"max_drop": 0.01},
        "per_class.*.recall": {"min": 0.7},
        "eval/model.yaml:loss": {"max_increase_pct": 10},
        "eval/scores.json:loss": {"max_increase": 0.05},
        "size.mb": {"max_increase_pct": 10, "severity": "warn"},
        "latency.p95_ms": {"max": 20},
    },
}


@pytest.fixture(scope="module")
def multi_template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Stage metrics in JSON and YAML, plus a TOML file the stage writes and dvc.yaml lists at top level."""
    stage = train_stage({"eval/scores.json": "scores", "eval/model.yaml": "model"})
    stage["cmd"] += " summary=eval/summary.toml"
    stage["params"] = [*stage["params"], "summary"]
    stage["outs"] = [{"eval/summary.toml": {"cache": False}}]
    project = make_project(
        tmp_path_factory.mktemp("multi") / "repo", params=MULTI_PARAMS, stages={"train": stage},
        top_level_metrics=["eval/summary.toml"], config=MULTI_CONFIG, repro=False, commit=False,
    )
    return with_writer(project)


def test_nested_keys_across_json_yaml_and_toml_files_are_flattened_and_gated(multi_template, tmp_path, mlgate):
    project = multi_template.copy(tmp_path / "repo")
    project.checkout("feature", new=True)
    head_params = {
        "scores": {"accuracy": 0.92, "loss": 0.31, "per_class": {"cat": {"recall": 0.82}, "dog": {"recall": 0.65}}},
        "model": {"loss": 0.60, "size": {"mb": 3.6}},
        "summary": {"latency": {"p95_ms": 15.0}, "rows": 1000},
    }
    project.update_params(head_params)
    project.commit("mixed results")

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 1, run.err
    metrics = run.result["metrics"]
    files = {"eval/scores.json": "scores", "eval/model.yaml": "model", "eval/summary.toml": "summary"}
    assert set(metrics) == set(files)
    for path, section in files.items():
        old, new = flat(MULTI_PARAMS[section]), flat(head_params[section])
        assert {k: (e["old"], e["new"]) for k, e in metrics[path].items()} == {k: (old[k], new[k]) for k in old}, path
    assert run.result["errors"]["head"] == {}

    status = {(g["kpi"], g["file"], g["key"]): g["status"] for g in run.result["gates"]}
    assert status == {
        ("accuracy", "eval/scores.json", "accuracy"): "pass",
        ("per_class.*.recall", "eval/scores.json", "per_class.cat.recall"): "pass",
        ("per_class.*.recall", "eval/scores.json", "per_class.dog.recall"): "fail",
        ("eval/model.yaml:loss", "eval/model.yaml", "loss"): "fail",  # +20% > 10%
        ("eval/scores.json:loss", "eval/scores.json", "loss"): "pass",  # +0.01 <= 0.05
        ("size.mb", "eval/model.yaml", "size.mb"): "warn",
        ("latency.p95_ms", "eval/summary.toml", "latency.p95_ms"): "pass",
    }
    model_loss = run.gate("eval/model.yaml:loss")
    assert (model_loss["old"], model_loss["new"]) == (MULTI_PARAMS["model"]["loss"], head_params["model"]["loss"])


def test_an_unqualified_key_in_two_files_is_ambiguous(multi_template, tmp_path, mlgate):
    project = multi_template.copy(tmp_path / "repo")
    config = project.write_config({"version": 1, "kpis": {"loss": {"max": 1}}}, rel="ambiguous.yaml")

    run = mlgate(project.dir, "--base", "main", "--no-repro", "--config", str(config))

    assert run.code == 2
    assert "kpis.loss: ambiguous" in run.err
    assert "eval/model.yaml" in run.err and "eval/scores.json" in run.err
    assert len([line for line in run.err.splitlines() if line.startswith("mlgate: error:")]) == 1
    assert "Traceback" not in run.err


# ---- a metrics file missing at the head ---------------------------------------------------------------

MISSING_PARAMS: dict[str, Any] = {"metrics": {"accuracy": 0.95, "loss": 0.2}, "extra": {"latency": 10.0}}
MISSING_CONFIG: dict[str, Any] = {
    "version": 1,
    "kpis": {"accuracy": {"min": 0.9}, "eval/extra.json:latency": {"max": 20}},
}


@pytest.fixture(scope="module")
def missing_template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """main: the stage writes metrics.json (stage metrics) and eval/extra.json (listed at top level)."""
    stage = train_stage({"metrics.json": "metrics"})
    stage["cmd"] += " extra=eval/extra.json"
    stage["params"] = ["extra", "metrics"]
    stage["outs"] = [{"eval/extra.json": {"cache": False}}]
    project = make_project(
        tmp_path_factory.mktemp("missing") / "repo", params=MISSING_PARAMS, stages={"train": stage},
        top_level_metrics=["eval/extra.json"], config=MISSING_CONFIG, repro=False, commit=False,
    )
    return with_writer(project)


@pytest.mark.parametrize("still_listed", [True, False], ids=["still-listed-at-top-level", "dropped-from-dvc-yaml"])
def test_a_metrics_file_the_head_stops_writing_fails_its_gates(missing_template, tmp_path, mlgate, still_listed):
    project = missing_template.copy(tmp_path / "repo")
    project.checkout("feature", new=True)
    dvc_yaml = yaml.safe_load(project.path("dvc.yaml").read_text())
    train = dvc_yaml["stages"]["train"]
    train["cmd"] = train["cmd"].replace(" extra=eval/extra.json", "")
    train["params"] = ["metrics"]
    del train["outs"]
    if not still_listed:
        del dvc_yaml["metrics"]
    project.write("dvc.yaml", yaml.safe_dump(dvc_yaml, sort_keys=False))
    project.git("rm", "--quiet", "eval/extra.json")
    project.commit("stop writing eval/extra.json")

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 1, run.err
    assert not project.path("eval/extra.json").exists()
    assert run.result["verdict"] == "fail"
    assert run.result["baseline"]["source"] == "git"
    gate = run.gate("eval/extra.json:latency")
    assert gate["status"] == "fail"
    assert "eval/extra.json" in gate["message"]
    assert gate["old"] == MISSING_PARAMS["extra"]["latency"] and gate["new"] is None
    assert run.gate("accuracy")["status"] == "pass"
    if still_listed:
        assert run.result["errors"]["head"] == {"eval/extra.json": "missing (the file does not exist)"}
        assert "missing" in gate["message"]
    # The report names the file in the failed gate's row, which comes first.
    failed_line = next(line for line in run.report.splitlines() if line.startswith("| ❌"))
    assert "eval/extra.json" in failed_line and "latency" in failed_line
    assert ("eval/extra.json failed to load" if still_listed else "missing from eval/extra.json") in run.report
    assert run.report.index("| ❌") < run.report.index("| ✅")


# ---- stage progress ----------------------------------------------------------------------------------

STAGED_PARAMS: dict[str, Any] = {"prep": {"rows": 100}, "metrics": {"accuracy": 0.95, "f1": 0.93, "loss": 0.2}}


@pytest.fixture(scope="module")
def staged_template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """Two stages: prepare (params.prep → data/prep.json) → train (params.metrics → metrics.json)."""
    train = train_stage({"metrics.json": "metrics"})
    train["deps"] = [*train["deps"], "data/prep.json"]
    stages = {
        "prepare": {
            "cmd": train_stage({"data/prep.json": "prep"})["cmd"],
            "deps": [WRITER_NAME],
            "params": ["prep"],
            "outs": ["data/prep.json"],
        },
        "train": train,
    }
    project = make_project(tmp_path_factory.mktemp("staged") / "repo", params=STAGED_PARAMS, stages=stages,
                           repro=False, commit=False)
    return with_writer(project)


def test_stages_are_reported_ran_or_skipped_with_seconds_and_a_second_run_skips_all(staged_template, tmp_path, mlgate):
    project = staged_template.copy(tmp_path / "repo")
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"f1": 0.95}})

    first = mlgate(project.dir, "--base", "main")
    second = mlgate(project.dir, "--base", "main")

    assert first.code == second.code == 0, first.err + second.err
    assert [(s["name"], s["status"]) for s in first.result["stages"]] == [("prepare", "skipped"), ("train", "ran")]
    ran = first.result["stages"][1]
    assert isinstance(ran["seconds"], float) and ran["seconds"] > 0
    assert first.result["stages"][0]["seconds"] == 0
    assert first.result["reproduced"] is True
    assert "train: ran in" in first.err and "prepare: skipped" in first.err
    assert first.result["metrics"]["metrics.json"]["f1"]["new"] == 0.95

    assert [(s["name"], s["status"]) for s in second.result["stages"]] == [("prepare", "skipped"), ("train", "skipped")]
    assert "train: ran" not in second.err
    assert second.result["metrics"] == first.result["metrics"]


def test_no_repro_runs_no_stage_and_uses_the_outputs_as_they_are(staged_template, tmp_path, mlgate):
    project = staged_template.copy(tmp_path / "repo")
    project.checkout("feature", new=True)
    main_metrics = project.read_json("metrics.json")
    lock = project.path("dvc.lock").read_bytes()
    project.update_params({"prep": {"rows": 50}, "metrics": {"accuracy": 0.5}})

    run = mlgate(project.dir, "--base", "main", "--no-repro")

    assert run.code == 0, run.err  # the stale outputs still hold main's accuracy
    assert run.result["stages"] == [] and run.result["reproduced"] is False
    assert "reproducing the pipeline" not in run.err
    assert project.read_json("metrics.json") == main_metrics
    assert project.path("dvc.lock").read_bytes() == lock
    assert run.gate("accuracy")["new"] == main_metrics["accuracy"]
    assert run.result["params"]["params.yaml"]["metrics.accuracy"] == {
        "old": main_metrics["accuracy"], "new": 0.5, "diff": 0.5 - main_metrics["accuracy"]
    }


def test_a_stage_restored_from_the_run_cache_is_reported_as_restored(staged_template, tmp_path, mlgate):
    project = staged_template.copy(tmp_path / "repo")
    project.checkout("feature", new=True)
    main_rows, main_metrics = project.params["prep"]["rows"], project.read_json("metrics.json")
    project.update_params({"prep": {"rows": main_rows + 1}})
    changed = mlgate(project.dir, "--base", "main")
    project.update_params({"prep": {"rows": main_rows}})  # back to main's: DVC's run-cache has those runs

    restored = mlgate(project.dir, "--base", "main")

    assert [(s["name"], s["status"]) for s in changed.result["stages"]] == [("prepare", "ran"), ("train", "ran")]
    assert [(s["name"], s["status"]) for s in restored.result["stages"]] == [
        ("prepare", "restored"), ("train", "restored")
    ]
    assert "prepare: restored" in restored.err and "train: restored" in restored.err
    assert project.read_json("data/prep.json") == {"rows": main_rows}
    assert project.read_json("metrics.json") == main_metrics


# ---- plots whose paths DVC resolves ----------------------------------------------------------------------


def _plots_project(root: Path) -> Project:
    """Plot paths written with ``${…}`` (from ``vars`` and params.yaml) and a ``foreach`` stage with its own plot:
    main's loss curve and confusion records, then a branch ``feature`` that changes both."""
    def loss(scale: float) -> list[dict[str, float]]:
        return [{"step": s, "loss": round(scale / (1 + s), 4)} for s in range(20)]

    def cm(errors: int) -> list[dict[str, str]]:
        return [{"actual": "cat", "predicted": "cat"}] * (30 - errors) + [{"actual": "cat", "predicted": "dog"}] * errors

    writer = train_stage({"metrics.json": "metrics"})["cmd"]
    dvc_yaml = {
        "vars": [{"plot_dir": "eval"}],
        "stages": {
            "train": {"cmd": f"{writer} loss=${{plot_dir}}/loss.json cm=${{out.cm}}", "deps": [WRITER_NAME],
                      "params": ["metrics", "loss", "cm"], "metrics": [{"metrics.json": {"cache": False}}],
                      "plots": [{"${plot_dir}/loss.json": {"x": "step", "y": "loss", "cache": False}},
                                {"${out.cm}": {"cache": False}}]},
            "split": {"foreach": ["train", "test"],
                      "do": {"cmd": f"{writer} loss=${{plot_dir}}/${{item}}_loss.json", "deps": [WRITER_NAME],
                             "params": ["loss"],
                             "plots": [{"${plot_dir}/${item}_loss.json": {"x": "step", "y": "loss", "cache": False}}]}},
        },
        "plots": [{"${out.cm}": {"template": "confusion", "x": "actual", "y": "predicted"}}],
    }
    params = {"metrics": {"accuracy": 0.9}, "loss": loss(1.0), "cm": cm(2), "out": {"cm": "eval/confusion.json"}}
    project = make_project(root, params=params, stages={}, config=None, repro=False, commit=False)
    project.write("dvc.yaml", yaml.safe_dump(dvc_yaml, sort_keys=False))
    with_writer(project)
    project.checkout("feature", new=True)
    project.update_params({"loss": loss(1.5), "cm": cm(6)})
    project.repro()
    project.commit("worse")
    return project


def test_plot_paths_written_with_interpolation_are_read_where_dvc_resolves_them(tmp_path, mlgate):
    project = _plots_project(tmp_path / "repo")
    assert project.path("eval/loss.json").is_file() and project.path("eval/test_loss.json").is_file()

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err
    plots = {p["id"]: p for p in run.result["sections"]["plots"]["plots"]}
    assert set(plots) == {"eval/confusion.json", "eval/loss.json", "eval/train_loss.json", "eval/test_loss.json"}
    assert {p["status"] for p in plots.values()} == {"changed"}
    assert plots["eval/confusion.json"]["kind"] == "confusion"  # the top-level definition, not the stage's
    assert plots["eval/loss.json"]["summary"][0]["base"] == 1 / 20 and plots["eval/loss.json"]["summary"][0]["head"] == 0.075
    assert "removed at the head" not in run.report and "${" not in run.report
    assert "`eval/confusion.json` — largest shifts: 4 more `cat` predicted as `dog`" in run.report
