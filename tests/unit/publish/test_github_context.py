"""GitHubContext.from_env over event payloads of each kind, and the base it picks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlgate.errors import InputError
from mlgate.publish.github.context import GitHubContext

REPO = "octo-org/ml-project"
HEAD = "1" * 40
BASE = "2" * 40
MERGE = "3" * 40
BEFORE = "4" * 40


def _repo(full_name: str = REPO) -> dict[str, Any]:
    return {"full_name": full_name, "default_branch": "main", "fork": full_name != REPO}


def pr_payload(*, head_repo: str | None = REPO, number: int = 7) -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": HEAD, "ref": "feature/deeper-trees", "repo": _repo(head_repo) if head_repo else None},
            "base": {"sha": BASE, "ref": "main", "repo": _repo()},
        },
        "repository": _repo(),
    }


def push_payload(*, before: str = BEFORE, ref: str = "refs/heads/main") -> dict[str, Any]:
    return {"ref": ref, "before": before, "after": HEAD, "created": before == "0" * 40, "repository": _repo()}


def workflow_run_payload(pull_requests: list[dict[str, Any]], *, head_repo: str = REPO) -> dict[str, Any]:
    return {
        "action": "completed",
        "workflow_run": {
            "id": 99, "event": "pull_request", "conclusion": "success", "head_sha": HEAD,
            "head_branch": "feature/deeper-trees", "pull_requests": pull_requests,
            "head_repository": {"full_name": head_repo}, "repository": {"full_name": REPO},
        },
        "repository": _repo(),
    }


def env_for(tmp_path: Path, event: str, payload: Any, **extra: str) -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload) if not isinstance(payload, str) else payload, encoding="utf-8")
    env = {
        "GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": MERGE, "GITHUB_REF": "refs/heads/main", "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_API_URL": "https://api.github.example", "GITHUB_RUN_ID": "123", "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_WORKSPACE": "/ws", "GITHUB_STEP_SUMMARY": "/tmp/summary", "GITHUB_OUTPUT": "/tmp/out",
    }
    env.update(extra)
    return env


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"])
def test_pull_request_reads_head_and_base_from_the_payload_not_github_sha(tmp_path: Path, event: str) -> None:
    env = env_for(tmp_path, event, pr_payload(), GITHUB_REF="refs/pull/7/merge",
                  GITHUB_HEAD_REF="feature/deeper-trees", GITHUB_BASE_REF="main")
    ctx = GitHubContext.from_env(env)
    assert (ctx.pr_number, ctx.head_sha, ctx.base_sha) == (7, HEAD, BASE)
    assert ctx.checkout_sha == MERGE
    assert (ctx.head_ref, ctx.base_ref, ctx.default_branch) == ("feature/deeper-trees", "main", "main")
    assert ctx.is_fork is False
    assert ctx.is_default_branch is False
    assert ctx.push_before is None
    base = ctx.comparison_base()
    assert (base.rev, base.merge_base, base.ref) == (BASE, True, "main")


def test_fork_pull_request_is_marked_as_fork(tmp_path: Path) -> None:
    ctx = GitHubContext.from_env(env_for(tmp_path, "pull_request", pr_payload(head_repo="someone/ml-project")))
    assert ctx.is_fork is True


def test_pull_request_from_a_deleted_fork_counts_as_fork(tmp_path: Path) -> None:
    ctx = GitHubContext.from_env(env_for(tmp_path, "pull_request", pr_payload(head_repo=None)))
    assert ctx.is_fork is True


def test_push_to_default_branch_compares_with_before(tmp_path: Path) -> None:
    ctx = GitHubContext.from_env(env_for(tmp_path, "push", push_payload(), GITHUB_SHA=HEAD))
    assert (ctx.head_sha, ctx.push_before, ctx.head_ref) == (HEAD, BEFORE, "main")
    assert ctx.is_default_branch is True
    assert ctx.pr_number is None
    base = ctx.comparison_base()
    assert (base.rev, base.merge_base) == (BEFORE, False)


def test_push_that_created_the_branch_has_no_before_and_uses_the_parent(tmp_path: Path) -> None:
    ctx = GitHubContext.from_env(env_for(tmp_path, "push", push_payload(before="0" * 40), GITHUB_SHA=HEAD))
    assert ctx.push_before is None
    base = ctx.comparison_base()
    assert (base.rev, base.merge_base) == (f"{HEAD}~1", False)


def test_push_to_another_branch_compares_with_merge_base_of_default_branch(tmp_path: Path) -> None:
    env = env_for(tmp_path, "push", push_payload(ref="refs/heads/exp"), GITHUB_REF="refs/heads/exp", GITHUB_SHA=HEAD)
    ctx = GitHubContext.from_env(env)
    assert ctx.is_default_branch is False
    assert ctx.head_ref == "exp"
    base = ctx.comparison_base()
    assert (base.rev, base.merge_base, base.ref) == ("origin/main", True, "main")


@pytest.mark.parametrize("event", ["workflow_dispatch", "schedule"])
def test_dispatch_and_schedule_use_github_sha_and_the_default_branch(tmp_path: Path, event: str) -> None:
    payload = {"ref": "refs/heads/exp", "inputs": {}, "repository": _repo()} if event == "workflow_dispatch" \
        else {"schedule": "0 3 * * *", "repository": _repo()}
    ctx = GitHubContext.from_env(env_for(tmp_path, event, payload, GITHUB_REF="refs/heads/exp"))
    assert ctx.head_sha == MERGE
    base = ctx.comparison_base()
    assert (base.rev, base.merge_base) == ("origin/main", True)


def test_schedule_payload_without_repository_leaves_the_base_unknown(tmp_path: Path) -> None:
    ctx = GitHubContext.from_env(env_for(tmp_path, "schedule", {"schedule": "0 3 * * *"}))
    assert ctx.default_branch is None
    assert ctx.comparison_base().rev is None


def test_workflow_run_reads_the_pull_request_of_the_triggering_run(tmp_path: Path) -> None:
    prs = [{"number": 7, "head": {"sha": HEAD, "ref": "feature/deeper-trees", "repo": {"full_name": REPO}},
            "base": {"sha": BASE, "ref": "main", "repo": {"full_name": REPO}}}]
    ctx = GitHubContext.from_env(env_for(tmp_path, "workflow_run", workflow_run_payload(prs)))
    assert (ctx.head_sha, ctx.pr_number, ctx.base_sha, ctx.is_fork) == (HEAD, 7, BASE, False)
    assert ctx.head_ref == "feature/deeper-trees"


def test_workflow_run_from_a_fork_has_no_pull_request_number(tmp_path: Path) -> None:
    ctx = GitHubContext.from_env(env_for(tmp_path, "workflow_run", workflow_run_payload([], head_repo="someone/fork")))
    assert (ctx.head_sha, ctx.pr_number, ctx.is_fork) == (HEAD, None, True)


def test_run_url_links_the_workflow_run_and_its_attempt(tmp_path: Path) -> None:
    env = env_for(tmp_path, "push", push_payload())
    assert GitHubContext.from_env(env).run_url == f"https://github.example/{REPO}/actions/runs/123"
    env["GITHUB_RUN_ATTEMPT"] = "2"
    assert GitHubContext.from_env(env).run_url == f"https://github.example/{REPO}/actions/runs/123/attempts/2"


def test_environment_paths_are_carried(tmp_path: Path) -> None:
    ctx = GitHubContext.from_env(env_for(tmp_path, "push", push_payload()))
    assert (ctx.api_url, ctx.workspace) == ("https://api.github.example", "/ws")


@pytest.mark.parametrize("missing", ["GITHUB_EVENT_NAME", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH"])
def test_missing_variable_is_named(tmp_path: Path, missing: str) -> None:
    env = env_for(tmp_path, "push", push_payload())
    del env[missing]
    with pytest.raises(InputError, match=missing):
        GitHubContext.from_env(env)


def test_unreadable_payload_names_the_file(tmp_path: Path) -> None:
    env = env_for(tmp_path, "push", push_payload(), GITHUB_EVENT_PATH=str(tmp_path / "nope.json"))
    with pytest.raises(InputError, match=r"GITHUB_EVENT_PATH=.*nope\.json"):
        GitHubContext.from_env(env)


def test_invalid_json_payload_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"event\.json: the event payload is not valid JSON"):
        GitHubContext.from_env(env_for(tmp_path, "push", "{not json"))


def test_pull_request_event_without_pull_request_object_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"`pull_request` is missing"):
        GitHubContext.from_env(env_for(tmp_path, "pull_request", push_payload()))


def test_pull_request_with_bad_head_sha_is_an_input_error(tmp_path: Path) -> None:
    payload = pr_payload()
    payload["pull_request"]["head"]["sha"] = "not-a-sha"
    with pytest.raises(InputError, match=r"pull_request\.head\.sha"):
        GitHubContext.from_env(env_for(tmp_path, "pull_request", payload))


def test_dispatch_without_github_sha_is_an_input_error(tmp_path: Path) -> None:
    env = env_for(tmp_path, "workflow_dispatch", {"repository": _repo()})
    del env["GITHUB_SHA"]
    with pytest.raises(InputError, match="GITHUB_SHA"):
        GitHubContext.from_env(env)
