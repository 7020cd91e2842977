"""The run's shape, through real git + DVC projects: one finished Result, recorded only when complete,
honest about where the base came from and why a pipeline failed. Each test was a defect once."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import yaml

from mlgate.edges.dvc.project import _StageEvents
from mlgate.edges.progress import Progress
from tests.support.dvc_repo import Project, make_project, mlgate_env, train_stage


def run(project: Project, tmp_path: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return project.mlgate("run", "--report", str(tmp_path / "report.md"), "--json", str(tmp_path / "result.json"),
                          *args, cwd=cwd)


def result(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "result.json").read_text())


def notes(project: Project, sha: str) -> str:
    proc = subprocess.run(["git", "notes", "--ref", "refs/notes/mlgate", "show", sha], cwd=project.root,
                          capture_output=True, text=True, check=False)
    return proc.stdout


def test_a_run_whose_head_metrics_are_corrupt_is_never_recorded(tmp_path):
    project = make_project(tmp_path / "repo")
    project.checkout("broken", new=True)
    project.update_params({"metrics": '{"accuracy": 0.95,'})  # written verbatim: not JSON
    head = project.commit("corrupt metrics")

    proc = run(project, tmp_path, "--record", "--base", "main")

    assert proc.returncode == 2, proc.stderr
    assert result(tmp_path)["verdict"] == "error"
    assert notes(project, head) == ""  # nothing for the next pull request to trust
    assert "not recorded in the metrics ledger: the run could not complete" in proc.stderr


def test_colliding_dotted_keys_are_an_error_not_an_order(tmp_path):
    for order, name in ((('{"a.b": 1, "a": {"b": 2}}'), "dotted-first"), ('{"a": {"b": 2}, "a.b": 1}', "nested-first")):
        project = make_project(tmp_path / name, params={"metrics": order},
                               config={"version": 1, "kpis": {"a.b": {"min": 1.5}}})
        out = tmp_path / f"out-{name}"
        proc = project.mlgate("run", "--no-repro", "--report", str(out / "r.md"), "--json", str(out / "r.json"))
        assert proc.returncode == 2, proc.stderr
        assert "two metrics are both named 'a.b'" in proc.stderr and "rename one" in proc.stderr


def test_a_pipeline_error_names_its_root_cause(tmp_path):
    source = make_project(tmp_path / "source", metrics={}, config=None, stages={})
    source.write("data.xml", "<x/>\n")
    subprocess.run([sys.executable, "-m", "dvc", "add", "-q", "data.xml"], cwd=source.dir, check=True, env=mlgate_env())
    source.commit("data")
    use = {**train_stage({"metrics.json": "metrics"}), "deps": ["write_metrics.py", "data.xml"]}
    project = make_project(tmp_path / "repo", stages={"train": use}, repro=False, commit=False)
    subprocess.run([sys.executable, "-m", "dvc", "import", "-q", str(source.root), "data.xml", "-o", "data.xml"],
                   cwd=project.dir, check=True, env=mlgate_env())
    project.repro()
    dvcfile = project.dir / "data.xml.dvc"  # an import `dvc update` refreshes: DVC clones its source again
    dvcfile.write_text(dvcfile.read_text().replace("frozen: true\n", ""))
    project.commit("import")
    for path in (source.root,):  # the import's source goes away
        subprocess.run(["rm", "-rf", str(path)], check=True)
    (project.dir / "data.xml").unlink()
    subprocess.run(["rm", "-rf", str(project.dir / ".dvc" / "cache")], check=True)

    proc = run(project, tmp_path)

    assert proc.returncode == 3, proc.stderr
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("mlgate: error:"))
    assert "failed to reproduce 'data.xml.dvc'" in line and "No git repository was found" in line, line
    assert "see the stage's output above" not in line  # no stage ran: nothing is above


def test_base_params_come_from_git_when_the_base_cannot_be_reproduced(tmp_path):
    project = make_project(tmp_path / "repo", repro=False,
                           params={"metrics": {"accuracy": 0.95, "f1": 0.93, "loss": 0.2}, "train": {"lr": 0.1, "depth": 3}},
                           stages={"train": {"cmd": f"{sys.executable} -c 'raise SystemExit(1)'", "deps": ["write_metrics.py"],
                                             "params": ["metrics", "train"], "metrics": [{"metrics.json": {"cache": False}}]}})
    project.checkout("fix", new=True)
    stage = {**train_stage({"metrics.json": "metrics"}), "params": ["metrics", "train"]}
    project.write("dvc.yaml", yaml.safe_dump({"stages": {"train": stage}}))
    project.update_params({"train": {"depth": 5}})
    project.repro()
    project.commit("fixed pipeline, deeper")

    proc = run(project, tmp_path, "--base", "main")

    data = result(tmp_path)
    assert data["baseline"]["source"] == "none", proc.stderr
    params = data["params"]["params.yaml"]
    assert params["train.depth"]["old"] == 3 and params["train.depth"]["new"] == 5
    assert params["train.lr"]["old"] == params["train.lr"]["new"] == 0.1  # unchanged, not "— → 0.1"


def test_metrics_pulled_from_the_dvc_remote_say_so(tmp_path):
    project = make_project(tmp_path / "repo", cache_metrics=True)
    remote = tmp_path / "remote"
    subprocess.run([sys.executable, "-m", "dvc", "remote", "add", "-d", "store", str(remote)], cwd=project.dir,
                   check=True, env=mlgate_env())
    subprocess.run([sys.executable, "-m", "dvc", "push", "-q"], cwd=project.dir, check=True, env=mlgate_env())
    project.commit("remote")
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.repro()
    project.commit("better")
    main_md5 = json.dumps(project.git("show", "main:dvc.lock"))
    assert "md5" in main_md5
    subprocess.run(["rm", "-rf", str(project.dir / ".dvc" / "cache")], check=True)  # a runner with an empty cache
    project.repro()  # the head's outputs again (the base's are only in the remote)

    proc = run(project, tmp_path, "--base", "main", "--no-repro")

    assert proc.returncode == 0, proc.stderr
    baseline = result(tmp_path)["baseline"]
    assert baseline["source"] == "dvc-remote", baseline
    assert "pulled from the DVC remote" in (tmp_path / "report.md").read_text()


def test_check_on_a_fresh_clone_without_metrics_says_so_and_passes(tmp_path):
    project = make_project(tmp_path / "repo", cache_metrics=True)  # metrics are DVC outputs, no remote
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project.root), str(clone)], check=True)

    proc = Project(clone, clone).mlgate("check")

    assert proc.returncode == 0, proc.stderr
    assert "no metrics to match yet: run the pipeline once, or 'mlgate run'" in proc.stdout
    assert "is valid" in proc.stdout and "MATCHES NOTHING" not in proc.stdout
    assert "accuracy: not checked yet" in proc.stdout


def test_check_matches_the_base_commits_cached_metrics_when_the_workspace_has_none(tmp_path):
    project = make_project(tmp_path / "repo", cache_metrics=True)
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.97}})
    project.repro()
    project.commit("better")
    # The head's metrics are gone from the workspace and the cache (say, a partial restore); main's remain.
    md5 = yaml.safe_load((project.dir / "dvc.lock").read_text())["stages"]["train"]["outs"][0]["md5"]
    (project.dir / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).unlink()
    (project.dir / "metrics.json").unlink()

    proc = project.mlgate("check")

    assert proc.returncode == 0, proc.stderr
    assert f"one per metric they match in the base commit {project.sha('main')[:7]}" in proc.stdout
    assert "  accuracy = 0.95  [" in proc.stdout and "]  in metrics.json" in proc.stdout


def test_check_that_fails_never_says_valid_first(tmp_path):
    project = make_project(tmp_path / "repo", config={"version": 1, "kpis": {"acuracy": {"min": 0.9}}})

    proc = project.mlgate("check")

    assert proc.returncode == 2
    assert "is valid" not in proc.stdout
    assert "acuracy: MATCHES NOTHING" in proc.stdout and "kpis.acuracy: matches no metric" in proc.stderr


def test_a_first_push_has_no_baseline_and_is_judged_on_absolute_rules(tmp_path):
    project = make_project(tmp_path / "repo")  # one commit: the root
    event = tmp_path / "push.json"
    event.write_text(json.dumps({"after": project.sha(), "before": "0" * 40,
                                 "repository": {"full_name": "o/r", "default_branch": "main"}}))
    env = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": "o/r",
           "GITHUB_SHA": project.sha(), "GITHUB_REF": "refs/heads/main", "GITHUB_ACTIONS": "true",
           "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}

    proc = project.mlgate("ci", "--publisher", "none", "--no-status", "--no-record",
                          "--report", str(tmp_path / "report.md"), "--json", str(tmp_path / "result.json"), env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = result(tmp_path)
    assert data["base"] is None and data["baseline"]["source"] == "none"
    assert any("the first commit" in w for w in data["warnings"])
    assert "fetch-depth" not in proc.stdout + proc.stderr


def _events(messages: list[tuple[int, str]], *, failed: bool) -> str:
    out = io.StringIO()
    events = _StageEvents(Progress(out))
    for level, message in messages:
        events.emit(logging.LogRecord("dvc", level, __file__, 0, message, None, None))
    events.finish(failed=failed)
    return out.getvalue()


def test_restored_is_said_only_for_what_was_restored():
    pulling = [(logging.INFO, "Pulling data for stage: 'prepare'")]
    assert "restored" not in _events(pulling, failed=True)  # the pull failed with the run
    assert "prepare: restored  outputs pulled from the DVC remote" in _events(pulling, failed=False)
    unpulled = pulling + [(logging.INFO, "Unable to pull data for stage: 'prepare'")]
    assert "restored" not in _events(unpulled, failed=False)


def test_dvc_warnings_are_explained():
    text = _events([(logging.WARNING, "Failed to pull run cache: run-cache is not supported for http filesystem: "
                                      "http://user:secret@host/store")], failed=False)
    assert "DVC warning: the run-cache could not be pulled" in text and "only slower" in text
    assert "secret" not in text
