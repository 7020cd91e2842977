"""GitHubClient against the GitHub API double: headers, retries, rate limits, errors, pagination."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest

from mlgate import __version__
from mlgate.errors import PublishError
from mlgate.publish.github.client import (
    GitHubClient,
    GitHubConnectionError,
    GitHubHTTPError,
    GitHubTimeout,
    PublishDenied,
    RateLimited,
)
from tests.support.github_double import GitHubDouble, start_double

TOKEN = "ghs_SECRET_token_value_123"
HEAD = "a" * 40
BASE = "b" * 40
PULL = "/repos/octo-org/ml-project/pulls/7"


@pytest.fixture
def gh() -> Iterator[GitHubDouble]:
    with start_double() as double:
        double.add_pull(7, head_sha=HEAD, base_sha=BASE)
        yield double


@pytest.fixture
def sleeps() -> list[float]:
    return []


def client_for(gh: GitHubDouble, sleeps: list[float], **kw: object) -> GitHubClient:
    return GitHubClient(gh.url, TOKEN, gh.repository, sleep=sleeps.append, **kw)  # type: ignore[arg-type]


def test_sends_github_headers_and_bearer_token(gh: GitHubDouble, sleeps: list[float]) -> None:
    pr = client_for(gh, sleeps).get(PULL)
    assert pr["head"]["sha"] == HEAD
    (call,) = gh.calls("GET", PULL)
    assert call["auth_scheme"] == "Bearer"
    assert call["headers"] == {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
                               "User-Agent": f"mlgate/{__version__}"}


def test_500_then_502_are_retried_then_succeed(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.fail_next(500, path="/pulls/7$")
    gh.fail_next(502, path="/pulls/7$")
    pr = client_for(gh, sleeps, backoff=0.5, max_wait=10).get(PULL)
    assert pr["number"] == 7
    assert [c["status"] for c in gh.calls("GET", PULL)] == [500, 502, 200]
    assert all(0 < s <= 10 for s in sleeps)


def test_post_is_retried_after_a_502_and_creates_one_comment(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.fail_next(502, method="POST")
    client_for(gh, sleeps).post("/repos/octo-org/ml-project/issues/7/comments", json={"body": "hi"})
    assert [c["body"] for c in gh.comments(7)] == ["hi"]


def test_server_errors_past_the_retry_budget_raise_with_the_status(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.fail_next(502, times=10)
    with pytest.raises(GitHubHTTPError) as info:
        client_for(gh, sleeps, max_retries=2).get(PULL)
    assert info.value.status == 502
    assert isinstance(info.value, PublishError)
    assert len(gh.calls("GET", PULL)) == 3


@pytest.mark.parametrize("status", [429, 403])
def test_retry_after_is_honoured_through_the_injected_sleep(gh: GitHubDouble, sleeps: list[float], status: int) -> None:
    gh.rate_limit(7, status=status)
    assert client_for(gh, sleeps).get(PULL)["number"] == 7
    assert sleeps == [7.0]


def test_retry_after_on_a_503_is_honoured_by_urllib3_retry(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.add_fault(503, headers={"Retry-After": "5"}, message="Service Unavailable")
    assert client_for(gh, sleeps).get(PULL)["number"] == 7
    assert sleeps == [5.0]


def test_retry_after_longer_than_the_cap_is_capped(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.add_fault(503, headers={"Retry-After": "600"})
    client_for(gh, sleeps, max_wait=20).get(PULL)
    assert sleeps == [20.0]


def test_primary_rate_limit_waits_until_reset(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.primary_rate_limit(reset=1_000_030)
    client = client_for(gh, sleeps, clock=lambda: 1_000_000.0)
    assert client.get(PULL)["number"] == 7
    assert sleeps == [31.0]


def test_primary_rate_limit_resetting_beyond_the_cap_raises(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.primary_rate_limit(reset=1_003_600)
    client = client_for(gh, sleeps, clock=lambda: 1_000_000.0, max_wait=60)
    with pytest.raises(RateLimited, match="rate limit exhausted; it resets in 3601 s") as info:
        client.get(PULL)
    assert info.value.status == 403
    assert sleeps == []


@pytest.mark.parametrize("status", [403, 404])
def test_denied_statuses_raise_publish_denied(gh: GitHubDouble, sleeps: list[float], status: int) -> None:
    gh.fail_next(status)
    with pytest.raises(PublishDenied, match=f"answered {status}.*two-workflow setup") as info:
        client_for(gh, sleeps).get(PULL)
    assert info.value.status == status


def test_read_only_token_cannot_write(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.set_identity(write=False)
    with pytest.raises(PublishDenied) as info:
        client_for(gh, sleeps).post("/repos/octo-org/ml-project/issues/7/comments", json={"body": "x"})
    assert info.value.status == 403
    assert gh.comments(7) == []


def test_slow_answer_times_out_and_is_retried(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.slow(1.0)
    assert client_for(gh, sleeps, timeout=0.2).get(PULL)["number"] == 7


def test_slow_answer_without_retries_is_a_connection_error(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.slow(1.0)
    with pytest.raises(GitHubConnectionError, match=r"GET /repos/octo-org/ml-project/pulls/7 unreachable"):
        client_for(gh, sleeps, timeout=0.2, max_retries=0).get(PULL)


def test_refused_connection_is_a_connection_error(sleeps: list[float]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = GitHubClient(f"http://127.0.0.1:{port}", TOKEN, "o/r", max_retries=1, backoff=0, sleep=sleeps.append)
    with pytest.raises(GitHubConnectionError, match="unreachable after 1 retries") as info:
        client.get("/user")
    assert TOKEN not in str(info.value)


def test_token_never_reaches_logs_messages_or_repr(gh: GitHubDouble, sleeps: list[float],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(gh, sleeps)
    gh.fail_next(502)
    client.get(PULL)
    gh.fail_next(404)
    with pytest.raises(PublishDenied) as info:
        client.get(PULL)
    assert caplog.records, "the client logs its calls at debug level"
    assert TOKEN not in caplog.text and TOKEN not in str(info.value) and TOKEN not in repr(client)


def test_paginate_follows_link_headers_to_the_last_page(gh: GitHubDouble, sleeps: list[float]) -> None:
    ids = [gh.add_comment(7, f"c{i}", author="someone")["id"] for i in range(250)]
    items = list(client_for(gh, sleeps).paginate("/repos/octo-org/ml-project/issues/7/comments"))
    assert [c["id"] for c in items] == ids
    calls = gh.calls("GET", r".*/issues/7/comments")
    assert [(c["query"].get("per_page"), c["query"].get("page", "1")) for c in calls] == [
        ("100", "1"), ("100", "2"), ("100", "3")]


def test_missing_token_is_denied(gh: GitHubDouble, sleeps: list[float]) -> None:
    with pytest.raises(PublishDenied) as info:
        GitHubClient(gh.url, "", gh.repository, sleep=sleeps.append).get(PULL)
    assert info.value.status == 401


def test_rate_limit_that_keeps_answering_stops_after_the_retry_budget(gh: GitHubDouble, sleeps: list[float]) -> None:
    gh.rate_limit(2, times=10)
    with pytest.raises(RateLimited, match="still limited after 2 waits"):
        client_for(gh, sleeps, max_retries=2).get(PULL)
    assert sleeps == [2.0, 2.0]


def test_a_call_after_the_deadline_is_not_sent(gh: GitHubDouble, sleeps: list[float]) -> None:
    client = client_for(gh, sleeps, deadline=time.monotonic() - 1)
    with pytest.raises(GitHubTimeout) as err:
        client.get(client.repo_path("/pulls"))
    assert "the time for publishing ran out" in str(err.value)
    assert gh.requests() == []


def test_an_api_that_does_not_answer_gives_up_at_the_deadline_not_after_every_retry(gh: GitHubDouble) -> None:
    gh.slow(5, times=100)
    # A 10 s timeout and 4 retries would wait 50 s; the deadline ends it after the first attempt's 0.5 s.
    client = GitHubClient(gh.url, "t", gh.repository, timeout=10, max_retries=4, backoff=0,
                          deadline=time.monotonic() + 0.5)
    with pytest.raises(GitHubTimeout):
        client.get(client.repo_path("/pulls"))
    assert len(gh.requests()) == 1
