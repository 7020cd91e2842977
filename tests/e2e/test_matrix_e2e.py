"""Many models in one repository: a matrix of report ids and one summary comment, under `act` with the GitHub double.

The workflow docs/continuous.md shows ("A matrix of models with one summary comment"), run for a pull request:
a matrix job per model runs the action with its own ``config`` and ``report-id`` (``forest`` with the example's
gates, which pass; ``strict`` with an accuracy floor of 0.99, which fails) and uploads its result file; a last
job (``needs`` the matrix, ``if: !cancelled()``) downloads them (an offline stand-in for
actions/download-artifact, tests/support/act_runner.py) and runs the action with ``command: summarize``. The
double then holds each model's sticky comment and commit status and one summary comment linking both.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import yaml

from tests.support.act_runner import (
    ACTION_REF,
    COPY_OUT,
    DOWNLOAD_ARTIFACT,
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
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("action-e2e")]

PR = 5
BRANCH = "feature/strict-gates"
UPLOAD = next(s["uses"] for s in yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["runs"]["steps"]
              if s.get("uses", "").startswith("actions/upload-artifact@"))
ACTION_INPUTS = "          python-version: \"\"\n          venv: ${{ env.E2E_VENV }}\n"
MATRIX = f"""\
name: mlgate
on: pull_request
permissions: {{contents: read, pull-requests: write, statuses: write}}
jobs:
  model:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      max-parallel: 1
      matrix:
        include:
          - {{model: forest, config: mlgate.yaml}}
          - {{model: strict, config: mlgate-strict.yaml}}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1 (act copies the local repo)
        with:
          fetch-depth: 0
      - id: mlgate
        uses: {ACTION_REF}
        with:
{ACTION_INPUTS}          config: ${{{{ matrix.config }}}}
          report-id: ${{{{ matrix.model }}}}
      - if: ${{{{ !cancelled() && steps.mlgate.outputs.result-path != '' }}}}
        uses: {UPLOAD}
        with:
          name: mlgate-result-${{{{ matrix.model }}}}
          path: ${{{{ steps.mlgate.outputs.result-path }}}}
  summary:
    needs: model
    if: ${{{{ !cancelled() }}}}
    runs-on: ubuntu-latest
    steps:
      - uses: {DOWNLOAD_ARTIFACT}
        with:
          pattern: mlgate-result-*
          path: results
      - id: mlgate
        uses: {ACTION_REF}
        with:
{ACTION_INPUTS}          command: summarize
          results: results
{COPY_OUT}"""


@dataclass
class Scenario:
    head: str
    run: Run


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    require_act_and_venv()
    work = tmp_path_factory.mktemp("matrix-e2e")
    repo, _ = example_repo(work, {"mlgate.yml": MATRIX})
    base = git(repo, "rev-parse", "HEAD")
    # The pull request adds a second report over the same model: stricter gates.
    strict = yaml.safe_load((repo / "mlgate.yaml").read_text(encoding="utf-8"))
    strict["kpis"]["accuracy"] = {"min": 0.99}
    (repo / "mlgate-strict.yaml").write_text(yaml.safe_dump(strict, sort_keys=False), encoding="utf-8")
    git(repo, "checkout", "-q", "-b", BRANCH)
    git(repo, "add", "mlgate-strict.yaml")
    git(repo, "commit", "-q", "-m", "Stricter gates as a second report")
    head = git(repo, "rev-parse", "HEAD")
    copy_action(work / "action")
    double = Double(work)
    try:
        double.open_pull(PR, base, head, BRANCH)
        event = {"action": "opened", "number": PR, "repository": REPO_PAYLOAD, "pull_request": {
            "number": PR, "title": "Stricter gates",
            "head": {"sha": head, "ref": BRANCH, "repo": REPO_PAYLOAD},
            "base": {"sha": base, "ref": "main", "repo": REPO_PAYLOAD}}}
        run = act(repo, work, double, event_name="pull_request", workflow="mlgate.yml", head=head, tag="matrix",
                  event=event, env={"GITHUB_REPOSITORY": REPOSITORY})
        print(f"act wall time: matrix of two models and the summary {run.seconds} s")
        yield Scenario(head, run)
    finally:
        double.stop()
        shutil.rmtree(work, ignore_errors=True)


def _comments(run: Run, report_id: str) -> list[dict]:
    return [c for c in run.comments(PR) if c["body"].startswith(f"<!-- mlgate:report id={report_id} ")]


def test_each_model_posts_its_own_comment_and_status(scenario: Scenario) -> None:
    run = scenario.run
    assert run.returncode != 0, explain(run)  # the strict model's job fails on its gate
    forest, strict = _comments(run, "forest"), _comments(run, "strict")
    assert len(forest) == 1 and len(strict) == 1, explain(run)
    assert "## ✅ mlgate" in forest[0]["body"] and "## ❌ mlgate" in strict[0]["body"]
    states = {(s["context"], s["state"]) for s in run.statuses(scenario.head)}
    assert states == {("mlgate/forest", "success"), ("mlgate/strict", "failure")}, explain(run)


def test_one_summary_comment_links_each_models_report(scenario: Scenario) -> None:
    run = scenario.run
    [summary] = _comments(run, "summary")
    assert summary["user"]["login"] == "github-actions[bot]"
    body = summary["body"]
    assert "## ❌ mlgate — 1 of 2 models failed a blocking gate" in body, body
    forest, strict = _comments(run, "forest")[0], _comments(run, "strict")[0]
    assert f"| `forest` | ✅ pass | — | [report]({forest['html_url']}) |" in body
    assert f"| `strict` | ❌ fail | `accuracy` | [report]({strict['html_url']}) |" in body


def test_the_summary_step_sets_its_outputs(scenario: Scenario) -> None:
    run = scenario.run
    [summary] = _comments(run, "summary")
    assert run.outputs.get("VERDICT") == "fail", explain(run)
    assert run.outputs.get("FAILED_GATES") == "strict:accuracy", explain(run)
    assert run.outputs.get("COMMENT_URL") == summary["html_url"], explain(run)
    assert "| `strict` | ❌ fail | `accuracy` |" in run.report  # the file report-path names
    assert "1 of 2 models failed" in run.summary  # and the job summary
