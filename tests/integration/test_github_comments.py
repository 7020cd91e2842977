"""The sticky report comment against the GitHub API double."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlgate.errors import PublishError
from mlgate.publish.github.client import GitHubClient, GitHubHTTPError, PublishDenied
from mlgate.publish.github.comments import marker, parse_marker, pull_head_sha, upsert_comment
from tests.support.github_double import GitHubDouble, start_double

OLD = "a" * 40
NEW = "c" * 40
BASE = "b" * 40


@pytest.fixture
def gh() -> Iterator[GitHubDouble]:
    with start_double() as double:
        double.add_pull(7, head_sha=NEW, base_sha=BASE)
        yield double


@pytest.fixture
def client(gh: GitHubDouble) -> Iterator[GitHubClient]:
    with GitHubClient(gh.url, "ghs_token", gh.repository, sleep=lambda s: None) as c:
        yield c


def writes(gh: GitHubDouble) -> list[str]:
    return [r["method"] for r in gh.requests() if r["method"] in ("POST", "PATCH", "DELETE")]


def test_create_then_update_leaves_one_comment(gh: GitHubDouble, client: GitHubClient) -> None:
    first = upsert_comment(client, 7, "## ❌ 1 of 4 gates failed", head_sha=OLD)
    second = upsert_comment(client, 7, "## ✅ 4 of 4 gates passed", head_sha=NEW)
    (comment,) = gh.comments(7)
    assert (first.action, second.action) == ("created", "updated")
    assert first.id == second.id == comment["id"]
    assert second.url == comment["html_url"]
    assert comment["body"] == f"{marker('default', NEW)}\n## ✅ 4 of 4 gates passed"
    assert comment["user"]["login"] == "github-actions[bot]"
    assert writes(gh) == ["POST", "PATCH"]


def test_same_body_is_unchanged_and_sends_no_patch(gh: GitHubDouble, client: GitHubClient) -> None:
    upsert_comment(client, 7, "## report", head_sha=NEW)
    result = upsert_comment(client, 7, "## report", head_sha=NEW)
    assert result.action == "unchanged"
    assert writes(gh) == ["POST"]


def test_marker_on_page_two_is_found_and_updated(gh: GitHubDouble, client: GitHubClient) -> None:
    for i in range(120):
        gh.add_comment(7, f"LGTM {i}", author="reviewer")
    ours = gh.add_comment(7, f"{marker('default', OLD)}\nold report", author="github-actions[bot]")
    result = upsert_comment(client, 7, "new report", head_sha=NEW)
    assert (result.action, result.id) == ("updated", ours["id"])
    assert writes(gh) == ["PATCH"]
    pages = [r["query"].get("page", "1") for r in gh.calls("GET", r".*/issues/7/comments")]
    assert pages == ["1", "2"]


def test_another_users_comment_with_the_same_marker_is_not_touched(gh: GitHubDouble, client: GitHubClient) -> None:
    forged_body = f"{marker('default', NEW)}\nfake all-green report"
    forged = gh.add_comment(7, forged_body, author="mallory")
    result = upsert_comment(client, 7, "real report", head_sha=NEW)
    assert result.action == "created" and result.id != forged["id"]
    bodies = {c["user"]["login"]: c["body"] for c in gh.comments(7)}
    assert bodies["mallory"] == forged_body
    assert bodies["github-actions[bot]"].endswith("real report")


def test_personal_token_matches_its_own_login(gh: GitHubDouble, client: GitHubClient) -> None:
    gh.set_identity("alice")
    bot = gh.add_comment(7, f"{marker('default', NEW)}\nbot report", author="github-actions[bot]")
    mine = gh.add_comment(7, f"{marker('default', OLD)}\nalice report", author="alice")
    result = upsert_comment(client, 7, "new", head_sha=NEW)
    assert (result.action, result.id) == ("updated", mine["id"])
    assert [c["body"] for c in gh.comments(7) if c["id"] == bot["id"]] == [bot["body"]]


def test_fallback_login_is_configurable_for_app_tokens(gh: GitHubDouble, client: GitHubClient) -> None:
    gh.set_identity("mlgate-app[bot]", user_endpoint=False)
    existing = gh.add_comment(7, f"{marker('default', OLD)}\nold", author="mlgate-app[bot]")
    result = upsert_comment(client, 7, "new", head_sha=NEW, fallback_login="mlgate-app[bot]")
    assert (result.action, result.id) == ("updated", existing["id"])
    assert len(gh.comments(7)) == 1


def test_report_ids_keep_separate_comments(gh: GitHubDouble, client: GitHubClient) -> None:
    upsert_comment(client, 7, "rf", head_sha=NEW, report_id="rf")
    upsert_comment(client, 7, "xgb", head_sha=NEW, report_id="xgb")
    upsert_comment(client, 7, "rf v2", head_sha=NEW, report_id="rf")
    assert sorted(parse_marker(c["body"])[0] + ":" + c["body"].split("\n")[1] for c in gh.comments(7)) == [
        "rf:rf v2", "xgb:xgb"]


def test_run_for_an_older_head_does_not_overwrite_the_newer_report(gh: GitHubDouble, client: GitHubClient) -> None:
    upsert_comment(client, 7, "report for the PR head", head_sha=NEW)
    result = upsert_comment(client, 7, "late report for an older commit", head_sha=OLD)
    assert result.action == "skipped-stale"
    (comment,) = gh.comments(7)
    assert comment["body"].endswith("report for the PR head")
    assert writes(gh) == ["POST"]


def test_run_for_the_pr_head_replaces_an_older_report(gh: GitHubDouble, client: GitHubClient) -> None:
    gh.set_pull_head(7, OLD)
    upsert_comment(client, 7, "old", head_sha=OLD)
    gh.set_pull_head(7, NEW)
    assert upsert_comment(client, 7, "new", head_sha=NEW).action == "updated"
    assert gh.comments(7)[0]["body"].endswith("new")


def test_duplicates_from_a_race_keep_the_oldest_and_delete_the_rest(gh: GitHubDouble, client: GitHubClient) -> None:
    first = gh.add_comment(7, f"{marker('default', NEW)}\nA", author="github-actions[bot]")
    second = gh.add_comment(7, f"{marker('default', NEW)}\nB", author="github-actions[bot]")
    result = upsert_comment(client, 7, "C", head_sha=NEW)
    assert (result.action, result.id, result.deleted) == ("updated", first["id"], (second["id"],))
    assert [c["body"].split("\n")[1] for c in gh.comments(7)] == ["C"]


def test_read_only_token_is_denied_not_crashed(gh: GitHubDouble, client: GitHubClient) -> None:
    gh.set_identity(write=False)
    with pytest.raises(PublishDenied) as info:
        upsert_comment(client, 7, "report", head_sha=NEW)
    assert info.value.status == 403
    assert isinstance(info.value, PublishError)
    assert gh.comments(7) == []


def test_too_long_body_is_retried_once_with_the_shortened_body(gh: GitHubDouble, client: GitHubClient) -> None:
    asked: list[tuple[int, int]] = []

    def shorten(body: str, limit: int) -> str:
        asked.append((len(body), limit))
        return "## report (compact)"

    result = upsert_comment(client, 7, "x" * 70_000, head_sha=NEW, shorten=shorten)
    assert result.action == "created"
    assert asked and asked[0][1] == 65536 and asked[0][0] > 70_000
    (comment,) = gh.comments(7)
    assert comment["body"] == f"{marker('default', NEW)}\n## report (compact)"
    assert [r["status"] for r in gh.requests() if r["method"] == "POST"] == [422, 201]


def test_too_long_body_without_a_callback_is_truncated_to_fit(gh: GitHubDouble, client: GitHubClient) -> None:
    body = "\n".join(f"| metric_{i} | 0.{i:04d} |" for i in range(5000))
    upsert_comment(client, 7, body, head_sha=NEW)
    (comment,) = gh.comments(7)
    assert len(comment["body"]) <= 65536
    assert parse_marker(comment["body"]) == ("default", NEW)
    assert "Report truncated" in comment["body"]


def test_other_validation_errors_are_raised(gh: GitHubDouble, client: GitHubClient) -> None:
    gh.fail_next(422, method="POST")
    with pytest.raises(GitHubHTTPError) as info:
        upsert_comment(client, 7, "report", head_sha=NEW)
    assert info.value.status == 422
    assert gh.comments(7) == []


def test_unknown_pull_request_is_denied(gh: GitHubDouble, client: GitHubClient) -> None:
    with pytest.raises(PublishDenied) as info:
        upsert_comment(client, 99, "report", head_sha=NEW)
    assert info.value.status == 404


def test_pull_head_sha_reads_the_current_head(gh: GitHubDouble, client: GitHubClient) -> None:
    assert pull_head_sha(client, 7) == NEW
    gh.set_pull_head(7, OLD)
    assert pull_head_sha(client, 7) == OLD
