"""Commit statuses against the GitHub API double."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlgate.errors import InputError
from mlgate.publish.github.client import GitHubClient, PublishDenied
from mlgate.publish.github.statuses import post_status, status_context
from tests.support.github_double import GitHubDouble, start_double

SHA = "c" * 40
RUN = "https://github.com/octo-org/ml-project/actions/runs/123"


@pytest.fixture
def gh() -> Iterator[GitHubDouble]:
    with start_double() as double:
        yield double


@pytest.fixture
def client(gh: GitHubDouble) -> Iterator[GitHubClient]:
    with GitHubClient(gh.url, "ghs_token", gh.repository, sleep=lambda s: None) as c:
        yield c


def test_status_is_posted_with_context_description_and_link(gh: GitHubDouble, client: GitHubClient) -> None:
    post_status(client, SHA, "failure", "3/4 KPI gates passed", status_context("rf"), RUN)
    (status,) = gh.statuses(SHA)
    assert (status["state"], status["context"], status["description"], status["target_url"]) == (
        "failure", "mlgate/rf", "3/4 KPI gates passed", RUN)


def test_default_context_and_one_status_per_push(gh: GitHubDouble, client: GitHubClient) -> None:
    other = "d" * 40
    post_status(client, SHA, "success", "4/4 KPI gates passed")
    post_status(client, other, "failure", "3/4 KPI gates passed")
    assert [(s["sha"], s["context"], s["state"]) for s in gh.statuses()] == [
        (SHA, "mlgate", "success"), (other, "mlgate", "failure")]


def test_long_description_is_cut_to_what_github_accepts(gh: GitHubDouble, client: GitHubClient) -> None:
    post_status(client, SHA, "failure", "gate failed: " + "accuracy_on_a_very_long_slice_name " * 10)
    (status,) = gh.statuses(SHA)
    assert len(status["description"]) == 140


def test_read_only_token_is_denied(gh: GitHubDouble, client: GitHubClient) -> None:
    gh.set_identity(write=False)
    with pytest.raises(PublishDenied) as info:
        post_status(client, SHA, "success", "4/4 KPI gates passed")
    assert info.value.status == 403
    assert gh.statuses() == []


def test_unknown_state_is_refused_before_any_call(gh: GitHubDouble, client: GitHubClient) -> None:
    with pytest.raises(InputError, match="state 'passed'"):
        post_status(client, SHA, "passed", "x")  # type: ignore[arg-type]
    assert gh.requests() == []
