"""No mlgate.yaml at all: `mlgate run` compares every metric and param with the base, gates nothing, exits 0
and says in one line how to add gates; `mlgate check` lists the metrics it can see, with their values.

Real git + DVC projects (tests/support/dvc_repo.py); `run` in-process, `check` as a real subprocess.
"""

from __future__ import annotations

from pathlib import Path

import dvc.repo  # noqa: F401 - bind DVC's log handlers under the session's capture (see test_run_projects)
import pytest

from tests.support.dvc_repo import make_project
from tests.support.inprocess import runner

INIT_HINT = "`mlgate init`"


@pytest.fixture
def mlgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    return runner(tmp_path, monkeypatch, capsys)


def test_run_without_a_config_compares_everything_and_passes(tmp_path: Path, mlgate) -> None:
    project = make_project(tmp_path / "repo", config=None,
                           params={"metrics": {"accuracy": 0.95, "loss": 0.2}, "train": {"lr": 0.1}})
    project.checkout("worse", new=True)
    project.update_params({"metrics": {"accuracy": 0.5, "loss": 0.9}})  # far worse: nothing gates it
    project.commit("worse")

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err
    assert run.result is not None and run.result["verdict"] == "pass"
    assert run.result["gates"] == []
    assert run.report is not None
    hint = [line for line in run.report.splitlines() if INIT_HINT in line]
    assert len(hint) == 1, run.report
    assert "accuracy" in run.report and "0.5" in run.report  # the metric is still compared and shown
    assert INIT_HINT in run.out  # the terminal says it too


def test_without_a_config_the_heading_counts_better_and_worse_and_claims_no_pass(tmp_path: Path, mlgate) -> None:
    """The heading of a run with nothing gated is a comparison: no ✅, the metrics that got better and worse by
    their names' direction counted, and the table of changed metrics open, first; the terminal says the same."""
    project = make_project(tmp_path / "repo", config=None, params={
        "metrics": {"accuracy": 0.90, "loss": 0.20, "recall": 0.80, "n_rows": 100, "f1": 0.85}})
    project.checkout("change", new=True)
    project.update_params({"metrics": {"accuracy": 0.92, "loss": 0.30, "recall": 0.70, "n_rows": 120, "f1": 0.85}})
    project.commit("change")

    run = mlgate(project.dir, "--base", "main")

    assert run.code == 0, run.err
    assert run.report is not None
    report = run.report.replace("\u00a0", " ")  # the Δ cells' no-break spaces
    heading = "no mlgate.yaml: 1 metric better and 2 worse by their names' direction, 1 more changed"
    assert report.splitlines()[1] == f"## 📊 mlgate — {heading}"
    assert "✅" not in report
    table = report.index("| metric | main | change | Δ |")
    assert "<details><summary>All metrics" not in report  # open, not folded
    assert table < report.index("**What changed:**")  # first, before the cause and the details
    assert "| `accuracy` | 0.9000 | 0.9200 | +0.0200 better |" in report
    assert "| `loss` | 0.2000 | 0.3000 | +0.1000 worse |" in report
    assert "<details><summary>1 unchanged</summary>" in report  # f1, folded after the ones that moved
    assert run.out.splitlines()[0] == f"mlgate: {heading}"
    assert "PASS" not in run.out.splitlines()[0]


def test_an_explicit_config_that_is_missing_is_still_an_error(tmp_path: Path, mlgate) -> None:
    project = make_project(tmp_path / "repo", config=None)
    run = mlgate(project.dir, "--config", "gates.yaml")
    assert run.code == 2
    assert "gates.yaml: no such file" in run.err


def test_check_without_a_config_lists_the_metrics_with_values(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config=None, params={"metrics": {"accuracy": 0.95, "loss": 0.2}})

    proc = project.mlgate("check")

    assert proc.returncode == 0, proc.stderr
    assert INIT_HINT in proc.stdout
    assert "metrics.json:accuracy = 0.95" in proc.stdout and "metrics.json:loss = 0.2" in proc.stdout


def test_check_with_no_gates_lists_the_metrics_too(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", config="version: 1\n", params={"metrics": {"accuracy": 0.95}})

    proc = project.mlgate("check")

    assert proc.returncode == 0, proc.stderr
    assert "is valid: 0 KPIs" in proc.stdout
    assert "metrics.json:accuracy = 0.95" in proc.stdout
