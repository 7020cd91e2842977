"""A revision's metrics and params read from git (``DvcProject.from_git``) are exactly what DVC reads when
it is opened at that revision, and any case where they might not be goes to DVC.

Each test builds a real git + DVC project, reads the base both ways — from git, and through a DVC
repository switched to the base (``DvcProject.at`` first, so ``snapshot`` uses it) — and compares.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import yaml

from mlgate.edges.dvc.project import DvcProject
from tests.support.dvc_repo import Project, make_project, python_cmd, train_stage

pytestmark = pytest.mark.slow


def _read(p: Project, rev: str) -> tuple[object, object]:
    """(the read from git, or None when it defers; DVC's own read of ``rev``)."""
    shortcut = DvcProject(p.dir)
    through_dvc = DvcProject(p.dir)
    try:
        with contextlib.chdir(p.dir):
            committed = shortcut.from_git(rev)
            assert through_dvc.at(rev) is not None
            dvc = through_dvc.snapshot(rev)
        assert rev not in shortcut._revisions  # no DVC repository was opened at the revision by the shortcut
        return (committed.to_dict() if committed is not None else None), dvc.to_dict()
    finally:
        shortcut.close()
        through_dvc.close()


def _head_changes(p: Project, files: dict[str, str] | None = None, *, tracked: str | None = None,
                  **params: object) -> None:
    """On a new branch: write ``files``, track ``tracked`` with DVC, update params.yaml, reproduce, commit."""
    p.checkout("change", new=True)
    for rel, text in (files or {}).items():
        p.write(rel, text)
    if tracked:
        _dvc_add(p, tracked)
    p.update_params(params)
    p.repro()
    p.commit("change")


def _dvc_add(p: Project, rel: str) -> None:
    from dvc.repo import Repo

    with contextlib.chdir(p.dir), Repo(str(p.dir)) as repo:
        repo.add(rel)


def _same(p: Project, rev: str) -> dict[str, object]:
    committed, dvc = _read(p, rev)
    assert committed is not None, "the read from git deferred to DVC"
    assert committed == dvc
    return committed


def _defers(p: Project, rev: str) -> dict[str, object]:
    committed, dvc = _read(p, rev)
    assert committed is None
    return dvc


def test_metrics_and_params_of_the_base_are_read_from_git_as_dvc_reads_them(tmp_path):
    metrics = {"eval/scores.json": "scores", "eval/model.yaml": "model", "eval/extra.toml": "extra"}
    params = {"scores": {"accuracy": 0.9, "per_class": {"a": 0.8, "b": 0.7}}, "model": {"size_mb": 3.5},
              "extra": {"latency_ms": 12}, "train": {"lr": 0.1, "depth": 4}, "unused": {"x": 1}}
    stage = train_stage(metrics)
    stage["params"] = ["scores", "model", "extra", "train.lr"]
    p = make_project(tmp_path / "repo", params=params, stages={"train": stage},
                     top_level_metrics=["eval/extra.toml"])
    base = p.sha()
    _head_changes(p, scores={"accuracy": 0.95, "per_class": {"a": 0.9, "b": 0.7}}, train={"lr": 0.01, "depth": 4})
    got = _same(p, base)
    assert got["metrics"]["eval/scores.json"]["accuracy"] == 0.9  # the base's numbers, not the head's
    assert got["params"]["params.yaml"]["train.lr"] == 0.1
    assert got["params"]["params.yaml"]["unused.x"] == 1  # params.yaml is DVC's default params file: all of it


def test_a_project_in_a_subfolder_with_a_params_file_of_its_own(tmp_path):
    stage = train_stage({"metrics.json": "metrics"})
    stage["params"] = ["metrics", {"config/train.yaml": ["optimizer.lr"]}]
    p = make_project(tmp_path / "repo", subdir="ml", stages={"train": stage}, repro=False, commit=False)
    p.write("config/train.yaml", yaml.safe_dump({"optimizer": {"lr": 0.3, "momentum": 0.9}}))
    p.repro()
    base = p.commit("pipeline in ml/")
    _head_changes(p, {"config/train.yaml": yaml.safe_dump({"optimizer": {"lr": 0.1, "momentum": 0.9}})},
                  metrics={"accuracy": 0.97})
    got = _same(p, base)
    assert got["params"]["config/train.yaml"] == {"optimizer.lr": 0.3}


def test_a_stage_with_its_own_wdir_and_top_level_params_and_metrics(tmp_path):
    p = make_project(tmp_path / "repo", stages={}, repro=False, commit=False)
    p.write("sub/conf.yaml", yaml.safe_dump({"lr": 0.1, "other": {"x": 1}}))
    p.write("sub/out/.keep", "")
    p.write("dvc.yaml", yaml.safe_dump({
        "stages": {"fit": {
            "wdir": "sub",
            "cmd": python_cmd("import json, yaml; c = yaml.safe_load(open('conf.yaml')); "
                              "json.dump({'m': {'acc': c['lr'] * 2}}, open('out/m.json', 'w'))"),
            "params": [{"conf.yaml": ["lr"]}],
            "metrics": [{"out/m.json": {"cache": False}}]}},
        "params": ["extra.json"],
        "metrics": ["top.yaml"]}))
    p.write("extra.json", '{"a": {"b": 2}}')
    p.write("top.yaml", "score: 0.5\nnested: {k: [1, 2]}\n")
    p.repro()
    base = p.commit("a stage in sub/, top-level params and metrics")
    _head_changes(p, {"sub/conf.yaml": yaml.safe_dump({"lr": 0.3, "other": {"x": 1}}), "top.yaml": "score: 0.6\n"})
    got = _same(p, base)
    assert got["metrics"] == {"sub/out/m.json": {"m.acc": 0.2}, "top.yaml": {"score": 0.5}}
    assert got["params"]["sub/conf.yaml"] == {"lr": 0.1} and got["params"]["extra.json"] == {"a.b": 2}


def test_a_second_pipeline_in_a_subfolder_and_a_data_file_that_changed(tmp_path):
    from dvc.repo import Repo

    p = make_project(tmp_path / "repo", repro=False, commit=False)
    p.write("data/raw.csv", "a,b\n1,2\n")
    _dvc_add(p, "data/raw.csv")
    p.write("nested/dvc.yaml", yaml.safe_dump({"stages": {"score": {
        "cmd": python_cmd("import json; json.dump({'auc': 0.8}, open('auc.json', 'w'))"),
        "metrics": [{"auc.json": {"cache": False}}]}}}))
    p.repro()
    with contextlib.chdir(p.dir), Repo(str(p.dir)) as repo:
        repo.reproduce(all_pipelines=True)
    assert p.path("nested/auc.json").is_file()
    base = p.commit("two pipelines and a tracked data file")
    # the data's .dvc file changes; it declares no metric
    _head_changes(p, {"data/raw.csv": "a,b\n1,2\n3,4\n"}, tracked="data/raw.csv", metrics={"accuracy": 0.5})
    got = _same(p, base)
    assert got["metrics"]["nested/auc.json"] == {"auc": 0.8}


def test_an_uncommitted_change_in_the_workspace_reads_the_committed_head(tmp_path):
    p = make_project(tmp_path / "repo")
    head = p.sha()
    p.update_params({"metrics": {"accuracy": 0.1}})
    p.repro()  # not committed: the workspace differs from HEAD
    got = _same(p, head)
    assert got["metrics"]["metrics.json"]["accuracy"] == 0.95


def test_a_base_whose_metrics_file_does_not_parse_is_left_to_dvc_which_says_why(tmp_path):
    p = make_project(tmp_path / "repo", params={"metrics": "{not json"})
    base = p.sha()
    _head_changes(p, metrics={"accuracy": 0.9})
    dvc = _defers(p, base)
    assert "metrics.json" in dvc["errors"]


def test_a_changed_pipeline_is_left_to_dvc(tmp_path):
    p = make_project(tmp_path / "repo")
    base = p.sha()
    p.checkout("change", new=True)
    stage = train_stage({"metrics.json": "metrics", "more.json": "metrics"})
    p.write("dvc.yaml", yaml.safe_dump({"stages": {"train": stage}}))
    p.repro()
    p.commit("a second metrics file")
    dvc = _defers(p, base)
    assert list(dvc["metrics"]) == ["metrics.json"]  # the base's pipeline, as DVC reads it there


@pytest.mark.parametrize("case", ["cached", "interpolated", "folder", "not committed", "no project", "lfs",
                                  "dvcignore", "symlink"])
def test_what_only_dvc_can_read_is_left_to_dvc(tmp_path, case):
    name = "metrics.yaml" if case == "symlink" else "metrics.json"  # a link's target name is YAML, not JSON
    stage = train_stage({name: "metrics"}, cache=case == "cached")
    if case == "interpolated":
        stage["cmd"] = stage["cmd"].replace("write_metrics.py", "${script}")
    if case == "folder":
        stage["cmd"] = python_cmd("import os, json; os.makedirs('scores', exist_ok=True); "
                                  "json.dump({'auc': 0.7}, open('scores/auc.json', 'w'))")
        stage["metrics"] = [{"scores": {"cache": False}}]
    params = {"metrics": {"accuracy": 0.95}, "script": "write_metrics.py"}
    p = make_project(tmp_path / "repo", params=params, stages={"train": stage}, repro=case != "not committed")
    if case == "no project":
        p.git("commit", "--quiet", "--allow-empty", "-m", "before")
        base = p.git("commit-tree", "-m", "a commit with no DVC project", "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
    else:
        base = p.sha()
    if case == "cached":  # also committed to git, with other numbers: which one DVC reads is DVC's call
        p.path("metrics.json").write_text('{"accuracy": 0.5}')
        p.git("add", "--force", "metrics.json")
        base = p.commit("the cached metrics file committed to git as well")
        p.git("rm", "--quiet", "--cached", "metrics.json")
        p.commit("untracked again")
    if case == "lfs":  # the base's metrics file is a Git LFS pointer (git-lfs is not set up here)
        p.path("metrics.json").write_text("version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 +
                                          "\nsize 12\n")
        base = p.commit("metrics as an LFS pointer")
    if case == "symlink":  # git holds the link's target name, not the numbers
        p.path("numbers.yaml").write_text(p.path(name).read_text())
        p.path(name).unlink()
        p.path(name).symlink_to("numbers.yaml")
        base = p.commit("metrics.json a symbolic link")
    if case == "dvcignore":
        p.write(".dvcignore", "scratch/\n")
    _head_changes(p, metrics={"accuracy": 0.9})
    dvc = _defers(p, base)
    if case in ("interpolated", "dvcignore"):
        assert dvc["metrics"]["metrics.json"]["accuracy"] == 0.95  # DVC reads the base all the same
    if case == "cached":
        assert dvc["metrics"]["metrics.json"]["accuracy"] == 0.5  # DVC 3 takes git's copy


def test_a_run_reads_the_base_from_git_and_says_so(tmp_path):
    """Through the real CLI: the base's numbers come from git, the source is named, the gates judge them."""
    import json

    p = make_project(tmp_path / "repo")
    _head_changes(p, metrics={"accuracy": 0.85, "f1": 0.93, "loss": 0.2})
    proc = p.mlgate("run", "--no-repro", "--base", "main", "--json", str(tmp_path / "r.json"),
                    "--report", str(tmp_path / "r.md"))
    assert proc.returncode == 1, proc.stderr
    result = json.loads(Path(tmp_path / "r.json").read_text())
    assert result["baseline"]["source"] == "git"
    accuracy = next(g for g in result["gates"] if g["key"] == "accuracy")
    assert (accuracy["old"], accuracy["new"], accuracy["status"]) == (0.95, 0.85, "fail")
