"""The `mlgate` command as a user meets it: a real subprocess in a real git + DVC project.

Every exit code (0 pass, 1 blocking failure, 2 bad config/input/usage, 3 pipeline failure), and for every
bad input one `mlgate: error: ...` line on stderr that names the file and key, and never a traceback.
One project is built per module; tests that change it work on a copy.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from subprocess import CompletedProcess

import pytest
import yaml

from mlgate import __version__
from tests.support.dvc_repo import Project, make_project, python_cmd

CONFIG = {
    "version": 1,
    "kpis": {"accuracy": {"min": 0.9, "max_drop": 0.01}, "loss": {"max_increase_pct": 10}},
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """main: params → metrics.json (accuracy 0.95, f1 0.93, loss 0.2), reproduced and committed."""
    return make_project(tmp_path_factory.mktemp("cli") / "repo", config=CONFIG)


@pytest.fixture
def project(template: Project, tmp_path: Path) -> Project:
    return template.copy(tmp_path / "repo")


def run(project: Project, tmp_path: Path, *args: str, command: str = "run") -> CompletedProcess[str]:
    """`mlgate COMMAND ARGS` with the report and result written under tmp_path (not into the project)."""
    extra = ["--report", str(tmp_path / "report.md"), "--json", str(tmp_path / "result.json")] if command == "run" else []
    return project.mlgate(command, *extra, *args)


def error_line(proc: CompletedProcess[str]) -> str:
    """The one `mlgate: error:` line; nothing on either stream looks like a traceback."""
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("mlgate: error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0]


def branch(project: Project, name: str, metrics: dict) -> None:
    project.checkout(name, new=True)
    project.update_params({"metrics": metrics})
    project.commit(name)


# -- 0 and 1 ----------------------------------------------------------------------------------------------

def test_a_better_change_passes_with_exit_0(project, tmp_path):
    branch(project, "better", {"accuracy": 0.96, "loss": 0.19})
    proc = run(project, tmp_path, "--base", "main")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["verdict"] == "pass"
    assert {g["kpi"]: g["status"] for g in result["gates"]} == {"accuracy": "pass", "loss": "pass"}
    assert result["baseline"]["source"] == "git"
    assert (tmp_path / "report.md").read_text().splitlines()[1] == "## ✅ mlgate — all 2 KPI gates passed"
    assert "mlgate: PASS — all 2 KPI gates passed" in proc.stdout
    assert "train: ran" in proc.stderr  # the head was reproduced, stage by stage


def test_a_worse_change_fails_with_exit_1(project, tmp_path):
    branch(project, "worse", {"accuracy": 0.93})
    proc = run(project, tmp_path, "--base", "main")
    assert proc.returncode == 1, proc.stderr
    assert "mlgate: error" not in proc.stderr  # a failed gate is a verdict, not an error
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["verdict"] == "fail"
    accuracy = next(g for g in result["gates"] if g["kpi"] == "accuracy")
    assert (accuracy["status"], accuracy["message"]) == ("fail", "fell by 0.0200, more than the 0.01 allowed")
    assert "mlgate: FAIL — 1 of 2 KPI gates failed" in proc.stdout
    report = (tmp_path / "report.md").read_text().replace("\u00a0", " ")
    assert "| ❌ | `accuracy` | 0.9500 | 0.9300 | −0.0200 worse | ≥ 0.9 · drop ≤ 0.01 |" in report


def test_a_warn_only_failure_does_not_block(project, tmp_path):
    project.write_config({"version": 1, "kpis": {"accuracy": {"max_drop": 0.01, "severity": "warn"}}})
    branch(project, "warned", {"accuracy": 0.5})
    proc = run(project, tmp_path, "--base", "main")
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "result.json").read_text())["gates"][0]["status"] == "warn"


def test_nan_text_and_huge_values_at_the_head_fail_their_gates_clearly(project, tmp_path):
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.9}, "f1": {"min": 0.9}, "loss": {"max": 1}}})
    branch(project, "odd-values", {"accuracy": float("nan"), "f1": "high", "loss": 10**400})
    proc = run(project, tmp_path, "--base", "main")
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    messages = {g["kpi"]: (g["status"], g["message"]) for g in result["gates"]}
    assert messages["accuracy"] == ("fail", "NaN at the head")
    assert messages["f1"] == ("fail", "value 'high' is not a number")
    assert messages["loss"][0] == "fail" and messages["loss"][1].endswith("is not a number")
    assert next(g for g in result["gates"] if g["kpi"] == "accuracy")["new"] == "NaN"


# -- 2: usage --------------------------------------------------------------------------------------------

def test_help_and_version_exit_0(template):
    helped = template.mlgate("--help")
    assert helped.returncode == 0 and "exit codes:" in helped.stdout and helped.stderr == ""
    assert template.mlgate("run", "--help").returncode == 0
    version = template.mlgate("--version")
    assert (version.returncode, version.stdout.strip()) == (0, f"mlgate {__version__}")


def test_no_command_prints_help_and_exits_2(template):
    proc = template.mlgate()
    assert proc.returncode == 2
    assert "usage: mlgate" in proc.stdout


@pytest.mark.parametrize("args", [["run", "--frobnicate"], ["frobnicate"], ["run", "--base"]])
def test_bad_usage_exits_2_with_one_line(template, args):
    proc = template.mlgate(*args)
    assert proc.returncode == 2
    line = error_line(proc)
    assert "--help" in line
    assert proc.stderr.count("\n") == 1


def test_unknown_base_ref_exits_2(template, tmp_path):
    proc = run(template, tmp_path, "--base", "no-such-branch", "--no-repro")
    assert proc.returncode == 2
    assert error_line(proc) == (
        f"mlgate: error: --base 'no-such-branch': no such branch, tag or commit in {template.root}; "
        "fix the name or fetch it"
    )


def test_not_a_dvc_project_exits_2(tmp_path):
    plain = Project(tmp_path / "plain", tmp_path / "plain")
    plain.dir.mkdir()
    plain.git("init", "--quiet")
    plain.write_config(CONFIG)
    proc = plain.mlgate("run", "--no-repro")
    assert proc.returncode == 2
    line = error_line(proc)
    assert line.startswith(f"mlgate: error: {plain.dir}: not a DVC project")
    assert "dvc init" in line


def test_not_a_git_repository_exits_2(tmp_path):
    bare = tmp_path / "nogit"
    bare.mkdir()
    proc = Project(bare, bare).mlgate("run")
    assert proc.returncode == 2
    assert "not inside a git repository" in error_line(proc)


def test_missing_project_dir_exits_2(template, tmp_path):
    proc = run(template, tmp_path, "--project-dir", str(tmp_path / "nope"))
    assert proc.returncode == 2
    assert error_line(proc) == f"mlgate: error: {tmp_path / 'nope'}: no such directory; pass an existing --project-dir"


@pytest.mark.parametrize("command", ["run", "check"])
def test_missing_config_exits_2_naming_the_file(template, tmp_path, command):
    missing = tmp_path / "absent.yaml"
    proc = run(template, tmp_path, "--config", str(missing), command=command)
    assert proc.returncode == 2
    assert error_line(proc) == (
        f"mlgate: error: {missing}: no such file; create it (see the README's mlgate.yaml reference) or pass --config"
    )


def test_without_the_default_config_the_run_gates_nothing(project, tmp_path):
    """No mlgate.yaml in the project dir is not an error (issue 14): every metric is compared, nothing gated."""
    (project.dir / "mlgate.yaml").unlink()
    proc = run(project, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "no mlgate.yaml, so nothing is gated: `mlgate init` writes one" in proc.stdout


# -- 2: bad config through the CLI -------------------------------------------------------------------------

# (YAML, line or None, key or None, a fragment of the explanation)
BAD_CONFIGS = {
    "unknown key": ("version: 1\nkpis:\n  accuracy:\n    min: 0.9\n    max_dorp: 0.01\n",
                    5, "kpis.accuracy.max_dorp", "unknown key; did you mean 'max_drop'?"),
    "unknown top-level key": ("version: 1\nkpi:\n  accuracy: {min: 0.9}\n", 2, "kpi", "did you mean 'kpis'?"),
    "quoted number": ("version: 1\nkpis:\n  accuracy:\n    min: '0.9'\n",
                      4, "kpis.accuracy.min", "expected a number, got '0.9'; write it without quotes"),
    "bool as number": ("version: 1\nkpis:\n  accuracy:\n    max_drop: yes\n",
                       4, "kpis.accuracy.max_drop", "expected a number, got True (a boolean)"),
    "min above max": ("version: 1\nkpis:\n  accuracy:\n    min: 0.9\n    max: 0.5\n",
                      3, "kpis.accuracy", "min (0.9) is above max (0.5); no value can pass, swap them"),
    "negative margin": ("version: 1\nkpis:\n  loss:\n    max_increase_pct: -10\n",
                        4, "kpis.loss.max_increase_pct", "must be at least 0"),
    "drop and increase": ("version: 1\nkpis:\n  accuracy:\n    max_drop: 0.01\n    max_increase: 0.01\n",
                          3, "kpis.accuracy", "contradict; keep one kind"),
    "empty rule set": ("version: 1\nkpis:\n  accuracy:\n    optional: true\n",
                       3, "kpis.accuracy", "no rule given; add at least one of min, max"),
    "version missing": ("kpis:\n  accuracy: {min: 0.9}\n", None, None, "missing 'version'; add 'version: 1' at the top"),
    "version wrong": ("version: 2\nkpis:\n  accuracy: {min: 0.9}\n", 1, "version", "expected 1, got 2"),
    "version as a bool": ("version: true\n", 1, "version", "expected 1, got True (a boolean)"),
    "duplicate key": ("version: 1\nkpis:\n  accuracy: {min: 0.9}\n  accuracy: {min: 0.8}\n",
                      4, "kpis.accuracy", "key given twice; keep one of them"),
    "invalid YAML": ("version: 1\nkpis:\n  accuracy: [min: 0.9\n", 4, None, "not valid YAML"),
    "not a mapping": ("- version: 1\n", None, None, "expected a mapping with 'version: 1' and 'kpis:', got a list"),
    "bad severity": ("version: 1\nkpis:\n  accuracy:\n    min: 0.9\n    severity: block\n",
                     5, "kpis.accuracy.severity", "expected 'fail' or 'warn', got 'block'"),
    "bad reproduce mode": ("version: 1\nbaseline:\n  reproduce: maybe\n",
                           3, "baseline.reproduce", "expected 'auto', 'always' or 'never'"),
    "kpis as a list": ("version: 1\nkpis:\n  - accuracy\n", 2, "kpis", "expected a mapping of keys"),
    "number as a selector": ("version: 1\nkpis:\n  0.5:\n    min: 1\n", 3, "kpis.0.5", "a key must be text"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIGS))
def test_bad_config_exits_2_with_one_line_naming_file_line_and_key(template, tmp_path, case):
    text, line, key, fragment = BAD_CONFIGS[case]
    config = tmp_path / "conf" / "mlgate.yaml"
    config.parent.mkdir()
    config.write_text(text)
    proc = run(template, tmp_path, "--config", str(config), "--no-repro")
    assert proc.returncode == 2
    where = f"{config}:{line}" if line else str(config)
    prefix = f"mlgate: error: {where}: " + (f"{key}: " if key else "")
    assert proc.stderr.splitlines() == [error_line(proc)]  # nothing else: it failed before any work
    assert error_line(proc).startswith(prefix), error_line(proc)
    assert fragment in error_line(proc)
    assert not (tmp_path / "result.json").exists()


def test_bad_config_in_the_project_dir_is_named_by_its_path(project, tmp_path):
    project.write_config("version: 1\nkpis:\n  accuracy:\n    mni: 0.9\n")
    for command in ("run", "check"):
        proc = run(project, tmp_path, command=command)
        assert proc.returncode == 2
        assert error_line(proc).startswith(
            f"mlgate: error: {project.dir / 'mlgate.yaml'}:4: kpis.accuracy.mni: unknown key; did you mean 'min'?"
        )


def test_a_broken_report_template_exits_2_naming_it(project, tmp_path):
    project.write("templates/report.md.j2", '{% extends "base.md.j2" %}\n{% block footer %}\n{{ r.nope.nope }}{% endblock %}\n')
    project.write_config({**CONFIG, "report": {"template": "templates"}})
    proc = run(project, tmp_path, "--base", "main", "--no-repro")
    assert proc.returncode == 2
    line = error_line(proc)
    assert line.startswith(f"mlgate: error: {project.dir / 'templates' / 'report.md.j2'}:3: report template failed: UndefinedError: ")
    assert line.endswith("; fix the template or remove report.template")


def test_there_are_at_least_fifteen_bad_config_cases():
    assert len(BAD_CONFIGS) >= 15


def test_selector_matching_nothing_exits_2_naming_it(project, tmp_path):
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}, "recal": {"min": 0.5}}})
    proc = run(project, tmp_path, "--base", "main", "--no-repro")
    assert proc.returncode == 2
    assert error_line(proc) == (
        "mlgate: error: mlgate.yaml: kpis.recal: matches no metric (known: accuracy, f1, loss); "
        "fix the name, qualify it as 'file:key', or add 'optional: true'"
    )


def test_check_reports_what_each_selector_matches(project, tmp_path):
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}, "slices.*.recall": {"min": 0.5, "optional": True}}})
    proc = run(project, tmp_path, command="check")
    assert proc.returncode == 0, proc.stderr
    assert "  accuracy = 0.95  [min 0.5]  in metrics.json\n" in proc.stdout
    assert "slices.*.recall: optional, skipped" in proc.stdout


def test_check_shows_a_gate_s_confidence(project, tmp_path):
    project.write_config({"version": 1, "kpis": {"accuracy": {"max_drop": 0.01, "max_drop_from_best": 0.02,
                                                              "confidence": 0.95}}})
    proc = run(project, tmp_path, command="check")
    assert proc.returncode == 0, proc.stderr
    assert "  accuracy = 0.95  [max_drop 0.01, max_drop_from_best 0.02, confidence 0.95]  in metrics.json\n" in proc.stdout


def test_check_and_run_count_kpi_gates_the_same_way(project, tmp_path):
    # 2 selectors; `*` matches accuracy, f1 and loss, so 'mlgate run' judges 4 gates
    project.write_config({"version": 1, "kpis": {"accuracy": {"min": 0.5}, "*": {"max": 10}}})
    check = run(project, tmp_path, command="check")
    assert check.returncode == 0, check.stderr
    assert "is valid: 2 KPIs → 4 KPI gates, one per metric they match in the workspace" in check.stdout
    assert "  *  [max 10]\n    accuracy = 0.95  in metrics.json\n    f1 = 0.93  in metrics.json\n" in check.stdout
    ran = run(project, tmp_path, "--no-repro", "--base", "main")
    assert ran.returncode == 0, ran.stderr
    assert "## ✅ mlgate — all 4 KPI gates passed" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_check_with_a_selector_matching_nothing_exits_2(project, tmp_path):
    project.write_config({"version": 1, "kpis": {"recal": {"min": 0.5}}})
    proc = run(project, tmp_path, command="check")
    assert proc.returncode == 2
    assert "kpis.recal: matches no metric in the workspace" in error_line(proc)
    assert "MATCHES NOTHING" in proc.stdout


# -- 2: unreadable metrics at the head -------------------------------------------------------------------

def test_corrupt_head_metrics_exit_2_but_report_and_result_are_written(project, tmp_path):
    branch(project, "corrupt", {})
    project.update_params({"metrics": '{"accuracy": 0.95,'})  # the stage writes this text verbatim
    project.commit("corrupt metrics")
    proc = run(project, tmp_path, "--base", "main")
    assert proc.returncode == 2
    line = error_line(proc)
    assert line.startswith("mlgate: error: metrics.json: cannot be read at the head: ")
    assert line.endswith("; fix the file the pipeline writes")
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["verdict"] == "error"
    assert "metrics.json" in result["errors"]["head"]
    accuracy = next(g for g in result["gates"] if g["kpi"] == "accuracy")
    assert accuracy["status"] == "fail" and accuracy["message"].startswith("metrics.json failed to load: ")
    report = (tmp_path / "report.md").read_text()
    assert report.splitlines()[1].startswith("## ⛔ mlgate — the run could not be completed")  # its own heading
    assert "| | KPI |" not in report  # no table of judged gates beneath "could not be judged"
    assert "> **The head could not be judged:** metrics.json: cannot be read at the head" in report
    assert "mlgate: ERROR — the run could not be completed" in proc.stdout


@pytest.mark.parametrize("cwd", [".", "src/deep"])
def test_unreadable_metrics_are_named_as_the_user_wrote_them(tmp_path, cwd):
    """DVC names an unreadable file by its place in DVC's own file system relative to the working directory
    ('../../../eval/metrics.json'); mlgate names it as dvc.yaml does, in the error line, the result and
    the report, wherever mlgate is started inside the project."""
    project = make_project(tmp_path / "repo", subdir="models/churn", metrics={"eval/metrics.json": "metrics"},
                           config=CONFIG)
    project.checkout("corrupt", new=True)
    project.update_params({"metrics": '{"accuracy": 0.95,'})
    project.repro()
    project.commit("corrupt metrics")
    (project.dir / cwd).mkdir(parents=True, exist_ok=True)

    proc = project.mlgate("run", "--base", "main", "--report", str(tmp_path / "report.md"),
                          "--json", str(tmp_path / "result.json"), cwd=project.dir / cwd)

    assert proc.returncode == 2, proc.stderr
    assert error_line(proc) == (
        "mlgate: error: eval/metrics.json: cannot be read at the head: unable to read: 'eval/metrics.json', "
        "JSON file structure is corrupted: Expecting property name enclosed in double quotes: line 1 column 19 "
        "(char 18); fix the file the pipeline writes")
    result = (tmp_path / "result.json").read_text()
    report = (tmp_path / "report.md").read_text()
    assert "'eval/metrics.json'" in json.loads(result)["errors"]["head"]["eval/metrics.json"]
    for text in (proc.stderr, proc.stdout, result, report):
        assert "../" not in text


# -- 2: a DVC remote whose plugin is not installed ---------------------------------------------------------
# dvc-s3 is installed in the dev environment; these schemes' plugins are not (checked below).
PLUGINS = [("gdrive://0AIac4JZqHhKmUk9PDA/store", "gdrive", "dvc-gdrive"),
           ("azure://models/store", "azure", "dvc-azure"), ("oss://models/store", "oss", "dvc-oss")]


def _with_remote(project: Project, url: str) -> None:
    """``url`` as the project's default DVC remote, committed; its scheme's plugin must not be installed."""
    scheme = url.split("://")[0]
    assert importlib.util.find_spec(f"dvc_{scheme}") is None, f"dvc-{scheme} is installed: pick another scheme"
    subprocess.run([sys.executable, "-m", "dvc", "remote", "add", "-d", "store", url], cwd=project.dir, check=True,
                   capture_output=True)
    project.commit("a DVC remote")


@pytest.mark.parametrize(("url", "scheme", "package"), PLUGINS)
@pytest.mark.parametrize("pull", [[], ["--pull"]])
def test_a_default_remote_without_its_plugin_exits_2_naming_the_package(project, tmp_path, url, scheme, package, pull):
    _with_remote(project, url)
    branch(project, "better", {"accuracy": 0.96, "loss": 0.19})

    proc = run(project, tmp_path, "--base", "main", *pull)  # pulling is on by default with a default remote

    assert proc.returncode == 2, proc.stderr
    assert error_line(proc) == (
        f"mlgate: error: the DVC remote 'store' ({url}) needs DVC's {scheme} plugin, which is not installed: "
        f"pip install {package} (in the Action: add {package} to the requirements file); or reproduce without "
        "pulling from it: --no-pull (in the Action: pull: false)")


def test_pushing_to_a_remote_without_its_plugin_is_a_warning_and_the_verdict_stands(project, tmp_path):
    url, scheme, package = PLUGINS[0]
    _with_remote(project, url)
    branch(project, "better", {"accuracy": 0.96, "loss": 0.19})

    proc = run(project, tmp_path, "--base", "main", "--no-pull", "--push-cache")

    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert (f"mlgate: warning: the DVC cache was not pushed: dvc push --run-cache in {project.dir}: the DVC remote "
            f"'store' ({url}) needs DVC's {scheme} plugin, which is not installed: pip install {package} (in the "
            f"Action: add {package} to the requirements file)") in proc.stderr.splitlines()


def test_a_base_dataset_behind_a_remote_without_its_plugin_is_a_warning(tmp_path):
    """The `data:` block reads the base's DVC-cached file, absent from the local cache: with --no-repro
    --no-pull the run still completes, and the base is not compared, saying which package to install."""
    write = python_cmd("import yaml, pathlib; n = yaml.safe_load(open('params.yaml'))['rows']; "
                       "pathlib.Path('data').mkdir(exist_ok=True); "
                       "pathlib.Path('data/train.csv').write_text('age,label\\n' + ''.join("
                       "f'{20 + i % 50},{i % 3 == 0:d}\\n' for i in range(n))); "
                       "pathlib.Path('metrics.json').write_text(f'{{\"rows\": {n}}}')")
    stages = {"prepare": {"cmd": write, "params": ["rows"], "outs": ["data/train.csv"],
                          "metrics": [{"metrics.json": {"cache": False}}]}}
    config = {"version": 1, "data": {"train": {"path": "data/train.csv"}},
              "kpis": {"data.train.rows": {"max_drop_pct": 20}}}
    project = make_project(tmp_path / "repo", params={"rows": 200}, stages=stages, config=config)
    dvc_yaml = yaml.safe_load(project.path("dvc.yaml").read_text())
    project.write("dvc.yaml", yaml.safe_dump({**dvc_yaml, "plots": [{"data/train.csv": {"x": "age", "y": "label"}}]}))
    project.commit("the data as a plot too")
    _with_remote(project, PLUGINS[0][0])
    project.checkout("feature", new=True)
    project.update_params({"rows": 210})
    project.repro()
    project.commit("more rows")
    shutil.rmtree(project.dir / ".dvc" / "cache")  # a runner whose cache lacks the base's data
    project.repro()

    proc = run(project, tmp_path, "--base", "main", "--no-repro", "--no-pull")

    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    result = json.loads((tmp_path / "result.json").read_text())
    base = project.sha("main")[:7]
    assert (f"data/train.csv at {base}: not in the DVC cache, and the DVC remote 'store' ({PLUGINS[0][0]}) "
            "needs DVC's gdrive plugin, which is not installed: pip install dvc-gdrive (in the Action: add "
            "dvc-gdrive to the requirements file) (the base is not compared)") in result["warnings"]
    rows = next(g for g in result["gates"] if g["kpi"] == "data.train.rows")
    assert rows["status"] != "pass" and rows["new"] == 210
    report = (tmp_path / "report.md").read_text()
    assert "new dataset" not in report and "the base's file could not be read: compared with nothing" in report
    assert (f"`data/train.csv` — final `label` 0.0000 (the base's data was not read: data/train.csv at {base}: not in "
            f"the DVC cache, and the DVC remote 'store' ({PLUGINS[0][0]}) needs DVC's gdrive plugin") in report


# -- 3: the pipeline fails ---------------------------------------------------------------------------------

def test_a_failing_stage_exits_3(project, tmp_path):
    dvc_yaml = yaml.safe_load(project.path("dvc.yaml").read_text())
    dvc_yaml["stages"]["train"]["cmd"] = python_cmd("import sys; print('boom', file=sys.stderr); sys.exit(1)")
    project.write("dvc.yaml", yaml.safe_dump(dvc_yaml, sort_keys=False))
    project.commit("broken stage")
    passed = run(project, tmp_path, "--base", "main", "--no-repro")  # an earlier run's files, with a verdict
    assert passed.returncode == 0 and (tmp_path / "result.json").exists() and (tmp_path / "report.md").exists()
    proc = run(project, tmp_path, "--base", "main")
    assert proc.returncode == 3
    line = error_line(proc)
    assert line.startswith(f"mlgate: error: dvc repro failed in {project.dir}: ")
    assert "train" in line
    assert not (tmp_path / "result.json").exists() and not (tmp_path / "report.md").exists()  # nothing stale


def test_a_bad_config_after_a_run_leaves_no_stale_files_at_the_default_paths(project):
    assert project.mlgate("run", "--quiet").returncode == 0
    assert (project.dir / "mlgate-result.json").exists() and (project.dir / "mlgate-report.md").exists()
    project.write("mlgate.yaml", "version: 1\nkpis:\n  accuracy: {min: high}\n")
    proc = project.mlgate("run", "--quiet")
    assert proc.returncode == 2
    assert error_line(proc) == (f"mlgate: error: {project.dir / 'mlgate.yaml'}:3: kpis.accuracy.min: expected a number, "
                                "got 'high'; write it without quotes, e.g. 0.9")
    assert not (project.dir / "mlgate-result.json").exists() and not (project.dir / "mlgate-report.md").exists()



def test_report_title_heads_the_report_escaped(project, tmp_path):
    project.write_config({**CONFIG, "report": {"title": "mlgate · churn *model* @octocat"}})
    proc = run(project, tmp_path, "--base", "main", "--no-repro")
    assert proc.returncode == 0, proc.stderr
    heading = (tmp_path / "report.md").read_text().splitlines()[1]
    assert heading == "## ✅ mlgate · churn \\*model\\* `@octocat` — all 2 KPI gates passed"  # no mention, no zero-width


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_dvcignore_pattern_dvc_rejects_names_the_file_not_mlgate(project, tmp_path, command):
    # DVC's own CLI says "unexpected error" (exit 255) for a bare "!" line, which git accepts silently
    (project.dir / ".dvcignore").write_text("# data\n!\n", encoding="utf-8")
    proc = run(project, tmp_path, *(["--no-repro"] if command == "run" else []), command=command)
    assert proc.returncode == 2
    line = error_line(proc)
    assert line.startswith("mlgate: error: .dvcignore: DVC cannot read a pattern in it (")
    assert line.endswith("Invalid git pattern: '!'); fix or remove that line")
    assert "bug in mlgate" not in proc.stderr
