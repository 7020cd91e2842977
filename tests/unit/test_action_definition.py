"""Static checks of action.yml and the workflows, the reference in docs/action.md, and the runner scripts.

zizmor and check-jsonschema run offline (``zizmor --offline``; check-jsonschema's ``--builtin-schema``
schemas ship inside the package). The scripts run for real with a stand-in interpreter where mlgate
itself would run, so their flag mapping and exit codes are checked without DVC or GitHub.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
DOCS = ROOT / "docs" / "action.md"
BIN = Path(sys.executable).parent
SHA = re.compile(r"[0-9a-f]{40}")


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of an action (runs.steps) or a workflow (jobs.*.steps)."""
    if "runs" in doc:
        return list(doc["runs"].get("steps", []))
    return [step for job in doc.get("jobs", {}).values() for step in job.get("steps", [])]


def _files() -> list[Path]:
    return [ACTION, *WORKFLOWS]


def test_the_workflows_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "self-test.yml"}


# -- linters -----------------------------------------------------------------------------------------------


def test_zizmor_reports_no_findings() -> None:
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", *map(str, _files())],
                          capture_output=True, text=True, timeout=120)
    findings = json.loads(proc.stdout or "[]")
    assert findings == [], "\n".join(f"{f['ident']}: {f['desc']}" for f in findings)
    assert proc.returncode == 0, proc.stderr


def test_zizmor_offline_does_flag_a_template_injection(tmp_path: Path) -> None:
    """The check above can fail: the same offline run flags an expression inside a run script."""
    workflow = (ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    assert workflow.rstrip().endswith("- run: make lint")  # the last step of the last job
    path = tmp_path / "injected.yml"
    path.write_text(workflow + "      - run: echo ${{ github.event.pull_request.title }}\n", encoding="utf-8")
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", "--format", "json", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert "template-injection" in {f["ident"] for f in json.loads(proc.stdout)}


@pytest.mark.parametrize(("schema", "paths"), [
    ("vendor.github-actions", [ACTION]),
    ("vendor.github-workflows", WORKFLOWS),
])
def test_json_schema_check_passes(schema: str, paths: list[Path]) -> None:
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_json_schema_check_catches_a_broken_action(tmp_path: Path) -> None:
    """The schema check above can fail: an input with an unknown key is rejected."""
    broken = _load(ACTION)
    broken["inputs"]["config"]["type"] = "string"  # composite actions have no typed inputs
    path = tmp_path / "action.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1


# -- rules zizmor does not state this way -----------------------------------------------------------------


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_no_expression_inside_a_run_script(path: Path) -> None:
    scripts = [step["run"] for step in _steps(_load(path)) if "run" in step]
    assert [s for s in scripts if "${{" in s] == []


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_every_remote_action_is_pinned_to_a_commit_sha(path: Path) -> None:
    remote = [step["uses"] for step in _steps(_load(path))
              if "uses" in step and not step["uses"].startswith(("./", "docker://"))]
    unpinned = [uses for uses in remote if not SHA.fullmatch(uses.rpartition("@")[2])]
    assert unpinned == []


def test_action_uses_bash_and_every_input_it_declares() -> None:
    action = _load(ACTION)
    for step in _steps(action):
        if "run" in step:
            assert step["shell"] == "bash"
    used = {m for step in _steps(action) for value in (step.get("env") or {}).values()
            for m in re.findall(r"inputs\.([a-z-]+)", str(value))}
    used |= {m for step in _steps(action) for m in re.findall(r"inputs\.([a-z-]+)", str(step.get("if", "")))}
    used |= {m for step in _steps(action) for value in (step.get("with") or {}).values()
             for m in re.findall(r"inputs\.([a-z-]+)", str(value))}
    assert used == set(action["inputs"]), "every input is used, and only declared inputs are"


def test_scripts_read_only_variables_the_action_sets() -> None:
    action = _load(ACTION)
    env = {name for step in _steps(action) for name in (step.get("env") or {})}
    read = set()
    for script in ("install.sh", "run.sh"):
        text = (ROOT / "scripts" / script).read_text(encoding="utf-8")
        read |= set(re.findall(r"\$\{?((?:INPUT|MLGATE)_[A-Z_]+)", text))
    assert read <= env, f"set these in action.yml's env: {sorted(read - env)}"


# -- the reference in docs/action.md ------------------------------------------------------------------------


def _doc_table(heading: str) -> dict[str, tuple[str, ...]]:
    """Rows of the table under ``## heading``: first cell (a `name`) -> the other cells."""
    text = DOCS.read_text(encoding="utf-8")
    section = re.search(rf"^## {heading}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section, f"{DOCS} has no '## {heading}' section"
    rows = {}
    for line in section.group(1).splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        rows[cells[0].strip("`")] = tuple(c.replace("\\|", "|") for c in cells[1:])
    return rows


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def test_docs_inputs_table_matches_action_yml() -> None:
    inputs = _load(ACTION)["inputs"]
    expected = {name: (f"`{spec['default']}`" if spec.get("default") != "" else "", _one_line(spec["description"]))
                for name, spec in inputs.items()}
    assert _doc_table("Inputs") == expected


def test_docs_outputs_table_matches_action_yml() -> None:
    outputs = _load(ACTION)["outputs"]
    expected = {name: (_one_line(spec["description"]),) for name, spec in outputs.items()}
    assert _doc_table("Outputs") == expected


def test_action_has_the_inputs_and_outputs_issue_3_names() -> None:
    action = _load(ACTION)
    assert set(action["inputs"]) >= {"config", "project-dir", "base", "github-token", "comment", "status",
                                     "report-id", "python-version", "requirements", "publisher", "mode"}
    assert set(action["outputs"]) >= {"verdict", "failed-gates", "report-path", "result-path", "comment-url"}
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"
    assert action["runs"]["using"] == "composite"
    assert {"name", "description", "branding"} <= set(action)


def test_inputs_name_the_choices_mlgate_ci_accepts() -> None:
    """The comment, publisher and mode inputs describe exactly the values `mlgate ci` takes."""
    from mlgate.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    ci = sub.choices["ci"]
    choices = {a.option_strings[0].lstrip("-"): a.choices for a in ci._actions if a.choices and a.option_strings}
    inputs = _load(ACTION)["inputs"]
    for name in ("comment", "publisher", "mode"):
        described = re.findall(r"\b[a-z][a-z-]*\b", inputs[name]["description"])
        assert set(choices[name]) <= set(described), (name, choices[name])
        assert inputs[name]["default"] in choices[name]


# -- the runner scripts, run for real -------------------------------------------------------------------------

_FAKE_PYTHON = """#!/usr/bin/env bash
# Stands in for the venv's interpreter: records `-m mlgate ...` and exits with FAKE_EXIT.
if [ "$1" = "-m" ] && [ "$2" = "mlgate" ]; then
  shift 2
  printf '%s\\n' "$@" > "$FAKE_ARGS"
  printf '%s\\n' "$PATH" > "$FAKE_PATH"
  exit "${FAKE_EXIT:-0}"
fi
exec python3 "$@"
"""


def _run_script(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True, exist_ok=True)
    fake = venv_bin / "python"
    fake.write_text(_FAKE_PYTHON, encoding="utf-8")
    fake.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLGATE_", "RUNNER_"))}
    full = {**base, "MLGATE_PYTHON": str(fake), "GITHUB_OUTPUT": str(tmp_path / "output"),
            "RUNNER_TEMP": str(tmp_path / "runner-temp"), "FAKE_ARGS": str(tmp_path / "args"),
            "FAKE_PATH": str(tmp_path / "path"), **env}
    return subprocess.run(["bash", str(ROOT / "scripts" / "run.sh")], env=full, capture_output=True, text=True,
                          timeout=60)


def _args(tmp_path: Path) -> list[str]:
    return (tmp_path / "args").read_text(encoding="utf-8").splitlines()


def test_run_script_maps_inputs_to_flags(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_CONFIG="gates/mlgate.yaml", INPUT_PROJECT_DIR="models/a b",
                       INPUT_BASE="main", INPUT_REPORT_ID="model-a", INPUT_COMMENT="on-change",
                       INPUT_PUBLISHER="github", INPUT_MODE="full", INPUT_STATUS="false", INPUT_FAIL_ON_GATE="true")
    assert proc.returncode == 0, proc.stderr
    assert _args(tmp_path) == ["ci", "--mode", "full", "--config", "gates/mlgate.yaml", "--project-dir", "models/a b",
                               "--base", "main", "--report-id", "model-a", "--comment", "on-change",
                               "--publisher", "github", "--no-status"]
    assert (tmp_path / "path").read_text().startswith(f"{tmp_path / 'venv' / 'bin'}:")


def test_run_script_maps_the_ledger_inputs(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_MODE="full", INPUT_STATUS="true", INPUT_RECORD="true", INPUT_PULL="false",
                       INPUT_PUSH_CACHE="false", INPUT_TREND="30")
    assert proc.returncode == 0, proc.stderr
    assert _args(tmp_path) == ["ci", "--mode", "full", "--status", "--record", "--no-pull", "--no-push-cache",
                               "--trend", "30"]
    proc = _run_script(tmp_path, INPUT_MODE="full", INPUT_STATUS="true", INPUT_PULL="true")
    assert _args(tmp_path) == ["ci", "--mode", "full", "--status", "--pull"]
    proc = _run_script(tmp_path, INPUT_MODE="full", INPUT_STATUS="true", INPUT_RECORD="auto", INPUT_PULL="auto",
                       INPUT_PUSH_CACHE="auto")
    assert _args(tmp_path) == ["ci", "--mode", "full", "--status"]


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("INPUT_RECORD", "sometimes", "action input record is 'sometimes': set it to auto, true or false"),
    ("INPUT_PULL", "maybe", "action input pull is 'maybe': set it to auto, true or false"),
    ("INPUT_TREND", "ten", "action input trend is 'ten': set it to a whole number (0 for none)"),
])
def test_run_script_refuses_a_bad_ledger_input(tmp_path: Path, name: str, value: str, expected: str) -> None:
    proc = _run_script(tmp_path, INPUT_MODE="full", INPUT_STATUS="true", **{name: value})
    assert proc.returncode == 2
    assert proc.stdout.strip() == f"::error title=mlgate::{expected}"


def test_run_script_maps_the_promote_inputs(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_MODE="full", INPUT_STATUS="true", INPUT_PROMOTE="true",
                       INPUT_PROMOTE_ARTIFACT="churn", INPUT_PROMOTE_STAGE="")
    assert proc.returncode == 0, proc.stderr
    assert _args(tmp_path) == ["ci", "--mode", "full", "--status", "--promote", "--artifact", "churn", "--no-stage"]
    proc = _run_script(tmp_path, INPUT_MODE="full", INPUT_STATUS="true", INPUT_PROMOTE="false")
    assert _args(tmp_path) == ["ci", "--mode", "full", "--status"]


def test_run_script_leaves_empty_inputs_to_mlgate_defaults(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_MODE="full", INPUT_STATUS="true")
    assert proc.returncode == 0, proc.stderr
    assert _args(tmp_path) == ["ci", "--mode", "full", "--status"]


def test_run_script_mode_run_names_the_artifact(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_MODE="run", INPUT_REPORT_ID="model/a")
    assert proc.returncode == 0, proc.stderr
    artifact_dir = str(tmp_path / "runner-temp" / "mlgate-artifact")
    assert _args(tmp_path)[-2:] == ["--artifact-dir", artifact_dir]
    output = (tmp_path / "output").read_text(encoding="utf-8").splitlines()
    assert output == [f"artifact-dir={artifact_dir}", "artifact-name=mlgate-model-a"]


def test_run_script_mode_publish_reads_the_artifact(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_MODE="publish", INPUT_ARTIFACT_DIR="/downloads/mlgate")
    assert proc.returncode == 0, proc.stderr
    assert _args(tmp_path) == ["ci", "--mode", "publish", "--status", "--report", "/downloads/mlgate/mlgate-report.md",
                               "--json", "/downloads/mlgate/mlgate-result.json"]
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize(("mlgate_exit", "fail_on_gate", "expected"), [
    (1, "true", 1), (1, "false", 0), (0, "false", 0), (2, "false", 2), (3, "true", 3), (4, "false", 4),
])
def test_run_script_exit_code(tmp_path: Path, mlgate_exit: int, fail_on_gate: str, expected: int) -> None:
    proc = _run_script(tmp_path, FAKE_EXIT=str(mlgate_exit), INPUT_FAIL_ON_GATE=fail_on_gate)
    assert proc.returncode == expected, proc.stdout + proc.stderr
    assert ("fail-on-gate is false" in proc.stdout) == (mlgate_exit == 1 and fail_on_gate == "false")


def test_run_script_command_monitor_maps_its_inputs(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_COMMAND="monitor", INPUT_SAMPLE="prod/today.parquet", INPUT_CONFIG="m.yaml",
                       INPUT_PROJECT_DIR="model", INPUT_RECORD="false", INPUT_TREND="5", INPUT_MODE="full",
                       INPUT_REPORT_ID="ignored", INPUT_PROMOTE="true")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _args(tmp_path) == ["monitor", "--github", "--config", "m.yaml", "--project-dir", "model",
                               "--sample", "prod/today.parquet", "--no-record", "--trend", "5"]
    proc = _run_script(tmp_path, INPUT_COMMAND="monitor")
    assert _args(tmp_path) == ["monitor", "--github"]  # the sample and the recording from mlgate.yaml's defaults


def test_run_script_command_summarize_maps_its_inputs(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_COMMAND="summarize", INPUT_RESULTS="results dir", INPUT_COMMENT="on-failure")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _args(tmp_path) == ["summarize", "--github", "--comment", "on-failure", "results dir"]


def test_run_script_command_install_puts_the_venv_on_the_jobs_path_and_runs_nothing(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_COMMAND="install", GITHUB_PATH=str(tmp_path / "github-path"))
    assert proc.returncode == 0, proc.stderr
    venv_bin = tmp_path / "venv" / "bin"
    assert (tmp_path / "github-path").read_text(encoding="utf-8").splitlines() == [str(venv_bin)]
    assert (tmp_path / "output").read_text(encoding="utf-8").splitlines() == [f"python={venv_bin / 'python'}"]
    assert not (tmp_path / "args").exists()  # no mlgate command ran
    assert "mlgate, dvc and the requirements' tools are on PATH for the next steps" in proc.stdout


@pytest.mark.parametrize(("env", "expected"), [
    ({"INPUT_COMMAND": "deploy"}, "action input command is 'deploy': set it to ci, monitor, summarize or install"),
    ({"INPUT_COMMAND": "install", "INPUT_MODE": "publish"},
     "action input mode is 'publish' but command install runs in mode full only: remove the input mode"),
    ({"INPUT_COMMAND": "monitor", "INPUT_MODE": "run"},
     "action input mode is 'run' but command monitor runs in mode full only: remove the input mode"),
    ({"INPUT_COMMAND": "summarize"},
     "action input results is empty: set it to the directory the models' result artifacts were downloaded to"),
])
def test_run_script_refuses_a_bad_command_input(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    proc = _run_script(tmp_path, **env)
    assert proc.returncode == 2
    assert proc.stdout.strip() == f"::error title=mlgate::{expected}"
    assert not (tmp_path / "args").exists()


def test_run_script_rejects_a_bad_boolean_in_one_line(tmp_path: Path) -> None:
    proc = _run_script(tmp_path, INPUT_STATUS="yes")
    assert proc.returncode == 2
    assert proc.stdout.strip() == "::error title=mlgate::action input status is 'yes': set it to true or false"
    assert not (tmp_path / "args").exists()


def _install(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLGATE_", "RUNNER_"))}
    full = {**base, "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": str(tmp_path / "output"),
            "RUNNER_TEMP": str(tmp_path / "runner-temp"), **env}
    return subprocess.run(["bash", str(ROOT / "scripts" / "install.sh")], env=full, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)


def test_install_script_skips_pip_when_the_venv_has_this_version(tmp_path: Path) -> None:
    venv = Path(sys.prefix)
    proc = _install(tmp_path, INPUT_VENV=str(venv), INPUT_PYTHON=sys.executable)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is already installed in" in proc.stdout
    assert "::group::" not in proc.stdout  # no pip run
    assert (tmp_path / "output").read_text(encoding="utf-8") == f"python={venv}/bin/python\n"


def test_install_script_names_a_missing_requirements_file(tmp_path: Path) -> None:
    proc = _install(tmp_path, INPUT_VENV=str(Path(sys.prefix)), INPUT_PYTHON=sys.executable,
                    INPUT_REQUIREMENTS="requirements-ml.txt")
    assert proc.returncode == 2
    assert proc.stdout.strip() == (f"::error title=mlgate::requirements file 'requirements-ml.txt' not found"
                                   f" (relative to {tmp_path}): fix the action input requirements")
    assert not (tmp_path / "output").exists()


def test_install_script_rejects_an_old_python(tmp_path: Path) -> None:
    old = tmp_path / "python3.9"
    old.write_text('#!/usr/bin/env bash\nif [ "$1" = "--version" ]; then echo "Python 3.9.18"; exit 0; fi\nexit 1\n',
                   encoding="utf-8")
    old.chmod(0o755)
    proc = _install(tmp_path, INPUT_PYTHON=str(old))
    assert proc.returncode == 2
    assert proc.stdout.strip() == (f"::error title=mlgate::mlgate needs Python 3.11 or newer, {old} is Python 3.9.18:"
                                   " set the action input python-version to \"3.11\" or newer")


def test_install_script_names_an_interpreter_that_is_not_there(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-python"
    proc = _install(tmp_path, INPUT_PYTHON=str(missing))
    assert proc.returncode == 2
    assert proc.stdout.strip() == (f"::error title=mlgate::the Python interpreter {missing} does not exist or cannot"
                                   " run: set the action input python-version, e.g. \"3.11\"")
    assert proc.stderr == ""  # not bash's own "No such file or directory" inside the message


def _plan(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "MLGATE_", "RUNNER_"))}
    full = {**base, "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_OUTPUT": str(tmp_path / "output"),
            "RUNNER_TEMP": str(tmp_path / "runner-temp"), "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
            "ImageOS": "ubuntu24", "INPUT_PYTHON": sys.executable, **env}
    (tmp_path / "output").unlink(missing_ok=True)
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "install.sh"), "plan"], env=full, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    output = (tmp_path / "output").read_text(encoding="utf-8") if (tmp_path / "output").exists() else ""
    return proc, dict(line.split("=", 1) for line in output.splitlines())


def test_install_plan_keys_the_cache_on_runner_python_version_and_requirements(tmp_path: Path) -> None:
    import platform
    import tomllib

    (tmp_path / "requirements.txt").write_text("scikit-learn\n", encoding="utf-8")
    proc, out = _plan(tmp_path, INPUT_REQUIREMENTS="requirements.txt")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out["venv"] == str(tmp_path / "runner-temp" / "mlgate-venv")
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    key = out["cache-key"]
    assert re.match(rf"mlgate-venv-Linux-X64-ubuntu24-CPython{re.escape(platform.python_version())}-linux-"
                    rf"mlgate{re.escape(version)}\+[0-9a-f]{{12}}-uv", key), key
    assert re.search(r"-req[0-9a-f]{16}$", key)

    (tmp_path / "requirements.txt").write_text("scikit-learn\npandas\n", encoding="utf-8")
    assert _plan(tmp_path, INPUT_REQUIREMENTS="requirements.txt")[1]["cache-key"] != key
    assert _plan(tmp_path)[1]["cache-key"].endswith("-reqnone")


@pytest.mark.parametrize("env", [{"INPUT_CACHE": "false"}, {"INPUT_VENV": "/opt/my-venv"}], ids=["off", "own-venv"])
def test_install_plan_does_not_cache_when_off_or_for_a_named_venv(tmp_path: Path, env: dict[str, str]) -> None:
    proc, out = _plan(tmp_path, **env)
    assert proc.returncode == 0, proc.stderr
    assert out["cache-key"] == ""


def test_install_plan_caches_a_named_venv_when_asked(tmp_path: Path) -> None:
    proc, out = _plan(tmp_path, INPUT_VENV="/opt/my-venv", INPUT_CACHE="true")
    assert proc.returncode == 0, proc.stderr
    assert out["venv"] == "/opt/my-venv" and out["cache-key"].startswith("mlgate-venv-Linux-")


def test_install_plan_rejects_a_bad_cache_input(tmp_path: Path) -> None:
    proc, _ = _plan(tmp_path, INPUT_CACHE="maybe")
    assert proc.returncode == 2
    assert proc.stdout.strip() == "::error title=mlgate::action input cache is 'maybe': set it to auto, true or false"


def test_install_after_a_cache_hit_installs_nothing(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("no-such-package-would-install\n", encoding="utf-8")
    proc = _install(tmp_path, INPUT_VENV=str(Path(sys.prefix)), INPUT_PYTHON=sys.executable,
                    INPUT_REQUIREMENTS="requirements.txt", INPUT_CACHE_HIT="true")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "restored from the cache" in proc.stdout and "nothing to install" in proc.stdout
    assert "::group::" not in proc.stdout
    assert (tmp_path / "output").read_text(encoding="utf-8") == f"python={Path(sys.prefix)}/bin/python\n"


def test_install_rejects_a_bad_installer_input(tmp_path: Path) -> None:
    proc = _install(tmp_path, INPUT_VENV=str(tmp_path / "venv"), INPUT_PYTHON=sys.executable, INPUT_INSTALLER="conda")
    assert proc.returncode == 2
    assert proc.stdout.strip() == "::error title=mlgate::action input installer is 'conda': set it to uv or pip"


def test_install_plan_keys_the_cache_on_mlgates_own_dependencies_too(tmp_path: Path) -> None:
    """A branch of the action may change mlgate's dependencies without a new version: a venv cached under the
    old key would lack one, so the key holds a hash of the action's pyproject.toml."""
    action = tmp_path / "action"
    action.mkdir()
    (action / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text(encoding="utf-8"), encoding="utf-8")
    key = _plan(tmp_path, GITHUB_ACTION_PATH=str(action))[1]["cache-key"]
    assert key == _plan(tmp_path)[1]["cache-key"]  # the same file, the same key
    text = (action / "pyproject.toml").read_text(encoding="utf-8")
    (action / "pyproject.toml").write_text(text.replace('"jinja2>=3.1",', '"jinja2>=3.1",\n  "tabulate",'),
                                           encoding="utf-8")
    changed = _plan(tmp_path, GITHUB_ACTION_PATH=str(action))[1]["cache-key"]
    assert changed != key and changed.split("+")[0] == key.split("+")[0]  # same version, other dependencies


def test_a_venv_with_this_version_but_without_a_declared_dependency_is_installed_into(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)[1]
    site = next(venv.glob("lib/python3*/site-packages"))
    (site / f"mlgate-{version}.dist-info").mkdir()
    (site / f"mlgate-{version}.dist-info" / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: mlgate\nVersion: {version}\n", encoding="utf-8")
    proc = _install(tmp_path, INPUT_VENV=str(venv), INPUT_PYTHON=sys.executable, INPUT_CACHE_HIT="true",
                    INPUT_INSTALLER="pip")
    assert "nothing to install" not in proc.stdout and "is already installed" not in proc.stdout
    assert f"::group::Install mlgate {version} into {venv} with pip" in proc.stdout  # (pip is absent: it fails)
