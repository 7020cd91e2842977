"""The Action end to end: this repository's action.yml under `act`, against the GitHub API test double.

One scenario, run once for the module (see tests/e2e/README.md for how act behaves here):

1. A temp git repository holds the example project: a baseline commit on ``main`` (metrics committed),
   a pull request branch whose first commit degrades the model (the ``accuracy`` gate fails) and whose
   second commit restores it (every gate passes), and a fork's branch that degrades it again.
2. The GitHub double runs as a separate process on 127.0.0.1 and holds pull requests #1 and #2 (#2 from
   a fork, whose token cannot write).
3. ``act`` runs workflows that use the action as a user would (``uses: octo-org/mlgate@v1``, mapped by
   ``--local-repository`` to a copy of this checkout), on the self-hosted platform, offline, with an
   event payload, ``GITHUB_API_URL`` at the double and the token as the secret ``GITHUB_TOKEN``:
   PR #1's two pushes in ``mode: full``; PR #2 in ``mode: run`` (``pull_request``), then its
   ``workflow_run`` in ``mode: publish`` on the uploaded files. A last workflow step (``if: always()``)
   copies the action's outputs, the report and the result out of act's workspace; the job summary and
   the job's result come from act's JSON log (``--json``). Remote actions inside action.yml are mapped
   to offline stand-ins; the one for actions/upload-artifact records what it was given.

The tests then read what act returned and what the double holds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.act_runner import (
    EXAMPLE,
    REPO_PAYLOAD,
    REPOSITORY,
    VENV,
    Double,
    Run,
    act,
    copy_action,
    explain,
    git,
    require_act_and_venv,
    venv_env,
    workflow,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("action-e2e")]

PR_NUMBER = 1
FORK = "forker/ml-project"  # the fork PR #2 comes from
FORK_PR = 2
FORK_TOKEN = "e2e-read-only-token"  # a fork's pull_request run gets a token that cannot write

WORKFLOWS = {
    # The one-workflow setup of a same-repository pull request.
    "mlgate.yml": workflow("mlgate", "pull_request", "{contents: read, pull-requests: write, statuses: write}",
                            checkout=True, inputs=""),
    # The fork setup: the pull request's code runs read-only in mode run ...
    "mlgate-fork.yml": workflow("mlgate-fork", "pull_request", "{contents: read}", checkout=True,
                                 inputs="          mode: run\n"),
    # ... and a workflow_run publishes the artifact (the test stands in for actions/download-artifact).
    "mlgate-publish.yml": workflow(
        "mlgate-publish", "{workflow_run: {workflows: [mlgate-fork], types: [completed]}}",
        "{actions: read, pull-requests: write, statuses: write}", checkout=False,
        inputs="          mode: publish\n          artifact-dir: ${{ env.E2E_ARTIFACT }}\n"),
    # The install step for real: a new venv (uv, from the package registry), cached by actions/cache, then
    # the same workflow again restoring it. Mode publish needs no pipeline dependencies in that venv.
    "mlgate-install.yml": workflow(
        "mlgate-install", "{workflow_run: {workflows: [mlgate-fork], types: [completed]}}",
        "{actions: read, pull-requests: write, statuses: write}", checkout=False, venv="E2E_CACHED_VENV",
        inputs="          cache: \"true\"\n          mode: publish\n          artifact-dir: ${{ env.E2E_ARTIFACT }}\n"),
}


@dataclass
class Scenario:
    base_sha: str
    failing: Run  # PR #1, first push: a blocking gate fails (mode full)
    passing: Run  # PR #1, second push: every gate passes (mode full)
    fork_run: Run  # PR #2 from a fork, read-only token, mode run
    fork_publish: Run  # its workflow_run, mode publish
    artifacts: Path  # what the upload-artifact recorder received in fork_run
    install_cold: Run  # mlgate-install.yml, an empty cache: installs with uv, the post step saves the venv
    install_warm: Run  # the same again: the cache restores the venv, the install step installs nothing


# -- helpers ------------------------------------------------------------------------------------------


def _set_params(repo: Path, **train: Any) -> None:
    params_file = repo / "params.yaml"
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    params["train"].update(train)
    params_file.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


@dataclass
class Commits:
    base: str  # main: the baseline, metrics committed
    failing: str  # PR #1, first push: shallow trees on five features (the accuracy gate fails)
    passing: str  # PR #1, second push: back to the baseline's trees
    fork: str  # PR #2 from a fork: shallow trees again, fewer of them


def _make_project(repo: Path) -> Commits:
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("data", "models", "eval", "__pycache__",
                                                                  ".dvc", "dvc.lock"))
    (repo / ".github" / "workflows").mkdir(parents=True)
    for name, text in WORKFLOWS.items():
        (repo / ".github" / "workflows" / name).write_text(text, encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    env = venv_env()
    subprocess.run([str(VENV / "bin" / "dvc"), "init", "-q"], cwd=repo, env=env, check=True, timeout=120)
    subprocess.run([str(VENV / "bin" / "dvc"), "repro", "-q"], cwd=repo, env=env, check=True, timeout=300,
                   capture_output=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Baseline")
    base = git(repo, "rev-parse", "HEAD")
    original = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))["train"]
    git(repo, "checkout", "-q", "-b", "feature/shallow-trees")
    # The example's README: max_depth 1 on the first 5 features drops accuracy from ~0.965 to ~0.874.
    _set_params(repo, max_depth=1, n_features=5)
    git(repo, "commit", "-q", "-am", "Shallow trees on five features")
    failing = git(repo, "rev-parse", "HEAD")
    _set_params(repo, max_depth=original["max_depth"], n_features=original["n_features"])
    git(repo, "commit", "-q", "-am", "Back to the baseline's trees")
    passing = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "fork-feature", base)
    _set_params(repo, max_depth=1, n_features=5, n_estimators=20)
    git(repo, "commit", "-q", "-am", "Fewer, shallower trees")
    fork = git(repo, "rev-parse", "HEAD")
    return Commits(base, failing, passing, fork)


def _pull_request_event(number: int, base: str, head: str, head_ref: str, head_repo: str) -> dict[str, Any]:
    head_obj = {**REPO_PAYLOAD, "full_name": head_repo, "owner": {"login": head_repo.split("/")[0]}}
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "title": "Shallow trees",
            "head": {"sha": head, "ref": head_ref, "repo": head_obj},
            "base": {"sha": base, "ref": "main", "repo": REPO_PAYLOAD},
        },
        "repository": REPO_PAYLOAD,
    }


def _workflow_run_event(head: str, head_ref: str, head_repo: str) -> dict[str, Any]:
    """What GitHub sends the publishing workflow: a fork's run lists no pull requests."""
    return {
        "action": "completed",
        "workflow_run": {
            "id": 4242, "name": "mlgate-fork", "event": "pull_request", "status": "completed",
            "conclusion": "failure", "head_sha": head, "head_branch": head_ref,
            "head_repository": {"full_name": head_repo}, "repository": {"full_name": REPOSITORY},
            "pull_requests": [],
        },
        "repository": REPO_PAYLOAD,
    }


# -- the scenario ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    require_act_and_venv()
    work = tmp_path_factory.mktemp("action-e2e")
    repo = work / "repo"
    commits = _make_project(repo)
    copy_action(work / "action")
    branch = "feature/shallow-trees"

    double = Double(work)
    try:
        # PR #1, same repository, mode full: two pushes.
        runs = []
        for tag, head in (("failing", commits.failing), ("passing", commits.passing)):
            double.open_pull(PR_NUMBER, commits.base, head, branch)
            git(repo, "checkout", "-q", "-B", branch, head)
            runs.append(act(repo, work, double, event_name="pull_request", workflow="mlgate.yml", head=head,
                             tag=tag, event=_pull_request_event(PR_NUMBER, commits.base, head, branch, REPOSITORY)))
        # PR #2 from a fork: mode run with a read-only token, then mode publish under workflow_run.
        double.seed({"tokens": {FORK_TOKEN: {"login": "github-actions[bot]", "user_endpoint": False,
                                             "write": False}}})
        double.open_pull(FORK_PR, commits.base, commits.fork, "fork-feature", head_repo=FORK)
        git(repo, "checkout", "-q", "fork-feature")
        fork_run = act(repo, work, double, event_name="pull_request", workflow="mlgate-fork.yml",
                        head=commits.fork, tag="fork-run", token=FORK_TOKEN,
                        event=_pull_request_event(FORK_PR, commits.base, commits.fork, "fork-feature", FORK))
        artifacts = work / "out-fork-run" / "artifacts"
        # The publishing workflow runs on the default branch; the test stands in for download-artifact.
        git(repo, "checkout", "-q", "main")
        fork_publish = act(repo, work, double, event_name="workflow_run", workflow="mlgate-publish.yml",
                            head=commits.fork, tag="fork-publish",
                            event=_workflow_run_event(commits.fork, "fork-feature", FORK),
                            env={"E2E_ARTIFACT": str(artifacts / "mlgate-default")})
        # The install step for real, twice: an empty cache, then the venv the first run's post step saved.
        installs = []
        for tag in ("install-cold", "install-warm"):
            shutil.rmtree(work / "cached-venv", ignore_errors=True)  # a new runner: nothing but the cache
            installs.append(act(repo, work, double, event_name="workflow_run", workflow="mlgate-install.yml",
                                 head=commits.fork, tag=tag,
                                 event=_workflow_run_event(commits.fork, "fork-feature", FORK),
                                 env={"E2E_ARTIFACT": str(artifacts / "mlgate-default")}))
        yield Scenario(commits.base, runs[0], runs[1], fork_run, fork_publish, artifacts, *installs)
    finally:
        double.stop()
        shutil.rmtree(work, ignore_errors=True)


# -- the tests ---------------------------------------------------------------------------------------------


def test_a_failing_blocking_gate_fails_the_job(scenario: Scenario) -> None:
    run = scenario.failing
    assert run.returncode != 0, explain(run)
    assert run.job_result == "failure", explain(run)
    assert run.outputs.get("VERDICT") == "fail", explain(run)
    assert "accuracy" in run.outputs.get("FAILED_GATES", "").split(","), explain(run)


def test_passing_gates_pass_the_job(scenario: Scenario) -> None:
    run = scenario.passing
    assert run.returncode == 0, explain(run)
    assert run.job_result == "success", explain(run)
    assert run.outputs.get("VERDICT") == "pass", explain(run)
    assert run.outputs.get("FAILED_GATES") == "", explain(run)


def test_two_pushes_leave_one_sticky_comment_created_then_updated(scenario: Scenario) -> None:
    first, second = scenario.failing.comments(), scenario.passing.comments()
    assert len(first) == 1, explain(scenario.failing)
    assert len(second) == 1, explain(scenario.passing)
    assert second[0]["id"] == first[0]["id"]
    assert second[0]["user"]["login"] == "github-actions[bot]"
    assert first[0]["body"] != second[0]["body"]
    assert scenario.failing.head_sha[:7] in first[0]["body"]
    assert scenario.passing.head_sha[:7] in second[0]["body"]
    requests = scenario.passing.state["requests"]
    comment_writes = [(r["method"], r["status"]) for r in requests
                      if r["method"] in ("POST", "PATCH") and "/comments" in r["path"]]
    assert comment_writes == [("POST", 201), ("PATCH", 200)]


def test_each_push_gets_a_commit_status_that_follows_the_verdict(scenario: Scenario) -> None:
    final = scenario.passing
    failing = final.statuses(scenario.failing.head_sha)
    passing = final.statuses(scenario.passing.head_sha)
    assert [(s["context"], s["state"]) for s in failing] == [("mlgate", "failure")], explain(scenario.failing)
    assert [(s["context"], s["state"]) for s in passing] == [("mlgate", "success")], explain(final)
    for status in failing + passing:
        assert status["creator"]["login"] == "github-actions[bot]"
        assert re.fullmatch(r"\d+/\d+ KPI gates passed(, \d+ without a baseline)?", status["description"]), \
            status["description"]
        assert status["target_url"].startswith(f"https://github.com/{REPOSITORY}/actions/runs/")


def test_outputs_and_job_summary_are_set(scenario: Scenario) -> None:
    for run in (scenario.failing, scenario.passing):
        assert run.outputs.get("REPORT_PATH") and run.outputs.get("RESULT_PATH"), explain(run)
        assert run.report.strip(), explain(run)
        assert run.result.get("verdict") == run.outputs["VERDICT"], explain(run)
        comment = run.comments()[0]
        assert run.outputs.get("COMMENT_URL") == comment["html_url"], explain(run)
        heading = next(line for line in run.report.splitlines() if line.startswith("## "))
        assert heading in run.summary, explain(run)
    assert "`accuracy`" in scenario.failing.summary


def test_fork_mode_run_uploads_the_result_and_publishes_nothing(scenario: Scenario) -> None:
    run = scenario.fork_run
    assert run.returncode != 0 and run.job_result == "failure", explain(run)  # the gate still fails the job
    assert run.outputs.get("VERDICT") == "fail", explain(run)
    # the result for the publish half, and the plots (changed images, DVC's page) for reviewers
    assert sorted(p.name for p in scenario.artifacts.iterdir()) == ["mlgate-default", "mlgate-plots-default"], \
        explain(run)
    assert (scenario.artifacts / "mlgate-plots-default" / "html" / "index.html").is_file()
    uploaded = scenario.artifacts / "mlgate-default"
    assert sorted(p.name for p in uploaded.iterdir()) == ["mlgate-report.md", "mlgate-result.json"]
    assert json.loads((uploaded / "mlgate-result.json").read_text(encoding="utf-8"))["verdict"] == "fail"
    assert run.comments(FORK_PR) == []
    assert run.statuses(run.head_sha) == []
    assert "accuracy" in run.summary, explain(run)


def test_fork_mode_publish_posts_the_uploaded_report(scenario: Scenario) -> None:
    run = scenario.fork_publish
    assert run.returncode == 0 and run.job_result == "success", explain(run)
    comments = run.comments(FORK_PR)
    assert len(comments) == 1, explain(run)
    uploaded = (scenario.artifacts / "mlgate-default" / "mlgate-report.md").read_text(encoding="utf-8")
    heading = next(line for line in uploaded.splitlines() if line.startswith("## "))
    assert heading in comments[0]["body"]
    assert run.head_sha[:7] in comments[0]["body"]
    assert [(s["context"], s["state"]) for s in run.statuses(run.head_sha)] == [("mlgate", "failure")], explain(run)
    assert run.outputs.get("VERDICT") == "fail", explain(run)
    assert run.outputs.get("COMMENT_URL") == comments[0]["html_url"], explain(run)


def _install_log(run: Run) -> str:
    return "\n".join(line for line in run.log.splitlines() if "mlgate" in line or "Cache" in line or "cache" in line)


def test_install_step_from_an_empty_cache_installs_with_uv_and_saves_the_venv(scenario: Scenario) -> None:
    run = scenario.install_cold
    assert run.returncode == 0 and run.job_result == "success", explain(run)
    assert "Cache not found for input keys: mlgate-venv-" in run.log, explain(run)
    assert re.search(r"::group::Install mlgate [\d.]+ into .*cached-venv with uv ", run.log), explain(run)
    assert "Cache saved with key: mlgate-venv-" in run.log, explain(run)
    assert run.outputs.get("VERDICT") == "fail", explain(run)  # mlgate ran from the new venv
    print(_install_log(run))  # the install step's time, in the test's log (pytest -s)


def test_install_step_with_a_warm_cache_installs_nothing(scenario: Scenario) -> None:
    run = scenario.install_warm
    assert run.returncode == 0 and run.job_result == "success", explain(run)
    assert "Cache restored from key: mlgate-venv-" in run.log, explain(run)
    assert re.search(r"mlgate [\d.]+ restored from the cache into .*cached-venv: nothing to install", run.log), \
        explain(run)
    assert "::group::Install mlgate" not in run.log, explain(run)
    assert run.outputs.get("VERDICT") == "fail", explain(run)
    print(_install_log(run))
