"""Issue 9: hostile text never becomes a command, bad input always exits 2 with one line, nothing hangs.

Each test drives the real `mlgate` process in a real git + DVC project (or the CI entry with a GitHub
event), the way an attacker or a careless user would.
"""

from __future__ import annotations

import json
import pickle
import re
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from tests.support.dvc_repo import Project, git, make_project, mlgate_env, python_cmd
from tests.support.github_double import DEFAULT_REPOSITORY

TOKEN = "ghs_hardeningSECRET0123456789abcdef"
# The workflow commands mlgate itself writes; any other line starting with `::` was injected.
OURS = re.compile(
    r"::(?:group|endgroup)::|::add-mask::" + re.escape(TOKEN) + r"$|::stop-commands::mlgate-[0-9a-f]{32}$"
    r"|::mlgate-[0-9a-f]{32}::$|::(?:error|warning|notice) title=mlgate[^:,]*::"
)


def runner_lines(text: str) -> list[str]:
    """The lines as the Actions runner reads them (it splits on CR and LF, then trims leading blanks)."""
    return [line.lstrip() for line in re.split(r"\r\n|\r|\n", text)]


def injected(proc: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in runner_lines(proc.stdout + "\n" + proc.stderr)
            if line.startswith("::") and not OURS.match(line)]


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = runner_lines(proc.stderr.rstrip("\n"))
    assert len(lines) >= 1 and lines[-1].startswith("mlgate: error: "), proc.stderr
    assert sum(line.startswith("mlgate: error: ") for line in lines) == 1
    return lines[-1]


def metrics_project(root: Path, metrics: dict, config: dict | str) -> Project:
    """A DVC project whose metrics file is committed as is (no stage), on main; branch `feature` copies it."""
    p = make_project(root, stages={}, config=config, repro=False, commit=False)
    p.write("dvc.yaml", "metrics:\n- m.json\n")
    p.write("m.json", json.dumps(metrics))
    p.commit("metrics")
    p.checkout("feature", new=True)
    return p


def ci_env(p: Project, tmp_path: Path, *, extra: dict | None = None) -> dict[str, str]:
    head, base = p.sha("HEAD"), p.sha("main")
    payload = {
        "number": 7,
        "pull_request": {"number": 7, "head": {"sha": head, "ref": "feature", "repo": {"full_name": DEFAULT_REPOSITORY}},
                         "base": {"sha": base, "ref": "main", "repo": {"full_name": DEFAULT_REPOSITORY}}},
        "repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"},
    }
    return event_env(tmp_path, "pull_request", payload, head) | (extra or {})


def event_env(tmp_path: Path, event: str, payload: dict, sha: str) -> dict[str, str]:
    path = tmp_path / f"{event}.json"
    path.write_text(json.dumps(payload))
    for name in ("summary.md", "output.txt"):
        (tmp_path / name).touch()
    return {
        "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": DEFAULT_REPOSITORY, "GITHUB_SHA": sha, "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"), "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "http://127.0.0.1:9",
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("hardening") / "repo")


@pytest.fixture
def project(template: Project, tmp_path: Path) -> Project:
    return template.copy(tmp_path / "repo")


def run(p: Project, tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return p.mlgate("run", "--report", str(tmp_path / "report.md"), "--json", str(tmp_path / "result.json"),
                    *args, env=env, timeout=90)


# -- 3, 4: untrusted text stays one line and never a workflow command --------------------------------------

EVIL_KEYS = ["acc\n::error title=pwn::owned", "f1\r\n::add-mask::x", "loss\u2028::warning::sep", " \r::notice::cr"]


def test_metric_names_never_become_workflow_commands_in_the_ci_log(tmp_path):
    metrics = {key: 0.5 for key in EVIL_KEYS}
    config = {"version": 1, "kpis": {key: {"min": 0.9} for key in EVIL_KEYS}}
    p = metrics_project(tmp_path / "repo", metrics, config)

    proc = p.mlgate("ci", "--no-repro", "--publisher", "none", env=ci_env(p, tmp_path), timeout=90)

    assert proc.returncode == 1, proc.stderr  # four failed gates, a verdict
    assert injected(proc) == []
    table = [line for line in proc.stdout.splitlines() if line.startswith("  FAIL")]
    assert len(table) == 4  # one line per gate: the names' line breaks are shown as escapes
    assert any("acc\\n::error title=pwn::owned" in line for line in table)


def test_an_error_naming_a_key_with_line_breaks_is_one_line(project, tmp_path):
    project.write_config({"version": 1, "kpis": {"recall\n::error title=pwn::x\r\n::add-mask::y": {"min": 0.5}}})
    env = {"GITHUB_ACTIONS": "true"}

    proc = run(project, tmp_path, "--no-repro", env=env)

    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "kpis.recall\\n::error title=pwn::x\\r\\n::add-mask::y: matches no metric" in line
    assert injected(proc) == []
    assert [ln for ln in runner_lines(proc.stdout) if ln.startswith("::error")] == [
        "::error title=mlgate::" + line.removeprefix("mlgate: error: ")]


# -- 5: paths stay in the repository, the token stays out of the pipeline -----------------------------------

def test_a_template_symlinked_out_of_the_repository_is_refused_and_the_token_never_shows(project, tmp_path):
    (project.dir / "templates").mkdir()
    (project.dir / "templates" / "report.md.j2").symlink_to("/proc/self/environ")
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}}, "report": {"template": "templates"}})

    proc = run(project, tmp_path, "--no-repro", env={"GITHUB_TOKEN": TOKEN})

    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "report.template" in line and "outside the repository" in line and "/proc/" in line
    outputs = proc.stdout + proc.stderr + "".join(
        f.read_text(errors="replace") for f in (tmp_path / "report.md", tmp_path / "result.json") if f.exists())
    assert TOKEN not in outputs


def test_a_template_dir_symlinked_out_of_the_repository_is_refused(project, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "report.md.j2").write_text('{% extends "base.md.j2" %}\n')
    (project.dir / "templates").symlink_to(outside)
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}}, "report": {"template": "templates"}})

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2
    assert "outside the repository" in one_error_line(proc)


@pytest.mark.parametrize(("path", "key"), [("../outside.csv", "predictions.path"), ("/etc/passwd", "predictions.path")])
def test_a_predictions_path_outside_the_repository_exits_2(project, tmp_path, path, key):
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}}, "predictions": {"path": path}})

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2
    line = one_error_line(proc)
    assert f"{key}: {path!r} is not a path inside the repository" in line


@pytest.mark.parametrize("opt_in", [False, True])
def test_the_token_reaches_the_pipeline_only_when_the_user_passes_it(tmp_path, opt_in):
    dump = python_cmd("import os, json; names = ('GITHUB_TOKEN', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN');"
                      " json.dump({k: os.environ.get(k) for k in names}, open('seen.json', 'w'));"
                      " json.dump({'x': 1}, open('m.json', 'w'))")
    stage = {"cmd": dump, "outs": [{"seen.json": {"cache": False}}], "metrics": [{"m.json": {"cache": False}}],
             "always_changed": True}
    p = make_project(tmp_path / "repo", stages={"dump": stage}, config={"version": 1}, repro=False)
    env = {"GITHUB_TOKEN": TOKEN, "ACTIONS_RUNTIME_TOKEN": "runtime-secret", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc"}
    if opt_in:
        env["MLGATE_PASS_TOKEN_TO_PIPELINE"] = "true"

    proc = run(p, tmp_path, env=env)

    assert proc.returncode == 0, proc.stderr
    seen = json.loads((p.dir / "seen.json").read_text())
    if opt_in:
        assert seen["GITHUB_TOKEN"] == TOKEN
    else:
        assert seen == {"GITHUB_TOKEN": None, "ACTIONS_RUNTIME_TOKEN": None, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": None}


# -- 7, 12: user templates that raise, loop or flood ---------------------------------------------------------

BAD_TEMPLATES = {
    "division by zero": ("{{ 1/0 }}", "ZeroDivisionError"),
    "a range too large": ("{% for i in range(200000) %}{% endfor %}", "OverflowError"),
    "a filter given the wrong type": ("{{ r.verdict | round }}", "TypeError"),
    "two nested 100,000-step loops": ("{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}"
                                      "{% endfor %}", "more than 4,194,304 characters"),
    "a huge repetition": ("{{ 'x' * 10000000000 }}", "SecurityError"),
}


@pytest.mark.parametrize("case", list(BAD_TEMPLATES))
def test_a_user_template_that_fails_at_render_time_exits_2_naming_it(project, tmp_path, case):
    body, fragment = BAD_TEMPLATES[case]
    project.write("templates/report.md.j2", '{% extends "base.md.j2" %}\n{% block footer %}\n' + body +
                  "{% endblock %}\n")
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}}, "report": {"template": "templates"}})

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2, proc.stderr
    line = one_error_line(proc)
    assert str(project.dir / "templates" / "report.md.j2") in line and fragment in line


def test_a_user_template_that_loops_silently_is_stopped_by_the_clock(project, tmp_path):
    project.write("templates/report.md.j2", '{% extends "base.md.j2" %}\n{% block footer %}'
                  "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}{% endblock %}\n")
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}}, "report": {"template": "templates"}})

    proc = run(project, tmp_path, "--no-repro", env={"MLGATE_TEMPLATE_SECONDS": "1"})

    assert proc.returncode == 2
    assert "report template still rendering after 1 s" in one_error_line(proc)
    assert (tmp_path / "result.json").exists()  # the result is written before the report


def bomb(levels: int = 8) -> str:
    lines = ["a: &a {p: 1, q: 1, r: 1, s: 1, t: 1, u: 1, v: 1, w: 1, z: 1}"]
    for i in range(levels):
        prev, name = chr(97 + i), chr(98 + i)
        lines.append(f"{name}: &{name} {{" + ", ".join(f"{k}: *{prev}" for k in "pqrstuvwz") + "}")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_in_mlgate_yaml_is_refused_quickly(project, tmp_path):
    project.write_config("version: 1\n" + bomb() + "kpis:\n  accuracy: {min: 0.5}\n")

    proc = project.mlgate("check", timeout=60)

    assert proc.returncode == 2
    assert "expands to more than 100,000 YAML nodes through its aliases" in one_error_line(proc)


def test_a_yaml_alias_bomb_in_a_metrics_file_is_refused_quickly(tmp_path):
    p = make_project(tmp_path / "repo", stages={}, config={"version": 1, "kpis": {"accuracy": {"min": 0.5}}},
                     repro=False, commit=False)
    p.write("dvc.yaml", "metrics:\n- m.yaml\n")
    p.write("m.yaml", bomb() + "accuracy: 0.9\n")
    p.commit("bomb")

    proc = run(p, tmp_path, "--no-repro")

    assert proc.returncode == 2
    assert one_error_line(proc).startswith(
        "mlgate: error: m.yaml: cannot be read at the head: expands to more than 100,000 values through YAML aliases")


HUGE_JSON = '{"accuracy": 0.9, "pad": "' + "x" * 20_000_000 + '"}'
HUGE_TOML = "accuracy = 0.9\npad = '" + "x" * 20_000_000 + "'\n"


@pytest.mark.parametrize("name, text, said", [
    ("m.json", HUGE_JSON, f"m.json: cannot be read at the head: {len(HUGE_JSON):,} characters, more than the "
     "20,000,000 mlgate reads in a metrics or params file; write per-example data to a plots or predictions file"),
    ("m.toml", HUGE_TOML, f"m.toml: cannot be read at the head: {len(HUGE_TOML):,} characters, more than the 20,000,000"),
    ("m.json", json.dumps({"accuracy": 0.9, **{f"k{i}": i for i in range(100_000)}}),
     "m.json: cannot be read at the head: 100,001 values, more than the 100,000 mlgate compares in one metrics"),
])
def test_a_metrics_file_too_large_to_be_metrics_is_refused_naming_the_limit(tmp_path, name, text, said):
    p = make_project(tmp_path / "repo", stages={}, config={"version": 1, "kpis": {"accuracy": {"min": 0.5}}},
                     repro=False, commit=False)
    p.write("dvc.yaml", f"metrics:\n- {name}\n")
    p.write(name, text)
    p.commit("huge")

    proc = run(p, tmp_path, "--no-repro")

    assert proc.returncode == 2
    assert one_error_line(proc).startswith(f"mlgate: error: {said}")
    assert (tmp_path / "result.json").exists()  # nothing lost: the run's result says what happened


# -- 8, 9, 11: untrusted artifacts, payloads and destinations in CI -----------------------------------------

def publish_env(tmp_path: Path, run_payload: dict) -> dict[str, str]:
    payload = {"workflow_run": run_payload, "repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"}}
    return event_env(tmp_path, "workflow_run", payload, "a" * 40)


def good_result(template: Project, tmp_path: Path) -> dict:
    proc = run(template, tmp_path, "--no-repro")
    assert proc.returncode == 0, proc.stderr
    return json.loads((tmp_path / "result.json").read_text())


@pytest.mark.parametrize("damage", ["a missing key", "an unexpected key", "gates as text", "a verdict unknown",
                                    "a report id no marker can hold"])
def test_a_malformed_result_artifact_exits_2_naming_the_key(template, tmp_path, damage):
    data = good_result(template, tmp_path)
    expected = {"a missing key": "baseline: required key is missing", "an unexpected key": "head.evil: unexpected key",
                "gates as text": "gates: expected a list, got 'all passed'", "a verdict unknown": "verdict: expected one of",
                "a report id no marker can hold": "report_id: expected letters, digits"}
    if damage == "a missing key":
        del data["baseline"]
    elif damage == "an unexpected key":
        data["head"]["evil"] = 1
    elif damage == "gates as text":
        data["gates"] = "all passed"
    elif damage == "a report id no marker can hold":
        data["report_id"] = "x --> <img src=y>"
    else:
        data["verdict"] = "pwned"
    (tmp_path / "result.json").write_text(json.dumps(data))
    env = publish_env(tmp_path, {"head_sha": "a" * 40, "pull_requests": []})

    proc = template.mlgate("ci", "--mode", "publish", "--report", str(tmp_path / "report.md"),
                           "--json", str(tmp_path / "result.json"), cwd=tmp_path, env=env)

    assert proc.returncode == 2
    line = one_error_line(proc)
    assert line.startswith(f"mlgate: error: {tmp_path / 'result.json'}: not a valid mlgate result: {expected[damage]}")


@pytest.mark.parametrize("prs", [{"number": 1}, 7, "7"])
def test_a_workflow_run_payload_whose_pull_requests_is_not_a_list_exits_2(template, tmp_path, prs):
    env = publish_env(tmp_path, {"head_sha": "a" * 40, "pull_requests": prs})

    proc = template.mlgate("ci", "--mode", "publish", cwd=tmp_path, env=env)

    assert proc.returncode == 2
    assert "`workflow_run.pull_requests` is" in one_error_line(proc) and "expected a list" in one_error_line(proc)


@pytest.mark.parametrize("broken", ["--artifact-dir a file", "GITHUB_STEP_SUMMARY a directory",
                                    "GITHUB_OUTPUT a directory"])
def test_a_destination_of_the_wrong_kind_exits_2_before_any_work(project, tmp_path, broken):
    env = ci_env(project, tmp_path)
    args = ["ci", "--mode", "run", "--no-repro"]
    if broken.startswith("--artifact-dir"):
        (tmp_path / "a-file").write_text("")
        args += ["--artifact-dir", str(tmp_path / "a-file")]
        fragment = "is a file, not a directory"
    else:
        name = broken.split()[0]
        (tmp_path / "a-dir").mkdir()
        env[name] = str(tmp_path / "a-dir")
        fragment = f"{name}={tmp_path / 'a-dir'}: is a directory"

    proc = project.mlgate(*args, env=env)

    assert proc.returncode == 2
    assert fragment in one_error_line(proc)
    assert not (project.dir / "mlgate-result.json").exists()


# -- 10, 13: the ledger ---------------------------------------------------------------------------------------

def add_note(p: Project, sha: str, text: str) -> None:
    git(p.root, "-c", "user.name=x", "-c", "user.email=x@x", "notes", "--ref", "refs/notes/mlgate", "add", "-f",
        "-m", text, sha)


def test_a_foreign_ledger_note_is_skipped_with_a_warning_and_the_good_entry_still_found(project, tmp_path):
    good = {"metrics": {"metrics.json": {"accuracy": 0.97, "f1": 0.93, "loss": 0.2}}, "params": {}, "verdict": "pass"}
    older = project.sha("main")
    add_note(project, older, json.dumps(good))
    project.update_params({"metrics": {"accuracy": 0.95, "f1": 0.93, "loss": 0.2}})
    project.repro()
    newer = project.commit("main moves on")
    add_note(project, newer, json.dumps({"metrics": "not a mapping"}))
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.955, "f1": 0.93, "loss": 0.2}})
    project.repro()
    project.commit("feature")

    proc = run(project, tmp_path, "--base", "main")

    assert proc.returncode == 1, proc.stderr  # 0.955 drops 0.015 from the good entry's 0.97 (main has 0.95)
    result = json.loads((tmp_path / "result.json").read_text())
    assert (result["baseline"]["source"], result["baseline"]["sha"]) == ("ledger", older)
    assert any(f"note on {newer[:7]}" in w and "was skipped" in w for w in result["warnings"])

    add_note(project, project.sha("feature"), "hello, not JSON")
    history = project.mlgate("history", "--ref", "feature", "--no-fetch")
    assert history.returncode == 0, history.stderr
    assert "was skipped: not a JSON object" in history.stderr
    assert older[:7] in history.stdout


def test_history_of_an_unknown_ref_is_bad_usage(template):
    proc = template.mlgate("history", "--ref", "nope", "--no-fetch")
    assert proc.returncode == 2
    assert one_error_line(proc).startswith("mlgate: error: --ref 'nope': no such branch, tag or commit")


# -- 14: advice that fits the mistake ------------------------------------------------------------------------

def test_a_400_digit_threshold_is_too_large_not_quoted(project, tmp_path):
    project.write_config("version: 1\nkpis:\n  accuracy:\n    min: " + "9" * 400 + "\n")

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2
    line = one_error_line(proc)
    assert "kpis.accuracy.min: expected a number, got 999…999 (an integer of 400 digits), which is too large" in line
    assert "quotes" not in line and len(line) < 400


# -- a model file never decides the exit code --------------------------------------------------------------

MODEL = "models/model.pkl"
MODEL_MODULE = '''\
"""Models whose predict misbehaves (tests/integration/test_hardening.py)."""
from pathlib import Path


class Hangs:
    def predict(self, x):
        Path("predict-started").write_text("yes")
        while True:
            pass


class Exits:
    def predict(self, x):
        raise SystemExit(0)
'''


class Runs:
    """Unpickling this runs ``code`` (what a hostile model file can do)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


def model_project(project: Project, model: bytes, *, sample: bool = False) -> Project:
    """The project with `models/model.pkl` committed (and `data/sample.csv` to time predict on)."""
    project.write("bad_models.py", MODEL_MODULE)
    project.path(MODEL).parent.mkdir(parents=True, exist_ok=True)
    project.path(MODEL).write_bytes(model)
    block = {"path": MODEL, "loader": "pickle", "repeats": 5}
    if sample:
        project.write("data/sample.csv", "a,b\n1,2\n3,4\n")
        block["sample"] = "data/sample.csv"
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}}, "model": block})
    project.commit("a model")
    return project


def unpickled_class(name: str) -> bytes:
    """A pickle of an instance of bad_models.<name>, the module the project commits (unpickling imports it)."""
    stand_in = type(name, (), {"__module__": "bad_models", "__qualname__": name})
    module = types.ModuleType("bad_models")
    setattr(module, name, stand_in)
    sys.modules["bad_models"] = module
    try:
        return pickle.dumps(stand_in())
    finally:
        del sys.modules["bad_models"]


@pytest.mark.parametrize(("code", "raised"), [
    ("raise SystemExit(0)", "SystemExit: 0"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
    ("raise GeneratorExit('bye')", "GeneratorExit: bye"),
])
def test_a_model_whose_loading_raises_any_base_exception_is_that_files_error(project, tmp_path, code, raised):
    model_project(project, pickle.dumps(Runs(code)))

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc) == f"mlgate: error: {MODEL}: loading the model raised {raised}; fix the model file"


def test_a_model_that_ends_the_process_while_loading_is_that_files_error(project, tmp_path):
    model_project(project, pickle.dumps(Runs("import os; os._exit(0)")))

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc) == (f"mlgate: error: {MODEL}: the model's code ended mlgate's model process (exit "
                                    "code 0) while loading the model; model files must load and predict without "
                                    "ending the process")


def test_a_predict_that_raises_system_exit_is_that_files_error(project, tmp_path):
    model_project(project, unpickled_class("Exits"), sample=True)

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc) == (f"mlgate: error: {MODEL}: predict() failed on model.sample: SystemExit: 0; fix "
                                    "the model, or point model.sample at rows it accepts")


def test_a_predict_that_never_returns_is_stopped_at_the_limit(project, tmp_path):
    model_project(project, unpickled_class("Hangs"), sample=True)

    started = time.monotonic()
    proc = run(project, tmp_path, "--no-repro", env={"MLGATE_MODEL_SECONDS": "3"})

    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc) == (
        f"mlgate: error: {MODEL}: reading the model's interface (predict() on 5 sample rows) did not finish within "
        "3 s (MLGATE_MODEL_SECONDS); fix the model or give it more time, e.g. MLGATE_MODEL_SECONDS=300")
    assert time.monotonic() - started < 60


def test_a_bad_model_time_limit_is_bad_usage(project, tmp_path):
    model_project(project, unpickled_class("Exits"), sample=True)

    proc = run(project, tmp_path, "--no-repro", env={"MLGATE_MODEL_SECONDS": "forever"})

    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc) == ("mlgate: error: MLGATE_MODEL_SECONDS='forever': expected seconds above 0 and at "
                                    "most 86400, e.g. MLGATE_MODEL_SECONDS=120")


def test_a_real_ctrl_c_while_the_model_runs_is_still_an_interrupt(project, tmp_path):
    model_project(project, unpickled_class("Hangs"), sample=True)
    proc = subprocess.Popen([sys.executable, "-m", "mlgate", "run", "--no-repro", "--quiet"], cwd=project.dir,
                            env=mlgate_env({"MLGATE_MODEL_SECONDS": "120"}), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not project.path("predict-started").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert project.path("predict-started").exists(), "the model's predict never started"
        proc.send_signal(signal.SIGINT)  # the user's own Ctrl-C reaches mlgate, not the model
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert err.strip().splitlines()[-1] == "mlgate: error: interrupted"


def test_a_model_path_through_a_symlink_out_of_the_repository_says_so(project, tmp_path):
    outside = tmp_path / "elsewhere" / "model.pkl"
    outside.parent.mkdir()
    outside.write_bytes(unpickled_class("Exits"))
    model_project(project, b"placeholder")
    project.path(MODEL).unlink()
    project.path(MODEL).symlink_to(outside)

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2, proc.stderr
    line = one_error_line(proc)
    assert line.startswith(f"mlgate: error: {MODEL}: ") and "outside the repository" in line
    assert "no such file" not in line


def test_a_predictions_file_symlinked_out_of_the_repository_says_so(project, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("id,label,pred\na,1,1\n")
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}}, "predictions": {"path": "eval/p.csv"}})
    project.path("eval").mkdir(exist_ok=True)
    project.path("eval/p.csv").symlink_to(outside)

    proc = run(project, tmp_path, "--no-repro")

    assert proc.returncode == 2, proc.stderr
    line = one_error_line(proc)
    assert line == (f"mlgate: error: eval/p.csv: {project.dir / 'eval/p.csv'} resolves to {outside}, outside the "
                    f"repository {project.dir}; mlgate reads only files inside it: replace the symlink with a file")


def test_the_models_code_never_sees_the_token(project, tmp_path):
    seen = tmp_path / "seen.txt"
    model_project(project, pickle.dumps(Runs(f"import os; open({str(seen)!r}, 'w').write(repr(os.environ.get("
                                             "'GITHUB_TOKEN'))); raise SystemExit(0)")))

    proc = run(project, tmp_path, "--no-repro", env={"GITHUB_TOKEN": TOKEN})

    assert proc.returncode == 2, proc.stderr
    assert seen.read_text() == "None"
