"""The continuous loop end to end (issue 13's done-when): monitor → dispatch → retrain → pull request → merge → promote.

Under `act` with the GitHub double (helpers in tests/support/act_runner.py; tests/e2e/README.md says how act
behaves here). One scenario for the module:

1. A temp git repository holds the example project with a local DVC remote and a local bare ``origin``
   (``GITHUB_REPOSITORY`` is given to act, since the origin is a path): the baseline on ``main`` is reproduced,
   committed, pushed (git and DVC) and recorded in the metrics ledger (``mlgate run --record``), as the push
   workflow leaves a default branch.
2. ``act schedule`` runs ``templates/workflows/mlgate-monitor.yml`` — the template itself, with its fetch step
   replaced by a copy of a drifted production sample (``mean_radius`` half as large again) and the action named
   as the test maps it: the action's ``command: monitor`` opens the monitoring issue and sends the
   ``mlgate-drift`` repository_dispatch.
3. ``act repository_dispatch`` runs ``templates/workflows/mlgate-retrain.yml`` with the payload the double
   received: its install step replaced by the test's venv on ``PATH`` and its refresh step by a change of the
   forest's size; ``mlgate run``, ``dvc push`` and ``mlgate propose`` as written in the template: the branch
   ``mlgate/retrain`` lands in the origin and the double holds one pull request whose body is the report.
4. The test merges it (``git merge --no-ff`` of the pushed branch, pushed to the origin), and ``act push`` runs
   the action with ``promote: true``: the tag ``classifier@v0.0.1``, whose annotated message is the model card,
   and ``classifier#prod#1`` land in the origin.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tests.support.act_runner import (
    ACTION_REF,
    COPY_OUT,
    REPO_PAYLOAD,
    REPOSITORY,
    ROOT,
    Double,
    Run,
    act,
    copy_action,
    example_repo,
    explain,
    git,
    require_act_and_venv,
    tool,
    workflow,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("action-e2e")]

TEMPLATES = ROOT / "templates" / "workflows"
ARTIFACT = "classifier"
BRANCH = "mlgate/retrain"
ENV = {"GITHUB_REPOSITORY": REPOSITORY}  # the origin is a local path, so act cannot derive it
COPY_OUT_STEP = yaml.safe_load(textwrap.dedent(COPY_OUT))[0]


def _from_template(name: str, edit: Callable[[list[dict[str, Any]]], None]) -> str:
    """A workflow template as a user copies it, with ``edit`` applied to its job's steps."""
    doc = yaml.safe_load((TEMPLATES / name).read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True)  # YAML 1.1 reads the key `on` as true
    [job] = doc["jobs"].values()
    edit(job["steps"])
    return yaml.safe_dump(doc, sort_keys=False, width=200)


def _step(steps: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(s for s in steps if s.get("name") == name)


def _monitor_steps(steps: list[dict[str, Any]]) -> None:
    _step(steps, "Fetch the production sample")["run"] = 'mkdir -p prod && cp "$E2E_SAMPLE" prod/sample.csv'
    action = _step(steps, "mlgate monitor")
    assert action["uses"].startswith("OWNER/mlgate@")
    action["uses"] = ACTION_REF
    action["with"].update({"python-version": "", "venv": "${{ env.E2E_VENV }}", "sample": "prod/"})
    steps.append(COPY_OUT_STEP)


def _retrain_steps(steps: list[dict[str, Any]]) -> None:
    install = _step(steps, "Install mlgate, DVC and the pipeline's dependencies")
    assert install["uses"].startswith("OWNER/mlgate@") and install["with"]["command"] == "install"
    install["uses"] = ACTION_REF  # the action's install step, on the test's venv (it holds the requirements)
    install["with"] = {**install["with"], "python-version": "", "venv": "${{ env.E2E_VENV }}", "requirements": ""}
    # The "refreshed data": a bigger forest (n_estimators 50 -> 100), which passes every gate.
    _step(steps, "Refresh the data")["run"] = "sed -i 's/n_estimators: 50 /n_estimators: 100 /' params.yaml"
    steps.append({"name": "Copy the report out", "if": "always()",
                  "run": 'mkdir -p "$E2E_OUT" && cp "$RUNNER_TEMP/mlgate-report.md" "$E2E_OUT/report.md"'})


WORKFLOWS = {
    "mlgate-monitor.yml": lambda: _from_template("mlgate-monitor.yml", _monitor_steps),
    "mlgate-retrain.yml": lambda: _from_template("mlgate-retrain.yml", _retrain_steps),
    "mlgate-push.yml": lambda: workflow(
        "mlgate", "{push: {branches: [main]}}", "{contents: write, statuses: write}", checkout=True,
        inputs=f"          promote: true\n          promote-artifact: {ARTIFACT}\n"),
}


@dataclass
class Scenario:
    origin: Path
    base: str  # main's recorded baseline
    merge: str  # main after merging the retrain pull request
    monitor: Run
    retrain: Run
    push: Run


def _make_project(work: Path) -> tuple[Path, Path, str]:
    """The repository (main: baseline reproduced, committed, pushed, recorded) and its bare origin."""
    workflows = {name: text() for name, text in WORKFLOWS.items()}
    repo, origin = example_repo(work, workflows, config={"monitor": {"dataset": "train"}})
    tool(repo, "mlgate", "run", "--record", "--quiet", "--report", str(work / "baseline.md"),
         "--json", str(work / "baseline.json"))
    return repo, origin, git(repo, "rev-parse", "HEAD")


def _drifted_sample(repo: Path, dest: Path) -> None:
    """Production rows like the test set, but ``mean_radius`` half as large again; the labels not yet known."""
    frame = pd.read_csv(repo / "data" / "test.csv")
    frame["mean_radius"] = frame["mean_radius"] * 1.5
    frame.drop(columns=["label"]).to_csv(dest, index=False)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    require_act_and_venv()
    work = tmp_path_factory.mktemp("continuous-e2e")
    repo, origin, base = _make_project(work)
    _drifted_sample(repo, work / "production.csv")
    copy_action(work / "action")
    double = Double(work)
    try:
        monitor = act(repo, work, double, event_name="schedule", workflow="mlgate-monitor.yml", head=base,
                      tag="monitor", event={"schedule": "17 6 * * *", "repository": REPO_PAYLOAD},
                      env={**ENV, "E2E_SAMPLE": str(work / "production.csv")})
        dispatches = monitor.state["dispatches"]
        payload = dispatches[0]["client_payload"] if dispatches else {}
        retrain = act(repo, work, double, event_name="repository_dispatch", workflow="mlgate-retrain.yml", head=base,
                      tag="retrain", env=ENV, event={"action": "mlgate-drift", "client_payload": payload,
                                                     "repository": REPO_PAYLOAD,
                                                     "sender": {"login": "github-actions[bot]"}})
        # The merge of the pull request: its branch, as the retrain workflow pushed it, into main.
        git(repo, "fetch", "-q", "origin", BRANCH)
        git(repo, "merge", "-q", "--no-ff", "-m", f"Merge branch '{BRANCH}'", "FETCH_HEAD")
        git(repo, "push", "-q", "origin", "main")
        merge = git(repo, "rev-parse", "HEAD")
        push = act(repo, work, double, event_name="push", workflow="mlgate-push.yml", head=merge, tag="push", env=ENV,
                   event={"ref": "refs/heads/main", "before": base, "after": merge, "repository": REPO_PAYLOAD,
                          "head_commit": {"id": merge, "message": f"Merge branch '{BRANCH}'"}})
        print(f"act wall time: monitor {monitor.seconds} s, retrain {retrain.seconds} s, push {push.seconds} s")
        yield Scenario(origin, base, merge, monitor, retrain, push)
    finally:
        double.stop()
        shutil.rmtree(work, ignore_errors=True)


# -- 1. a scheduled run on drifted production data ------------------------------------------------------------


def test_the_scheduled_monitor_on_drifted_data_opens_the_monitoring_issue(scenario: Scenario) -> None:
    run = scenario.monitor
    assert run.job_result == "failure", explain(run)  # exit code 1 on an alarm: the run shows red
    assert run.outputs.get("MONITOR_VERDICT") == "drift", explain(run)
    assert "drift.mean_radius.psi" in run.outputs.get("FAILED_GATES", "").split(","), explain(run)
    [issue] = run.state["issues"]
    assert issue["title"] == "mlgate monitoring: drift on production data"
    assert issue["body"].startswith("<!-- mlgate:report id=monitoring head= -->\n")
    assert "`mean_radius`" in issue["body"]
    assert run.outputs["ISSUE_URL"] == issue["html_url"]
    assert run.report.strip() and run.report.strip() in issue["body"]


def test_the_monitor_sends_the_drift_dispatch(scenario: Scenario) -> None:
    run = scenario.monitor
    [event] = run.state["dispatches"]
    assert event["event_type"] == "mlgate-drift" and event["sender"] == "github-actions[bot]"
    payload = event["client_payload"]
    assert payload["verdict"] == "drift" and payload["commit"] == scenario.base
    assert payload["drifting_columns"] == ["mean_radius"]
    assert payload["run_url"].startswith(f"https://github.com/{REPOSITORY}/actions/runs/")


def test_the_monitoring_result_is_recorded_in_the_origin(scenario: Scenario) -> None:
    notes = git(scenario.origin, "notes", "--ref", "refs/notes/mlgate-monitoring", "list")
    assert notes.split()[-1] == scenario.base


# -- 2. the retraining workflow on that dispatch ----------------------------------------------------------------


def test_the_retrain_workflow_pushes_the_branch_with_the_refreshed_pipeline(scenario: Scenario) -> None:
    run = scenario.retrain
    assert run.returncode == 0 and run.job_result == "success", explain(run)
    # the action's install step (command: install) put mlgate and dvc on PATH for the steps after it
    assert "mlgate, dvc and the requirements' tools are on PATH for the next steps" in run.log, explain(run)
    origin = scenario.origin
    assert git(origin, "log", "--format=%s", f"{scenario.base}..{BRANCH}") == \
        "Retrain on refreshed data (repository_dispatch: drift)"
    changed = set(git(origin, "show", "--name-only", "--format=", BRANCH).split())
    assert {"dvc.lock", "params.yaml", "eval/metrics.json"} <= changed
    assert not {p for p in changed if p.startswith(("data/", "models/", "prod/")) or "mlgate-" in p}
    assert "n_estimators: 100 " in git(origin, "show", f"{BRANCH}:params.yaml")


def test_the_retrain_workflow_opens_a_pull_request_whose_body_is_the_report(scenario: Scenario) -> None:
    run = scenario.retrain
    [pull] = run.state["pulls"]
    assert pull["head"]["ref"] == BRANCH and pull["base"]["ref"] == "main", explain(run)
    assert pull["title"] == "Retrain on refreshed data"
    assert pull["user"]["login"] == "github-actions[bot]"
    assert run.report.startswith("<!-- mlgate:report id=default ")
    assert pull["body"] == run.report
    assert "## ✅ mlgate — all" in pull["body"]


# -- 3. the merge: a push to main that promotes ------------------------------------------------------------------


def test_the_push_of_the_merge_passes_and_records_it(scenario: Scenario) -> None:
    run = scenario.push
    assert run.returncode == 0 and run.job_result == "success", explain(run)
    assert run.outputs.get("VERDICT") == "pass", explain(run)
    notes = git(scenario.origin, "notes", "--ref", "refs/notes/mlgate", "list").split()
    assert scenario.merge in notes and scenario.base in notes
    assert [(s["context"], s["state"]) for s in run.statuses(scenario.merge)] == [("mlgate", "success")]


def test_the_push_promotes_the_merge_with_a_model_card_tag_in_the_origin(scenario: Scenario) -> None:
    origin = scenario.origin
    assert sorted(git(origin, "tag", "--list").split()) == [f"{ARTIFACT}#prod#1", f"{ARTIFACT}@v0.0.1"], \
        explain(scenario.push)
    assert git(origin, "rev-parse", f"{ARTIFACT}@v0.0.1^{{commit}}") == scenario.merge
    assert git(origin, "cat-file", "-t", f"{ARTIFACT}@v0.0.1") == "tag"  # annotated
    card = git(origin, "tag", "--list", "--format=%(contents)", f"{ARTIFACT}@v0.0.1")
    assert f"commit: {scenario.merge}" in card
    assert "train.n_estimators = 100" in card
    assert "accuracy" in card
    assert f"promoted: created {ARTIFACT}@v0.0.1, {ARTIFACT}#prod#1 and pushed to origin" in scenario.push.log
