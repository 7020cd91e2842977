"""`mlgate ci` end to end in a real git + DVC repo, publishing to the GitHub API test double on 127.0.0.1."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.dvc_repo import Project, make_project, mlgate_env, python_cmd, train_stage
from tests.support.github_double import DEFAULT_REPOSITORY, start_double

TOKEN = "test-token"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """main with committed metrics; branch `worse` drops accuracy by 0.05; branch `better` raises it."""
    p = make_project(tmp_path_factory.mktemp("ci") / "repo")
    for branch, accuracy in (("worse", 0.90), ("better", 0.97)):
        p.checkout("main")
        p.checkout(branch, new=True)
        p.update_params({"metrics": {"accuracy": accuracy}})
        p.repro()
        p.commit(f"accuracy {accuracy}")
    p.checkout("main")
    return p


@pytest.fixture
def project(template: Project, tmp_path: Path) -> Project:
    return template.copy(tmp_path / "repo")


@pytest.fixture
def gh():
    with start_double() as double:
        yield double


def pr_event(p: Project, tmp_path: Path, branch: str, number: int = 7, *, fork: bool = False,
             body: str | None = None) -> dict[str, str]:
    p.checkout(branch)
    head, base = p.sha(), p.sha("main")
    head_repo = "someone/fork" if fork else DEFAULT_REPOSITORY
    payload = {
        "number": number,
        "pull_request": {
            "number": number,
            "body": body,
            "head": {"sha": head, "ref": branch, "repo": {"full_name": head_repo}},
            "base": {"sha": base, "ref": "main", "repo": {"full_name": DEFAULT_REPOSITORY}},
        },
        "repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"},
    }
    return _env(tmp_path, "pull_request", payload, head, ref=f"refs/pull/{number}/merge",
                extra={"GITHUB_HEAD_REF": branch, "GITHUB_BASE_REF": "main"})


def _env(tmp_path: Path, event: str, payload: dict, sha: str, *, ref: str, extra: dict | None = None) -> dict[str, str]:
    event_path = tmp_path / f"{event}.json"
    event_path.write_text(json.dumps(payload))
    for name in ("summary.md", "output.txt"):
        (tmp_path / name).write_text("")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": DEFAULT_REPOSITORY,
        "GITHUB_SHA": sha,
        "GITHUB_REF": ref,
        "GITHUB_RUN_ID": "42",
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_TOKEN": TOKEN,
    }
    env.update(extra or {})
    return env


def outputs(tmp_path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (tmp_path / "output.txt").read_text().splitlines() if "=" in line)


def test_pull_request_fails_gate_posts_one_comment_and_a_status_then_updates_it(project, gh, tmp_path):
    gh.add_pull(7, head_sha=project.sha("worse"), base_sha=project.sha("main"))
    env = pr_event(project, tmp_path, "worse") | {"GITHUB_API_URL": gh.url}

    first = project.mlgate("ci", env=env)
    assert first.returncode == 1, first.stderr
    assert "::error title=mlgate KPI gate failed::accuracy" in first.stdout
    comments = gh.comments(7)
    assert len(comments) == 1 and comments[0]["user"]["login"] == "github-actions[bot]"
    assert "❌ mlgate — 1 of 2 KPI gates failed" in comments[0]["body"]
    status = gh.statuses(project.sha("worse"))[-1]
    assert (status["state"], status["context"], status["description"]) == ("failure", "mlgate", "1/2 KPI gates passed")
    assert status["target_url"] == f"https://github.example/{DEFAULT_REPOSITORY}/actions/runs/42"
    out = outputs(tmp_path)
    assert out["verdict"] == "fail" and out["failed-gates"] == "accuracy"
    assert out["comment-url"] == comments[0]["html_url"]
    assert "1 of 2 KPI gates failed" in (tmp_path / "summary.md").read_text()

    # A new push to the PR: the same comment is updated in place, a new status is posted.
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.repro()
    new_head = project.commit("fixed")
    gh.set_pull_head(7, new_head)
    env = pr_event(project, tmp_path, "worse") | {"GITHUB_API_URL": gh.url}
    second = project.mlgate("ci", env=env)
    assert second.returncode == 0, second.stderr
    comments = gh.comments(7)
    assert len(comments) == 1
    assert "✅ mlgate — all 2 KPI gates passed" in comments[0]["body"]
    assert f"head={new_head[:7]}" in comments[0]["body"].splitlines()[0]
    assert gh.statuses(new_head)[-1]["state"] == "success"


@pytest.mark.parametrize(("branch", "code", "verdict", "headline"), [
    ("worse", 1, "fail", "1 of 2 KPI gates failed"),
    ("better", 0, "pass", "all 2 KPI gates passed"),  # green: publishing degraded, the run is not failed
])
def test_read_only_token_degrades_to_the_summary_and_keeps_the_verdict(project, gh, tmp_path, branch, code, verdict,
                                                                       headline):
    gh.add_pull(8, head_sha=project.sha(branch), base_sha=project.sha("main"))
    gh.set_identity(write=False)
    env = pr_event(project, tmp_path, branch, number=8, fork=True) | {"GITHUB_API_URL": gh.url}

    proc = project.mlgate("ci", env=env)

    assert proc.returncode == code, proc.stderr  # the gate's verdict, not a publishing crash
    assert "::warning title=mlgate report not published::the pull-request comment was not posted" in proc.stdout
    assert "::warning title=mlgate report not published::the commit status was not posted" in proc.stdout
    assert gh.comments(8) == [] and gh.statuses() == []
    assert headline in (tmp_path / "summary.md").read_text()
    assert outputs(tmp_path)["verdict"] == verdict


def test_push_to_default_branch_compares_with_the_commit_before(project, gh, tmp_path):
    project.checkout("main")
    before = project.sha()
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.repro()
    after = project.commit("main moves on")
    payload = {"before": before, "after": after, "repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"}}
    env = _env(tmp_path, "push", payload, after, ref="refs/heads/main") | {"GITHUB_API_URL": gh.url}

    proc = project.mlgate("ci", env=env)

    assert proc.returncode == 0, proc.stderr
    result = json.loads((project.dir / "mlgate-result.json").read_text())
    assert result["base"]["sha"] == before and result["base_how"] == "previous commit"
    assert result["baseline"]["source"] == "git"
    assert gh.comments() == []  # no pull request, no comment
    assert gh.statuses(after)[-1]["state"] == "success"


@pytest.mark.parametrize("event", ["workflow_dispatch", "schedule"])
def test_dispatch_and_schedule_compare_with_the_default_branch(project, gh, tmp_path, event):
    project.checkout("worse")
    project.git("update-ref", "refs/remotes/origin/main", project.sha("main"))
    payload = {"repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"}}
    env = _env(tmp_path, event, payload, project.sha(), ref="refs/heads/worse") | {"GITHUB_API_URL": gh.url}

    proc = project.mlgate("ci", "--no-status", env=env)

    assert proc.returncode == 1, proc.stderr
    result = json.loads((project.dir / "mlgate-result.json").read_text())
    assert result["base"]["sha"] == project.sha("main") and result["base_how"] == "merge-base"
    assert gh.statuses() == []


def test_shallow_clone_without_the_base_says_to_fetch_full_history(project, tmp_path):
    clone = tmp_path / "shallow"
    project.git("clone", "--quiet", "--depth", "1", "--branch", "worse", f"file://{project.root}", str(clone))
    shallow = Project(clone, clone)
    env = pr_event(project, tmp_path, "worse")
    proc = shallow.mlgate("ci", "--publisher", "none", env=env)
    # The clone's origin has the history, so mlgate deepens it and goes on.
    assert proc.returncode == 1, proc.stderr
    assert "fetching the full history" in proc.stderr

    no_origin = tmp_path / "orphan"
    project.git("clone", "--quiet", "--depth", "1", "--branch", "worse", f"file://{project.root}", str(no_origin))
    Project(no_origin, no_origin).git("remote", "remove", "origin")
    proc = Project(no_origin, no_origin).mlgate("ci", "--publisher", "none", env=env)
    assert proc.returncode == 2
    last = proc.stderr.splitlines()[-1]
    assert last.startswith("mlgate: error: base ") and "set 'fetch-depth: 0' on actions/checkout" in last


def test_run_then_publish_under_workflow_run(project, gh, tmp_path):
    """The fork-safe pair: `run` saves an artifact with no token; `publish` posts it with a write token."""
    head = project.sha("worse")
    gh.add_pull(9, head_sha=head, base_sha=project.sha("main"))
    env = pr_event(project, tmp_path, "worse", number=9, fork=True)
    env.pop("GITHUB_TOKEN")
    run = project.mlgate("ci", "--mode", "run", "--artifact-dir", str(tmp_path / "artifact"), env=env)
    assert run.returncode == 1, run.stderr
    assert sorted(p.name for p in (tmp_path / "artifact").iterdir()) == ["mlgate-report.md", "mlgate-result.json"]
    assert gh.requests() == []

    payload = {"workflow_run": {"head_sha": head, "head_branch": "worse", "pull_requests": [],
                                "head_repository": {"full_name": "someone/fork"},
                                "repository": {"full_name": DEFAULT_REPOSITORY}},
               "repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"}}
    env = _env(tmp_path, "workflow_run", payload, project.sha("main"), ref="refs/heads/main") | {"GITHUB_API_URL": gh.url}
    art = tmp_path / "artifact"
    publish = project.mlgate("ci", "--mode", "publish", "--report", str(art / "mlgate-report.md"),
                             "--json", str(art / "mlgate-result.json"), cwd=tmp_path, env=env)
    assert publish.returncode == 0, publish.stderr
    assert len(gh.comments(9)) == 1 and gh.statuses(head)[-1]["state"] == "failure"


def test_publish_refuses_an_artifact_naming_another_pull_request(project, gh, tmp_path):
    head = project.sha("worse")
    gh.add_pull(9, head_sha=head, base_sha=project.sha("main"))
    gh.add_pull(10, head_sha="c" * 40, base_sha=project.sha("main"))
    env = pr_event(project, tmp_path, "worse", number=10)
    project.mlgate("ci", "--mode", "run", "--artifact-dir", str(tmp_path / "a"), env=env | {"GITHUB_TOKEN": ""})
    payload = {"workflow_run": {"head_sha": head, "head_branch": "worse", "pull_requests": []},
               "repository": {"full_name": DEFAULT_REPOSITORY, "default_branch": "main"}}
    env = _env(tmp_path, "workflow_run", payload, head, ref="refs/heads/main") | {"GITHUB_API_URL": gh.url}
    proc = project.mlgate("ci", "--mode", "publish", "--report", str(tmp_path / "a/mlgate-report.md"),
                          "--json", str(tmp_path / "a/mlgate-result.json"), cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr
    assert gh.comments(10) == [] and gh.comments(9) == []  # PR 10's head is not the tested commit


def fake_cml(tmp_path: Path) -> tuple[Path, Path]:
    """A `cml` executable standing in for CML's CLI (its npm package is not reachable here): it records its
    arguments and environment, and posts nothing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "cml-call.json"
    fake = bin_dir / "cml"
    fake.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'token': os.environ.get('REPO_TOKEN'), "
        f"'dnt': os.environ.get('ITERATIVE_DO_NOT_TRACK')}}, open({str(record)!r}, 'w'))\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return bin_dir, record


def test_cml_publisher_runs_cml_comment_update_and_posts_the_commit_status(project, gh, tmp_path):
    bin_dir, record = fake_cml(tmp_path)
    gh.add_pull(7, head_sha=project.sha("better"), base_sha=project.sha("main"))
    env = pr_event(project, tmp_path, "better") | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                                                   "GITHUB_API_URL": gh.url}

    proc = project.mlgate("ci", "--publisher", "cml", "--report-id", "model-a", env=env)

    assert proc.returncode == 0, proc.stderr
    call = json.loads(record.read_text())
    assert call["argv"] == ["comment", "update", "--target=pr/7", "--watermark-title=mlgate:model-a",
                            "--no-publish", "mlgate-report.md"]
    assert call["token"] == TOKEN and call["dnt"] == "true"
    status = gh.statuses(project.sha("better"))[-1]  # the status branch protection can require
    assert (status["state"], status["context"], status["description"]) == ("success", "mlgate/model-a",
                                                                            "2/2 KPI gates passed")
    assert gh.comments(7) == []  # the comment is CML's, not posted twice


def test_cml_publisher_with_no_status_posts_none_and_a_failure_is_still_a_failure_status(project, gh, tmp_path):
    bin_dir, _ = fake_cml(tmp_path)
    gh.add_pull(7, head_sha=project.sha("worse"), base_sha=project.sha("main"))
    env = pr_event(project, tmp_path, "worse") | {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                                                  "GITHUB_API_URL": gh.url}

    assert project.mlgate("ci", "--publisher", "cml", "--no-status", env=env).returncode == 1
    assert gh.statuses(project.sha("worse")) == []
    proc = project.mlgate("ci", "--publisher", "cml", env=env)
    assert proc.returncode == 1, proc.stderr
    assert [s["state"] for s in gh.statuses(project.sha("worse"))] == ["failure"]


def test_cml_publisher_without_cml_is_a_publish_error(project, tmp_path):
    env = pr_event(project, tmp_path, "better") | {"PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}/usr/bin:/bin"}
    proc = project.mlgate("ci", "--publisher", "cml", env=env)
    assert proc.returncode == 4
    assert "cml CLI is not on PATH" in proc.stderr


def test_outside_actions_ci_says_to_use_run(project):
    proc = project.mlgate("ci")
    assert proc.returncode == 2
    assert "GITHUB_EVENT_NAME is not set" in proc.stderr and "mlgate run" in proc.stderr


def _outside_code_spans(markdown: str) -> str:
    """The Markdown with every inline code span removed: what GitHub would interpret."""
    import re

    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", markdown)


def test_untrusted_names_reach_the_comment_inert(template, gh, tmp_path):
    """Metric names, param values and branch names with Markdown, HTML, @mentions and ${{ }}: all inert."""
    evil = "<script>alert(1)</script>|@octocat ${{ secrets.TOKEN }} **bold** [x](http://e.invalid)"
    project = template.copy(tmp_path / "repo")
    project.checkout("main")
    project.checkout("evil", new=True)
    # DVC itself cannot lock a param *key* this wild, so the metric key is shorter; the value carries it all.
    project.update_params({"metrics": {"accuracy": 0.96, "<b>@octocat|${{ x }}": 1.0}, "train": {"note": evil}})
    project.repro()
    project.commit("evil names")
    gh.add_pull(11, head_sha=project.sha(), base_sha=project.sha("main"))
    env = pr_event(project, tmp_path, "evil", number=11) | {"GITHUB_API_URL": gh.url, "GITHUB_HEAD_REF": evil}

    proc = project.mlgate("ci", env=env)

    assert proc.returncode == 0, proc.stderr
    body = gh.comments(11)[0]["body"]
    assert "secrets.TOKEN" in body and "<b>@octocat" in body  # the names are shown ...
    live = _outside_code_spans(body)
    for dangerous in ("<script", "<b>", "@octocat", "${{", "**bold**", "](http://e.invalid)"):
        assert dangerous not in live, dangerous  # ... but nowhere GitHub would interpret them
    for line in body.splitlines():
        if line.startswith("|"):  # a table row keeps its shape: no cell was split by the name's `|`
            assert line.endswith("|") and "|@octocat" not in line.replace("\\|", "")


def test_the_pull_requests_hypothesis_heads_the_report(project, gh, tmp_path):
    gh.add_pull(12, head_sha=project.sha("better"), base_sha=project.sha("main"))
    body = "Some context.\r\n\r\n**Hypothesis:** more trees improve recall on <small> tumours @octocat\r\nMore."
    env = pr_event(project, tmp_path, "better", number=12, body=body) | {"GITHUB_API_URL": gh.url}

    proc = project.mlgate("ci", env=env)

    assert proc.returncode == 0, proc.stderr
    comment = gh.comments(12)[0]["body"]
    assert "> **Hypothesis:** more trees improve recall on &lt;small&gt; tumours `@octocat`" in comment


def test_a_run_that_cannot_complete_posts_an_error_status_and_says_so_in_the_summary(template, gh, tmp_path):
    project = template.copy(tmp_path / "repo")
    project.checkout("main")
    project.checkout("broken", new=True)
    project.update_params({"metrics": '{"accuracy": 0.95,'})  # the stage writes this text verbatim: bad JSON
    project.repro()
    head = project.commit("corrupt metrics")
    gh.add_pull(13, head_sha=head, base_sha=project.sha("main"))
    env = pr_event(project, tmp_path, "broken", number=13) | {"GITHUB_API_URL": gh.url}

    proc = project.mlgate("ci", env=env)

    assert proc.returncode == 2, proc.stderr
    assert "::error title=mlgate::metrics.json: cannot be read at the head" in proc.stdout
    status = gh.statuses(head)[-1]
    assert status["state"] == "error" and status["description"].startswith("metrics.json: cannot be read")
    summary = (tmp_path / "summary.md").read_text()  # the report itself, written before the exit
    assert "the run could not be completed" in summary and "metrics.json: cannot be read at the head" in summary
    assert outputs(tmp_path)["verdict"] == "error"


def test_the_pipelines_own_log_cannot_issue_workflow_commands(tmp_path):
    """A stage that prints `::error::` or `::add-mask::` runs with workflow commands switched off."""
    train = train_stage({"metrics.json": "metrics"})
    inject = python_cmd("print('::error title=pwned::injected by the pipeline'); print('::add-mask::x')")
    project = make_project(tmp_path / "repo", stages={"train": {**train, "cmd": f"{train['cmd']} && {inject}"}})
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.commit("feature")
    env = pr_event(project, tmp_path, "feature") | {"GITHUB_API_URL": "http://127.0.0.1:9", "GITHUB_TOKEN": ""}

    # One pipe for both streams, as the runner reads them: the order of lines is the order of writes.
    proc = subprocess.run([sys.executable, "-m", "mlgate", "ci", "--publisher", "none"], cwd=project.dir,
                          env=mlgate_env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=120)

    assert proc.returncode == 0, proc.stdout
    log = proc.stdout.splitlines()
    (stop,) = [i for i, line in enumerate(log) if line.startswith("::stop-commands::")]
    token = log[stop].split("::")[2]
    assert re.fullmatch(r"mlgate-[0-9a-f]{32}", token)
    resume = log.index(f"::{token}::")
    injected = log.index("::error title=pwned::injected by the pipeline")
    assert log[stop - 1].startswith("::group::reproducing the pipeline")
    assert stop < injected < resume and log[resume + 1] == "::endgroup::"


def test_changed_plot_images_and_dvcs_plots_page_go_to_the_plots_artifact(tmp_path):
    """The comment cannot hold images: the changed ones, and DVC's own plots page, go to a folder the Action
    uploads as an artifact (never a third-party host), named in the step's outputs."""
    draw = python_cmd(
        "import yaml, json, pathlib; p = yaml.safe_load(open('params.yaml'))['metrics'];"
        "pathlib.Path('plots').mkdir(exist_ok=True);"
        "pathlib.Path('plots/bars.svg').write_text('<svg xmlns=\"http://www.w3.org/2000/svg\"><text>%s</text></svg>' % p['accuracy']);"
        "json.dump([{'step': i, 'loss': p['loss'] / (i + 1)} for i in range(5)], open('plots/loss.json', 'w'))"
    )
    train = train_stage({"metrics.json": "metrics"})
    stages = {"train": {**train, "cmd": f"{train['cmd']} && {draw}",
                        "plots": [{"plots/bars.svg": {"cache": False}}, {"plots/loss.json": {"cache": False, "x": "step"}}]}}
    project = make_project(tmp_path / "repo", stages=stages)
    project.checkout("feature", new=True)
    project.update_params({"metrics": {"accuracy": 0.96}})
    project.repro()
    project.commit("better")
    env = pr_event(project, tmp_path, "feature") | {"GITHUB_API_URL": "http://127.0.0.1:9", "GITHUB_TOKEN": "",
                                                   "RUNNER_TEMP": str(tmp_path / "runner")}

    proc = project.mlgate("ci", "--publisher", "none", "--no-status", env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = outputs(tmp_path)
    folder = Path(out["plots-dir"])
    assert folder == tmp_path / "runner" / "mlgate-plots" and out["plots-artifact"] == "mlgate-plots-default"
    assert (folder / "images" / "plots" / "bars.svg").read_text().count("0.96") == 1  # the head's image
    assert (folder / "html" / "index.html").is_file()  # DVC's page: base against head


def test_without_a_config_the_action_compares_every_metric_and_passes(project, gh, tmp_path):
    """No mlgate.yaml (issue 14): the Action still reports the comparison, gates nothing, and says how to add gates."""
    project.checkout("worse")
    (project.dir / "mlgate.yaml").unlink()
    project.commit("no gates file")
    gh.add_pull(7, head_sha=project.sha("worse"), base_sha=project.sha("main"))
    env = pr_event(project, tmp_path, "worse") | {"GITHUB_API_URL": gh.url}

    proc = project.mlgate("ci", env=env)

    assert proc.returncode == 0, proc.stderr
    assert outputs(tmp_path)["verdict"] == "pass"
    body = gh.comments(7)[0]["body"]
    assert "`mlgate init` writes one" in body
    assert "0.95" in body and "0.9" in body  # accuracy, base and head, still compared
    assert gh.statuses(project.sha("worse"))[-1]["state"] == "success"
