"""The workflow templates a user copies (templates/workflows/): linted like our own workflows, and the retrain
workflow's pull-request step (``mlgate propose``) run for real against a git repository with a bare origin and
the GitHub double.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlgate.config.schema import MonitorConfig
from tests.support.github_double import start_double

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
RETRAIN = ROOT / "templates" / "workflows" / "mlgate-retrain.yml"
MONITOR = ROOT / "templates" / "workflows" / "mlgate-monitor.yml"


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job["steps"]]


def test_the_templates_exist() -> None:
    assert {p.name for p in TEMPLATES} == {"mlgate-monitor.yml", "mlgate-retrain.yml"}


def test_zizmor_and_the_workflow_schema_pass() -> None:
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", *map(str, TEMPLATES)],
                          capture_output=True, text=True, timeout=120)
    assert json.loads(proc.stdout or "[]") == [] and proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                           *map(str, TEMPLATES)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_expression_in_a_script_and_actions_pinned(path: Path) -> None:
    steps = _steps(_load(path))
    assert [s["run"] for s in steps if "run" in s and "${{" in s["run"]] == []
    uses = [s["uses"] for s in steps if "uses" in s]
    assert uses and all(len(u.rpartition("@")[2]) == 40 for u in uses)


def test_retrain_runs_on_schedule_by_hand_and_on_the_drift_dispatch_monitor_sends() -> None:
    triggers = _load(RETRAIN)[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch", "repository_dispatch"}
    assert triggers["repository_dispatch"]["types"] == [MonitorConfig().dispatch]
    monitor = _load(MONITOR)
    assert set(monitor[True]) == {"schedule", "workflow_dispatch"}
    assert monitor["jobs"]["monitor"]["permissions"] == {"contents": "write", "issues": "write"}
    action = _steps(monitor)[-1]  # through the action: its cached install, then `mlgate monitor`
    assert action["uses"].startswith("OWNER/mlgate@") and action["with"]["command"] == "monitor"
    assert set(action["with"]) <= set(yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))["inputs"])


# -- the pull-request step, for real ---------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def world(tmp_path: Path):
    origin, work, temp = tmp_path / "origin.git", tmp_path / "work", tmp_path / "runner-temp"
    _git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    _git(tmp_path, "init", "--quiet", "--initial-branch=main", str(work))
    for key, value in (("user.name", "t"), ("user.email", "t@example.invalid"), ("commit.gpgsign", "false")):
        _git(work, "config", key, value)
    (work / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    _git(work, "add", "-A")
    _git(work, "commit", "--quiet", "-m", "main")
    _git(work, "remote", "add", "origin", str(origin))
    _git(work, "push", "--quiet", "origin", "main")
    temp.mkdir()
    (temp / "mlgate-report.md").write_text("## ✅ mlgate — all 3 KPI gates passed\n")
    with start_double() as gh:
        yield {"origin": origin, "work": work, "temp": temp, "gh": gh}


def _pr_step(world) -> subprocess.CompletedProcess[str]:
    """The template's step as the runner runs it: bash -e, its env (the expressions filled in), mlgate on PATH."""
    step = next(s for s in _steps(_load(RETRAIN)) if s.get("name") == "Open or update the pull request")
    filled = {"GITHUB_TOKEN": "t", "REASON": "repository_dispatch", "DRIFT_VERDICT": "drift"}
    assert set(step["env"]) == set(filled)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "MLGATE_"))}, **filled,
           "PATH": f"{BIN}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT / "src"), "RUNNER_TEMP": str(world["temp"]),
           "GITHUB_REPOSITORY": world["gh"].repository, "GITHUB_API_URL": world["gh"].url,
           "MLGATE_GITHUB_SECONDS": "20"}
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=world["work"], env=env, capture_output=True,
                          text=True, timeout=120)


def test_unchanged_outputs_propose_nothing(world) -> None:
    proc = _pr_step(world)
    assert proc.returncode == 0, proc.stderr
    assert "nothing to propose" in proc.stdout
    assert world["gh"].pulls() == []
    assert "mlgate/retrain" not in _git(world["origin"], "branch", "--list")


def test_a_changed_lock_file_is_pushed_and_opens_then_updates_one_pull_request(world) -> None:
    (world["work"] / "dvc.lock").write_text("schema: '2.0'\nstages: {prepare: {}}\n")
    proc = _pr_step(world)
    assert proc.returncode == 0, proc.stderr
    pushed = _git(world["origin"], "log", "-1", "--format=%s", "mlgate/retrain")
    assert pushed == "Retrain on refreshed data (repository_dispatch: drift)"
    files = _git(world["origin"], "show", "--name-only", "--format=", "mlgate/retrain")
    assert files == "dvc.lock"  # the report is the body, never committed
    [pull] = world["gh"].pulls()
    assert pull["title"] == "Retrain on refreshed data" and pull["head"]["ref"] == "mlgate/retrain"
    assert pull["body"] == "## ✅ mlgate — all 3 KPI gates passed\n"

    (world["work"] / "dvc.lock").write_text("schema: '2.0'\nstages: {prepare: {}, train: {}}\n")
    (world["temp"] / "mlgate-report.md").write_text("## ❌ mlgate — 1 of 3 KPI gates failed\n")
    proc = _pr_step(world)
    assert proc.returncode == 0, proc.stderr
    [pull] = world["gh"].pulls()
    assert pull["body"] == "## ❌ mlgate — 1 of 3 KPI gates failed\n"
    assert "train" in _git(world["origin"], "show", "mlgate/retrain:dvc.lock")
