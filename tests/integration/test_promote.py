"""mlgate promote: the commit whose run passed becomes the next model version, as gto-format git tags whose
message is a model card; anything else is refused, and a refused push is a warning."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlgate.errors import InputError
from mlgate.publish.promotion import check_names, next_version, stage_tag
from tests.support.dvc_repo import Project, git, make_project


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("promote") / "repo")


@pytest.fixture
def world(template: Project, tmp_path: Path) -> tuple[Project, Path]:
    """A copy of the project with a bare origin it was pushed to."""
    project = template.copy(tmp_path / "repo")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", str(origin))
    project.git("remote", "add", "origin", str(origin))
    project.git("push", "--quiet", "origin", "main")
    return project, origin


def run_and_promote(project: Project, tmp_path: Path, *promote_args: str, params: dict | None = None,
                    name: str = "better") -> subprocess.CompletedProcess[str]:
    if params is not None:
        project.update_params({"metrics": params})
        project.repro()
        project.commit(name)
    out = tmp_path / name
    project.mlgate("run", "--report", str(out / "r.md"), "--json", str(out / "r.json"))
    return project.mlgate("promote", "--json", str(out / "r.json"), *promote_args)


def tags(where: Path) -> list[str]:
    return sorted(git(where, "tag", "--list").split())


def test_a_passing_run_is_tagged_with_a_model_card_and_pushed(world, tmp_path):
    project, origin = world

    proc = run_and_promote(project, tmp_path, params={"accuracy": 0.96, "loss": 0.19})

    assert proc.returncode == 0, proc.stderr
    assert "promoted: created model@v0.0.1, model#prod#1 and pushed to origin" in proc.stdout
    assert tags(origin) == ["model#prod#1", "model@v0.0.1"]
    card = project.git("tag", "--list", "--format=%(contents)", "model@v0.0.1")
    assert f"commit: {project.sha()}" in card
    assert "accuracy: 0.95 -> 0.96" in card and "metrics.json:accuracy = 0.96" in card
    assert "params.yaml:metrics.accuracy = 0.96" in card
    assert "write_metrics.py md5:" in card  # the pipeline's inputs, by DVC hash
    assert project.git("rev-list", "-n1", "model@v0.0.1") == project.sha()


def test_versions_and_stage_assignments_count_up(world, tmp_path):
    project, _ = world
    run_and_promote(project, tmp_path, params={"accuracy": 0.96}, name="one")

    proc = run_and_promote(project, tmp_path, "--bump", "minor", params={"accuracy": 0.97}, name="two")

    assert proc.returncode == 0, proc.stderr
    assert tags(project.root) == ["model#prod#1", "model#prod#2", "model@v0.0.1", "model@v0.1.0"]


def test_a_failing_run_is_never_promoted(world, tmp_path):
    project, origin = world

    proc = run_and_promote(project, tmp_path, params={"accuracy": 0.80})

    assert proc.returncode == 0
    assert "not promoted: the run's verdict is fail, not pass" in proc.stdout
    assert tags(project.root) == [] and tags(origin) == []


def test_a_commit_already_promoted_is_not_tagged_twice(world, tmp_path):
    project, _ = world
    run_and_promote(project, tmp_path, params={"accuracy": 0.96})

    proc = project.mlgate("promote", "--json", str(tmp_path / "better" / "r.json"))

    assert f"not promoted: {project.sha()[:7]} is already model@v0.0.1" in proc.stdout
    assert tags(project.root) == ["model#prod#1", "model@v0.0.1"]


def test_a_refused_push_is_a_warning_and_the_tags_stay_local(world, tmp_path):
    project, origin = world
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'tags are protected' >&2\nexit 1\n")
    hook.chmod(0o755)

    proc = run_and_promote(project, tmp_path, params={"accuracy": 0.96})

    assert proc.returncode == 0, proc.stderr
    assert "created model@v0.0.1, model#prod#1 locally" in proc.stdout
    assert "warning: the tags were created locally but not pushed" in proc.stderr
    assert tags(origin) == []


def test_history_marks_the_promoted_entries(world, tmp_path):
    project, _ = world
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.repro()
    project.commit("better")
    out = tmp_path / "rec"
    project.mlgate("run", "--record", "--report", str(out / "r.md"), "--json", str(out / "r.json"))
    project.mlgate("promote", "--json", str(out / "r.json"), "--no-push-tags")

    proc = project.mlgate("history", "--no-fetch")

    row = next(line for line in proc.stdout.splitlines() if line.startswith(project.sha()[:7]))
    assert "pass ★ model@v0.0.1" in row


def test_ci_promotes_on_a_push_to_the_default_branch_that_passed(world, tmp_path):
    project, origin = world
    before = project.sha()
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.repro()
    after = project.commit("better")
    project.git("push", "--quiet", "origin", "main")
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"after": after, "before": before,
                                 "repository": {"full_name": "o/r", "default_branch": "main"}}))
    env = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r",
           "GITHUB_SHA": after, "GITHUB_REF": "refs/heads/main"}

    proc = project.mlgate("ci", "--publisher", "none", "--no-status", "--promote", "--artifact", "churn",
                          "--report", str(tmp_path / "r.md"), "--json", str(tmp_path / "r.json"), env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert tags(origin) == ["churn#prod#1", "churn@v0.0.1"]


def test_version_arithmetic_and_names():
    existing = ["model@v0.0.3", "model@v1.2.0", "other@v9.0.0", "model@vbad", "model#prod#4", "model#prod#x"]
    assert next_version(existing, "model") == "v1.2.1"
    assert next_version(existing, "model", "minor") == "v1.3.0"
    assert next_version(existing, "model", "major") == "v2.0.0"
    assert next_version([], "model") == "v0.0.1"
    assert stage_tag(existing, "model", "prod") == "model#prod#5"
    assert stage_tag(existing, "model", "staging") == "model#staging#1"
    with pytest.raises(InputError, match="artifact name 'Model X' is not valid"):
        check_names("Model X", "prod")
    with pytest.raises(InputError, match="stage 'p#1' is not valid"):
        check_names("model", "p#1")


def test_each_command_writes_its_own_files_and_promote_refuses_a_result_that_is_not_a_runs(world, tmp_path):
    from mlgate.cli import build_parser

    project, _ = world
    rows = "id,label,pred\n" + "".join(f"r{i},{i % 2},{i % 2}\n" for i in range(200))
    for name in ("champion", "challenger"):
        (tmp_path / f"{name}.csv").write_text(rows)
    (tmp_path / "cmp.yaml").write_text(
        "version: 1\npredictions: {path: p.csv, id: id, label: label, prediction: pred}\n"
        "kpis:\n  predictions.accuracy: {max_drop: 0.01}\n")
    assert project.mlgate("run", "--quiet").returncode == 0
    compared = project.mlgate("compare-predictions", str(tmp_path / "champion.csv"), str(tmp_path / "challenger.csv"),
                              "--config", str(tmp_path / "cmp.yaml"))
    assert compared.returncode == 0, compared.stderr
    assert "report mlgate-compare-report.md · result mlgate-compare-result.json" in compared.stdout
    assert json.loads((project.root / "mlgate-result.json").read_text())["head"]["sha"] == project.sha()
    monitor = build_parser().parse_args(["monitor"])
    assert (monitor.report, monitor.json) == ("mlgate-monitor-report.md", "mlgate-monitor-result.json")

    refused = project.mlgate("promote", "--json", "mlgate-compare-result.json", "--no-push-tags")
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        "mlgate: error: mlgate-compare-result.json: a result of mlgate compare-predictions, not of a run; pass the "
        "result 'mlgate run' or 'mlgate ci' wrote (--json, default mlgate-result.json)"]

    promoted = project.mlgate("promote", "--no-push-tags")  # the run's own file, untouched by the comparison
    assert promoted.returncode == 0, promoted.stderr
    assert "promoted: created model@v0.0.1, model#prod#1 locally" in promoted.stdout


def test_promote_refuses_a_monitoring_result_in_one_line(world, tmp_path):
    project, _ = world
    assert project.mlgate("run", "--quiet", "--json", str(tmp_path / "r.json"), "--report", "/dev/null").returncode == 0
    data = json.loads((tmp_path / "r.json").read_text())
    data["context"] = {**data["context"], "event": "monitor", "monitor_verdict": "ok"}
    (tmp_path / "monitor.json").write_text(json.dumps(data))
    proc = project.mlgate("promote", "--json", str(tmp_path / "monitor.json"), "--no-push-tags")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"mlgate: error: {tmp_path / 'monitor.json'}: a result of mlgate monitor, not of a run; pass the result "
        "'mlgate run' or 'mlgate ci' wrote (--json, default mlgate-result.json)"]
    assert tags(project.root) == []
