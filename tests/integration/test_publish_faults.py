"""The fault matrix: `mlgate ci` against the GitHub double with each fault on each channel.

The promise under test: the verdict and the report never depend on the network. For every cell the exit
code is the verdict's (1: a gate failed), the report file, the job summary and the step outputs are
written, the other channels are still attempted, there is at most one sticky comment, and the token
appears in no output (except the `::add-mask::` line that masks it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mlgate.cli import main
from tests.support.dvc_repo import Project, make_project
from tests.support.github_double import DEFAULT_REPOSITORY, start_double

TOKEN = "ghs_matrixSECRETtoken0123456789"
PR = 7
COMMENTS = rf"/repos/{DEFAULT_REPOSITORY}/issues/{PR}/comments"
STATUSES = rf"/repos/{DEFAULT_REPOSITORY}/statuses/.*"

ENDPOINTS = {
    "list comments": ("GET", COMMENTS),
    "create comment": ("POST", COMMENTS),
    "status": ("POST", STATUSES),
    "every call": (None, None),  # both channels share the time budget: neither may starve the other
}


def _five_xx(gh, method, path):
    gh.fail_next(502, times=100, method=method, path=path)


def _unprocessable(gh, method, path):
    gh.add_fault(422, times=100, message="Validation Failed", method=method, path=path)


def _rate_limit_far_away(gh, method, path):
    gh.primary_rate_limit(int(time.time()) + 3600, times=100, method=method, path=path)


def _black_hole(gh, method, path):
    gh.slow(3, times=100, method=method, path=path)  # the client waits 0.25 s (MLGATE_GITHUB_SECONDS=2)


def _lost_response(gh, method, path):
    gh.lose_responses(times=1 if method == "POST" else 100, method=method, path=path)


FAULTS = {
    "5xx": _five_xx,
    "422": _unprocessable,
    "rate limit resetting in an hour": _rate_limit_far_away,
    "black hole": _black_hole,
    "lost response": _lost_response,
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = make_project(tmp_path_factory.mktemp("faults") / "repo")
    p.checkout("worse", new=True)
    p.update_params({"metrics": {"accuracy": 0.90}})
    p.repro()
    p.commit("accuracy 0.90")
    return p


@pytest.fixture
def gh():
    with start_double() as double:
        yield double


def run_ci(project: Project, gh, tmp_path: Path, monkeypatch, capsys, *, summary: Path | None = None,
           output: Path | None = None) -> dict:
    head, base = project.sha("worse"), project.sha("main")
    gh.add_pull(PR, head_sha=head, base_sha=base)
    payload = {
        "number": PR,
        "pull_request": {"number": PR, "head": {"sha": head, "ref": "worse", "repo": {"full_name": DEFAULT_REPOSITORY}},
                         "base": {"sha": base, "ref": "main", "repo": {"full_name": DEFAULT_REPOSITORY}}},
        "repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"},
    }
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    summary = summary or tmp_path / "summary.md"
    output = output or tmp_path / "output.txt"
    env = {
        "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": DEFAULT_REPOSITORY, "GITHUB_SHA": head, "GITHUB_REF": f"refs/pull/{PR}/merge",
        "GITHUB_RUN_ID": "42", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
        "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": gh.url, "MLGATE_GITHUB_SECONDS": "2",
    }
    for name in list(__import__("os").environ):
        if name.startswith(("GITHUB_", "MLGATE_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(project.dir)
    capsys.readouterr()
    report, result = tmp_path / "report.md", tmp_path / "result.json"
    code = main(["ci", "--no-repro", "--report", str(report), "--json", str(result)])
    out = capsys.readouterr()
    return {"code": code, "out": out.out, "err": out.err, "report": report, "result": result,
            "summary": summary, "output": output}


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def assert_verdict_kept(run: dict, gh) -> None:
    assert run["code"] == 1, run["err"]  # the failed gate's code, never 4
    assert "1 of 2 KPI gates failed" in run["report"].read_text()
    assert json.loads(run["result"].read_text())["verdict"] == "fail"
    assert len(gh.comments(PR)) <= 1
    texts = [run["out"], run["err"], run["report"].read_text(), run["result"].read_text(),
             *(c["body"] for c in gh.comments(PR)), *(s["description"] for s in gh.statuses())]
    for path in (run["summary"], run["output"]):
        if path.is_file():
            texts.append(path.read_text())
    for text in texts:
        kept = "\n".join(line for line in text.splitlines() if not line.startswith("::add-mask::"))
        assert TOKEN not in kept


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_a_github_fault_never_changes_the_verdict_or_loses_the_other_channels(project, gh, tmp_path, monkeypatch,
                                                                              capsys, endpoint, fault):
    method, path = ENDPOINTS[endpoint]
    FAULTS[fault](gh, method, path)

    run = run_ci(project, gh, tmp_path, monkeypatch, capsys)

    assert_verdict_kept(run, gh)
    summary = run["summary"].read_text()
    assert "1 of 2 KPI gates failed" in summary
    assert outputs(run["output"])["verdict"] == "fail"
    assert "::error title=mlgate KPI gate failed::accuracy" in run["out"]  # the annotations channel
    # Every GitHub channel was attempted, whichever one failed.
    assert gh.calls("GET", COMMENTS) or (endpoint == "every call" and gh.calls("GET", "/user")), \
        "the comment was not attempted"
    assert gh.calls("POST", STATUSES), "the status was not attempted"
    warnings = [line for line in run["out"].splitlines() if line.startswith("::warning title=mlgate report not published::")]
    recovered = fault == "lost response" and method == "POST"  # a retry (or the adopted comment) made it
    if endpoint == "every call":
        assert [w.split("::", 2)[2].split(" was not posted")[0] for w in warnings] == [
            "the pull-request comment", "the commit status"], run["out"]
        assert gh.comments(PR) == []
        assert gh.statuses() == [] or fault == "lost response"  # a lost answer's status was still posted
    elif recovered:
        assert warnings == []
        assert len(gh.comments(PR)) == 1 and gh.statuses()[-1]["state"] == "failure"
    else:
        assert len(warnings) == 1, run["out"]
        what = "the commit status" if endpoint == "status" else "the pull-request comment"
        assert warnings[0].split("::", 2)[2].startswith(f"{what} was not posted: ")
        assert f"⚠️ {what} was not posted" in summary
        if endpoint == "status":
            assert len(gh.comments(PR)) == 1 and gh.statuses() == []
        else:
            assert gh.comments(PR) == [] and gh.statuses()[-1]["state"] == "failure"


def test_a_lost_comment_post_is_adopted_not_posted_twice(project, gh, tmp_path, monkeypatch, capsys):
    gh.lose_responses(times=1, method="POST", path=COMMENTS)

    run = run_ci(project, gh, tmp_path, monkeypatch, capsys)

    assert_verdict_kept(run, gh)
    assert len(gh.calls("POST", COMMENTS)) == 1  # listed again, found it, no second POST
    (comment,) = gh.comments(PR)
    assert outputs(run["output"])["comment-url"] == comment["html_url"]


@pytest.mark.parametrize("broken", ["summary", "outputs"])
def test_an_unwritable_summary_or_output_file_is_a_warning_and_the_rest_is_published(project, gh, tmp_path,
                                                                                    monkeypatch, capsys, broken):
    missing = tmp_path / "no-such-dir" / "file"
    kwargs = {"summary": missing} if broken == "summary" else {"output": missing}

    run = run_ci(project, gh, tmp_path, monkeypatch, capsys, **kwargs)

    assert_verdict_kept(run, gh)
    what = "the job summary was not written" if broken == "summary" else "the step outputs were not set"
    assert any(line.startswith(f"::warning title=mlgate report not published::{what}: ")
               for line in run["out"].splitlines()), run["out"]
    assert len(gh.comments(PR)) == 1 and gh.statuses()[-1]["state"] == "failure"
    if broken == "summary":
        assert outputs(run["output"])["verdict"] == "fail"
    else:
        assert "⚠️ the step outputs" not in run["summary"].read_text()  # the summary came first
        assert "1 of 2 KPI gates failed" in run["summary"].read_text()
