"""mlgate propose: the work tree's changes committed to a branch, pushed to a real (bare) origin, and one pull
request per branch opened, then updated in place, on the GitHub double; every bad input and refusal in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlgate.cli import main
from tests.support.dvc_repo import git
from tests.support.github_double import GitHubDouble, point_env_at, start_double

REPORT = "<!-- mlgate:report id=default head= -->\n## ✅ mlgate — all 3 KPI gates passed\n"
IDENTITY = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A checkout of main with a bare origin it was pushed to, the double, and the Actions environment."""
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    for name in ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "MLGATE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(work))
    (work / "dvc.lock").write_text("schema: '2.0'\nstages: {}\n")
    git(work, "add", "-A")
    git(work, "commit", "--quiet", "-m", "main")
    git(work, "remote", "add", "origin", str(origin))
    git(work, "push", "--quiet", "origin", "main")
    (tmp_path / "report.md").write_text(REPORT, encoding="utf-8")
    with start_double() as gh:
        point_env_at(gh, monkeypatch.setenv)
        monkeypatch.chdir(work)
        yield {"origin": origin, "work": work, "body": tmp_path / "report.md", "tmp": tmp_path, "gh": gh}


def propose(world, capsys: pytest.CaptureFixture[str], *extra: str, title: str = "Retrain on refreshed data"):
    capsys.readouterr()
    code = main(["propose", "--branch", "mlgate/retrain", "--title", title, "--body-file", str(world["body"]), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def retrain(world, stages: str) -> None:
    (world["work"] / "dvc.lock").write_text(f"schema: '2.0'\nstages: {{{stages}}}\n")


# -- the path that works --------------------------------------------------------------------------------------


def test_changes_are_pushed_to_the_branch_and_open_a_pull_request_whose_body_is_the_report(world, capsys, tmp_path,
                                                                                           monkeypatch) -> None:
    retrain(world, "prepare: {}")
    (world["work"] / "mlgate-report.md").write_text(REPORT)  # a body file inside the checkout is never committed
    world["body"] = world["work"] / "mlgate-report.md"
    outputs = tmp_path / "outputs.txt"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    code, out, err = propose(world, capsys)
    assert code == 0, err
    gh: GitHubDouble = world["gh"]
    [pull] = gh.pulls()
    assert pull["title"] == "Retrain on refreshed data" and pull["body"] == REPORT
    assert pull["head"]["ref"] == "mlgate/retrain" and pull["base"]["ref"] == "main"
    assert pull["user"]["login"] == "github-actions[bot]"
    assert f"pull request #{pull['number']} created: {pull['html_url']}" in out
    assert git(world["origin"], "show", "--name-only", "--format=%s", "mlgate/retrain").split("\n") == [
        "Retrain on refreshed data", "", "dvc.lock"]
    assert git(world["origin"], "rev-parse", "mlgate/retrain^") == git(world["origin"], "rev-parse", "main")
    # the checkout stays on main, with its changes still in the work tree
    assert git(world["work"], "branch", "--show-current") == "main"
    assert git(world["work"], "rev-parse", "HEAD") == git(world["origin"], "rev-parse", "main")
    assert git(world["work"], "diff", "--name-only") == "dvc.lock"  # unstaged, as before
    assert git(world["work"], "diff", "--cached", "--name-only") == ""
    lines = outputs.read_text().splitlines()
    assert f"pull-request-url={pull['html_url']}" in lines and f"pull-request-number={pull['number']}" in lines
    assert f"commit={git(world['origin'], 'rev-parse', 'mlgate/retrain')}" in lines


def test_a_second_proposal_updates_the_same_pull_request_and_rewrites_the_branch(world, capsys) -> None:
    retrain(world, "prepare: {}")
    assert propose(world, capsys)[0] == 0
    git(world["work"], "checkout", "--quiet", "--", "dvc.lock")
    retrain(world, "prepare: {}, train: {}")
    world["body"].write_text(REPORT + "\nsecond run\n")
    code, out, err = propose(world, capsys, "--message", "Retrain (drift)")
    assert code == 0, err
    gh: GitHubDouble = world["gh"]
    [pull] = gh.pulls()
    assert pull["body"].endswith("second run\n")
    assert f"pull request #{pull['number']} updated" in out
    assert "train" in git(world["origin"], "show", "mlgate/retrain:dvc.lock")
    assert git(world["origin"], "log", "--format=%s", "main..mlgate/retrain") == "Retrain (drift)"
    assert [c["method"] for c in gh.requests() if "/pulls" in c["path"] and c["method"] != "GET"] == ["POST", "PATCH"]


def test_no_changes_propose_nothing(world, capsys) -> None:
    code, out, err = propose(world, capsys)
    assert code == 0, err
    assert "nothing to propose" in out
    assert world["gh"].pulls() == []
    assert "mlgate/retrain" not in git(world["origin"], "branch", "--list")


def test_a_lost_answer_to_the_create_still_leaves_one_pull_request(world, capsys) -> None:
    gh: GitHubDouble = world["gh"]
    gh.lose_responses(method="POST", path=r"/pulls$")  # created, but the answer never arrives: the retry gets 422
    retrain(world, "prepare: {}")
    code, out, err = propose(world, capsys)
    assert code == 0, err
    assert len(gh.pulls()) == 1
    assert [r["status"] for r in gh.calls("POST", r".*/pulls")] == [201, 422]


def test_a_server_error_is_retried(world, capsys) -> None:
    world["gh"].fail_next(502, method="GET", path=r"/pulls$")
    retrain(world, "prepare: {}")
    code, out, err = propose(world, capsys)
    assert code == 0, err
    assert len(world["gh"].pulls()) == 1


# -- refusals: exit 4, one line -------------------------------------------------------------------------------


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlgate: error: "), err
    return lines[0]


def test_a_refused_push_is_exit_4_and_opens_nothing(world, capsys) -> None:
    hook = world["origin"] / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    retrain(world, "prepare: {}")
    code, out, err = propose(world, capsys)
    assert code == 4
    line = one_error_line(err)
    assert "the branch mlgate/retrain was not pushed to origin" in line and "contents: write" in line
    assert world["gh"].pulls() == []


def test_a_token_that_may_not_open_pull_requests_is_exit_4(world, capsys) -> None:
    world["gh"].fail_next(403, method="POST", path=r"/pulls$")
    retrain(world, "prepare: {}")
    code, out, err = propose(world, capsys)
    assert code == 4
    line = one_error_line(err)
    assert "POST /repos/octo-org/ml-project/pulls answered 403" in line
    assert "mlgate/retrain" in git(world["origin"], "branch", "--list")  # the branch went out; the PR did not


def test_an_unreachable_api_is_exit_4(world, capsys, monkeypatch) -> None:
    world["gh"].stop()
    monkeypatch.setenv("MLGATE_GITHUB_SECONDS", "2")
    retrain(world, "prepare: {}")
    code, out, err = propose(world, capsys)
    assert code == 4
    assert "unreachable" in one_error_line(err) or "time for publishing" in one_error_line(err)


# -- bad input: exit 2, one line naming what and the fix ------------------------------------------------------


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--branch", "bad..name"], {}, "--branch 'bad..name' is not a valid branch name; use e.g. mlgate/retrain"),
    (["--branch", "main"], {}, "--branch main is the pull request's base; propose on another branch"),
    (["--branch", "refs/heads/main"], {}, "--branch 'refs/heads/main': give the branch's short name without refs/ or "
                                          "heads/, e.g. mlgate/retrain"),
    (["--branch", "heads/x"], {}, "--branch 'heads/x': give the branch's short name without refs/ or heads/"),
    (["--branch", "a" * 300], {}, f"--branch '{'a' * 60}…': 300 characters, more than 100; use a short name"),
    (["--branch", "@{-1}"], {}, "--branch '@{-1}' is not a valid branch name"),
    (["--branch", "HEAD"], {}, "--branch 'HEAD' is not a valid branch name"),
    (["--branch", "main", "--base", "release"], {}, "--branch main is the repository's default branch; propose on "
                                                    "another branch"),
    (["--title", " "], {}, "--title ' ': expected one line of 1 to 256 characters"),
    (["--title", "two\nlines"], {}, "--title 'two\\\\nlines': expected one line"),
    (["--body-file", "missing.md"], {}, "--body-file missing.md: no such file; pass the report"),
    ([], {"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is not set: pass a token that may push and open pull requests"),
    ([], {"GITHUB_REPOSITORY": "just-a-name"}, "GITHUB_REPOSITORY='just-a-name': expected owner/name"),
])
def test_bad_input_is_exit_2_in_one_line(world, capsys, monkeypatch, args, env, expected) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    retrain(world, "prepare: {}")
    capsys.readouterr()
    base = {"--branch": "mlgate/retrain", "--title": "Retrain", "--body-file": str(world["body"])}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    code = main(["propose", *[x for pair in base.items() for x in pair]])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in one_error_line(err)
    assert world["gh"].pulls() == []


def test_a_missing_required_flag_is_exit_2(world, capsys) -> None:
    capsys.readouterr()
    assert main(["propose", "--title", "x"]) == 2
    assert "the following arguments are required: --branch, --body-file" in one_error_line(capsys.readouterr().err)
