"""The API double run as its own process, the way the Action end-to-end test uses it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mlgate.publish.github.client import GitHubClient
from mlgate.publish.github.comments import upsert_comment
from mlgate.publish.github.statuses import post_status

ROOT = Path(__file__).resolve().parents[2]
HEAD = "c" * 40


@pytest.fixture
def double_process(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({
        "pulls": [{"number": 3, "head_sha": HEAD, "base_sha": "b" * 40}],
        "comments": [{"number": 3, "body": "first!", "author": "reviewer"}],
    }), encoding="utf-8")
    state = tmp_path / "state.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.github_double", "--port", "0", "--seed", str(seed), "--state", str(state)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else url
        yield url, state, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


def test_standalone_double_serves_faults_and_leaves_its_state_in_a_file(
        double_process: tuple[str, Path, subprocess.Popen[str]]) -> None:
    url, state_file, proc = double_process
    control = requests.Session()
    control.trust_env = False
    faults = control.post(f"{url}/_double/faults", json={"faults": [{"status": 502, "times": 1, "method": "POST"}]},
                          timeout=5)
    assert faults.status_code == 200

    with GitHubClient(url, "ghs_token", "octo-org/ml-project", sleep=lambda s: None) as client:
        first = upsert_comment(client, 3, "report v1", head_sha=HEAD)
        second = upsert_comment(client, 3, "report v2", head_sha=HEAD)
        post_status(client, HEAD, "failure", "3/4 KPI gates passed")
    assert (first.action, second.action) == ("created", "updated")

    live = control.get(f"{url}/_double/state", timeout=5).json()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    saved = json.loads(state_file.read_text(encoding="utf-8"))
    for state in (live, saved):
        assert [c["body"].split("\n")[-1] for c in state["comments"]] == ["first!", "report v2"]
        assert [(s["sha"], s["state"], s["context"]) for s in state["statuses"]] == [(HEAD, "failure", "mlgate")]
        assert state["faults"] == []
        assert [r["status"] for r in state["requests"] if r["method"] == "POST"] == [502, 201, 201]


def test_control_endpoints_reject_unknown_paths(double_process: tuple[str, Path, subprocess.Popen[str]]) -> None:
    url, _, _ = double_process
    session = requests.Session()
    session.trust_env = False
    assert session.get(f"{url}/_double/nope", timeout=5).status_code == 404
    assert session.get(f"{url}/repos/octo-org/ml-project/pulls/3", timeout=5).status_code == 401
