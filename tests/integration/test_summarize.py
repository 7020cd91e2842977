"""mlgate summarize: real results of two models (one passes, one fails a blocking gate), one sticky summary
comment on the GitHub double that links each model's own sticky comment; untrusted text escaped; bad input in
one line with exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.support.dvc_repo import Project, make_project
from tests.support.github_double import DEFAULT_REPOSITORY, GitHubDouble, start_double

PR = 3


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    """results/model-a/mlgate-result.json (pass) and results/model-b/... (accuracy below its 0.9 floor), as the
    matrix's jobs upload them, of one pull request head."""
    root = tmp_path_factory.mktemp("summarize")
    project = make_project(root / "repo")
    out = root / "results"
    project.git("checkout", "--quiet", "-b", "feature")
    proc = project.mlgate("run", "--report-id", "model-a", "--report", "/dev/null", "--json",
                          str(out / "mlgate-model-a" / "mlgate-result.json"))
    assert proc.returncode == 0, proc.stderr
    project.update_params({"metrics": {"accuracy": 0.85, "f1": 0.93, "loss": 0.2}})
    project.repro()
    project.commit("worse")
    proc = project.mlgate("run", "--report-id", "model-b", "--base", "main", "--report", "/dev/null", "--json",
                          str(out / "mlgate-model-b" / "mlgate-result.json"))
    assert proc.returncode == 1, proc.stderr
    return project, out


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    for name in ("GITHUB_ACTIONS", "GITHUB_TOKEN", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "MLGATE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    def summarize(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["summarize", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return summarize


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlgate: error: "), err
    return lines[0]


def test_a_row_per_model_with_its_verdict_and_failed_gates(results, run, tmp_path) -> None:
    _, out = results
    code, stdout, err = run(str(out), "--report", "summary.md")
    assert code == 1, err  # one model failed a blocking gate
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## ❌ mlgate — 1 of 2 models failed a blocking gate\n")
    rows = [line for line in summary.splitlines() if line.startswith("| `model-")]
    assert rows == ["| `model-b` | ❌ fail | `accuracy` | — |", "| `model-a` | ✅ pass | — | — |"]  # failures first
    assert "2 models, verdict fail" in stdout


# -- on a pull request: the sticky summary comment ------------------------------------------------------------


@pytest.fixture
def github(results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    project, _ = results
    head, base = project.sha("feature"), project.sha("main")
    payload = {"number": PR, "pull_request": {
        "number": PR, "head": {"sha": head, "ref": "feature", "repo": {"full_name": DEFAULT_REPOSITORY}},
        "base": {"sha": base, "ref": "main", "repo": {"full_name": DEFAULT_REPOSITORY}}},
        "repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"}}
    (tmp_path / "event.json").write_text(json.dumps(payload))
    with start_double() as gh:
        gh.add_pull(PR, head_sha=head, base_sha=base)
        for key, value in {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request",
                           "GITHUB_EVENT_PATH": str(tmp_path / "event.json"), "GITHUB_REPOSITORY": DEFAULT_REPOSITORY,
                           "GITHUB_SHA": head, "GITHUB_REF": f"refs/pull/{PR}/merge", "GITHUB_TOKEN": "t",
                           "GITHUB_API_URL": gh.url, "GITHUB_SERVER_URL": gh.url, "MLGATE_GITHUB_SECONDS": "20",
                           "GITHUB_OUTPUT": str(tmp_path / "outputs.txt"),
                           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary-step.md")}.items():
            monkeypatch.setenv(key, value)
        # what the matrix's jobs posted (and someone quoting model-b's marker, first)
        gh.add_comment(PR, f"<!-- mlgate:report id=model-b head={head} -->\nquoted", author="octocat")
        gh.add_comment(PR, f"<!-- mlgate:report id=model-a head={head} -->\n## ✅ mlgate", author="github-actions[bot]")
        gh.add_comment(PR, f"<!-- mlgate:report id=model-b head={head} -->\n## ❌ mlgate", author="github-actions[bot]")
        yield gh


def test_one_summary_comment_links_each_models_own_comment_and_is_updated_in_place(results, run, github, tmp_path):
    _, out = results
    gh: GitHubDouble = github
    bot = {c["body"].split(" ")[2]: c["html_url"] for c in gh.comments(PR) if c["user"]["login"] != "octocat"}
    code, stdout, err = run(str(out))
    assert code == 1, err
    [summary] = [c for c in gh.comments(PR) if c["body"].startswith("<!-- mlgate:report id=summary ")]
    assert summary["user"]["login"] == "github-actions[bot]"
    assert f"| `model-a` | ✅ pass | — | [report]({bot['id=model-a']}) |" in summary["body"]
    assert f"| `model-b` | ❌ fail | `accuracy` | [report]({bot['id=model-b']}) |" in summary["body"]
    outputs = (tmp_path / "outputs.txt").read_text()
    assert "failed-gates=model-b:accuracy" in outputs.splitlines()
    assert f"comment-url={summary['html_url']}" in outputs.splitlines()
    assert "1 of 2 models failed" in (tmp_path / "summary-step.md").read_text()

    fixed = tmp_path / "fixed"  # model-b fixed: the next summary updates the same comment
    shutil.copytree(out / "mlgate-model-a", fixed / "a")
    data = json.loads((out / "mlgate-model-a" / "mlgate-result.json").read_text())
    data["report_id"] = "model-b"
    (fixed / "b").mkdir()
    (fixed / "b" / "mlgate-result.json").write_text(json.dumps(data))
    code, _, err = run(str(fixed))
    assert code == 0, err
    summaries = [c for c in gh.comments(PR) if c["body"].startswith("<!-- mlgate:report id=summary ")]
    assert [c["id"] for c in summaries] == [summary["id"]]
    assert "all 2 models passed" in summaries[0]["body"]
    assert [r["method"] for r in gh.requests() if r["method"] in ("POST", "PATCH")] == ["POST", "PATCH"]


def test_a_token_that_may_not_comment_is_a_warning_and_the_verdict_stands(results, run, github, tmp_path) -> None:
    _, out = results
    github.set_identity(write=False)
    code, _, err = run(str(out), "--report", "s.md")
    assert code == 1
    assert "mlgate: warning: the summary comment was not posted: GitHub API POST" in err and "403" in err
    assert "| `model-b` | ❌ fail | `accuracy` |" in (tmp_path / "s.md").read_text()


def test_comment_on_failure_skips_an_all_pass_summary(results, run, github, tmp_path) -> None:
    _, out = results
    code, _, err = run(str(out / "mlgate-model-a"), "--comment", "on-failure")
    assert code == 0, err
    assert not [c for c in github.comments(PR) if "id=summary " in c["body"]]


# -- untrusted text --------------------------------------------------------------------------------------------


def test_report_ids_gate_names_and_links_from_a_result_file_are_escaped(results, run, tmp_path) -> None:
    _, out = results
    data = json.loads((out / "mlgate-model-b" / "mlgate-result.json").read_text())
    data["report_id"] = "x-model"
    data["gates"][0]["kpi"] = data["gates"][0]["key"] = "@admin `ok` | **b**"
    data["gates"][0]["file"] = None
    data["links"] = {"run_url": "javascript:alert(1)"}
    (tmp_path / "forged.json").write_text(json.dumps(data))
    code, _, err = run(str(tmp_path / "forged.json"), "--report", "s.md")
    row = next(line for line in (tmp_path / "s.md").read_text().splitlines() if line.startswith("| `x"))
    assert row.startswith("| `x-model` | ❌ fail | `` @admin `ok` \\| **b** `` | — |")
    assert "javascript" not in row
    # a report id no marker could hold never reaches the summary: the file is not a valid result
    data["report_id"] = "x|<img src=y>"
    (tmp_path / "forged.json").write_text(json.dumps(data))
    code, _, err = run(str(tmp_path / "forged.json"), "--report", "s2.md")
    assert code == 2 and "not a valid mlgate result: report_id: expected letters, digits" in one_error_line(err)


def test_a_model_without_a_comment_links_its_run_only_when_the_run_is_this_repositorys(results, run, github,
                                                                                      tmp_path) -> None:
    _, out = results
    ours = f"{github.url}/{DEFAULT_REPOSITORY}/actions/runs/42"
    for report_id, run_url in (("model-c", ours), ("model-d", "https://evil.example/o/r/actions/runs/42")):
        data = json.loads((out / "mlgate-model-a" / "mlgate-result.json").read_text())
        data["report_id"], data["links"] = report_id, {"run_url": run_url}
        (tmp_path / report_id).mkdir()
        (tmp_path / report_id / "mlgate-result.json").write_text(json.dumps(data))

    code, _, err = run(str(tmp_path / "model-c"), str(tmp_path / "model-d"), "--report", "s.md")

    assert code == 0, err
    rows = [line for line in (tmp_path / "s.md").read_text().splitlines() if line.startswith("| `model-")]
    assert rows == [f"| `model-c` | ✅ pass | — | [run]({ours}) |", "| `model-d` | ✅ pass | — | — |"]


# -- bad input: exit 2, one line --------------------------------------------------------------------------------


def test_a_directory_without_results_is_exit_2(run, tmp_path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run(str(tmp_path / "empty"))
    assert code == 2
    assert "empty: no mlgate-result.json in it; download each model's result artifact there" in one_error_line(err)


def test_a_missing_path_is_exit_2(run, tmp_path) -> None:
    code, _, err = run(str(tmp_path / "nowhere"))
    assert code == 2
    assert "nowhere: no such file or directory; pass the results' directory" in one_error_line(err)


def test_a_file_that_is_not_a_result_is_exit_2(run, tmp_path) -> None:
    (tmp_path / "r" / "x").mkdir(parents=True)
    (tmp_path / "r" / "x" / "mlgate-result.json").write_text("{}")
    code, _, err = run(str(tmp_path / "r"))
    assert code == 2
    assert "mlgate-result.json: not an mlgate result (no schema_version)" in one_error_line(err)


def test_two_results_with_one_report_id_are_exit_2(results, run, tmp_path) -> None:
    _, out = results
    shutil.copytree(out / "mlgate-model-a", tmp_path / "twice" / "one")
    shutil.copytree(out / "mlgate-model-a", tmp_path / "twice" / "two")
    code, _, err = run(str(tmp_path / "twice"))
    assert code == 2
    assert "both have report id 'model-a'; give each job of the matrix its own report-id" in one_error_line(err)


def test_a_model_named_like_the_summary_is_exit_2(results, run, tmp_path) -> None:
    _, out = results
    code, _, err = run(str(out), "--summary-id", "model-a")
    assert code == 2
    assert "its report id 'model-a' is the summary's own; give the summary another --summary-id" in one_error_line(err)


def test_a_bad_summary_id_is_exit_2(results, run) -> None:
    _, out = results
    code, _, err = run(str(out), "--summary-id", "two words")
    assert code == 2
    assert "--summary-id 'two words' is not valid; use letters, digits" in one_error_line(err)


def test_github_outside_actions_names_the_missing_variable(results, run) -> None:
    _, out = results
    code, _, err = run(str(out), "--github")
    assert code == 2
    assert "GITHUB_EVENT_NAME" in one_error_line(err)


def test_a_result_with_an_unexpected_top_level_key_is_exit_2(results, run, tmp_path) -> None:
    _, out = results
    data = json.loads((out / "mlgate-model-a" / "mlgate-result.json").read_text())
    data["verdict_override"] = "pass"
    (tmp_path / "r" / "a").mkdir(parents=True)
    (tmp_path / "r" / "a" / "mlgate-result.json").write_text(json.dumps(data))
    code, _, err = run(str(tmp_path / "r"))
    assert code == 2
    assert "mlgate-result.json: not a valid mlgate result: verdict_override: unexpected key" in one_error_line(err)


def test_a_symlink_out_of_the_folder_is_not_followed(results, run, tmp_path) -> None:
    _, out = results
    (tmp_path / "artifacts").mkdir()
    shutil.copytree(out / "mlgate-model-a", tmp_path / "artifacts" / "model-a")
    (tmp_path / "artifacts" / "elsewhere").symlink_to(out / "mlgate-model-b", target_is_directory=True)
    (tmp_path / "artifacts" / "model-c").mkdir()
    (tmp_path / "artifacts" / "model-c" / "mlgate-result.json").symlink_to(out / "mlgate-model-b" / "mlgate-result.json")
    code, out_text, _ = run(str(tmp_path / "artifacts"))
    assert code == 0  # model-b, which fails, is outside the folder: never read
    assert "1 models, verdict pass" in out_text
    report = (tmp_path / "mlgate-summary.md").read_text()
    assert "model-a" in report and "model-b" not in report


def test_thousands_of_results_fit_one_comment_failures_first_the_rest_counted(results, run, tmp_path) -> None:
    from mlgate.report.marker import COMMENT_LIMIT

    _, out = results
    passing = json.loads((out / "mlgate-model-a" / "mlgate-result.json").read_text())
    failing = json.loads((out / "mlgate-model-b" / "mlgate-result.json").read_text())
    for i in range(3000):
        data = failing if i % 100 == 0 else passing
        folder = tmp_path / "many" / f"m{i:04d}"
        folder.mkdir(parents=True)
        (folder / "mlgate-result.json").write_text(json.dumps({**data, "report_id": f"model-{i:04d}-" + "x" * 20}))
    code, _, _ = run(str(tmp_path / "many"))
    assert code == 1
    report = (tmp_path / "mlgate-summary.md").read_text()
    assert len(report) <= COMMENT_LIMIT - 200  # room for the marker line the comment adds
    rows = [line for line in report.splitlines() if line.startswith("| `model-")]
    assert all("fail" in row for row in rows[:30]) and "fail" not in rows[30]  # the 30 failures first
    assert f"_{3000 - len(rows)} more models not shown to fit the comment; " in report


def test_a_model_with_nothing_gated_is_not_counted_as_a_pass(results, run, tmp_path) -> None:
    """A model whose run had no mlgate.yaml passed nothing: its row says "not judged" and the summary's heading
    claims no ✅ for it."""
    _, out = results
    folder = tmp_path / "results"
    shutil.copytree(out / "mlgate-model-a", folder / "mlgate-model-a")
    bare = make_project(tmp_path / "bare", config=None)
    proc = bare.mlgate("run", "--report-id", "model-c", "--report", "/dev/null", "--json",
                       str(folder / "mlgate-model-c" / "mlgate-result.json"))
    assert proc.returncode == 0, proc.stderr
    code, _, err = run(str(folder), "--report", "summary.md")
    assert code == 0, err
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("## ➖ mlgate — 1 of 2 models passed, 1 not judged (no gate, no baseline, or no "
                              "mlgate.yaml)\n")
    rows = [line for line in summary.splitlines() if line.startswith("| `model-")]
    assert rows == ["| `model-a` | ✅ pass | — | — |", "| `model-c` | 📊 not judged | — | — |"]
