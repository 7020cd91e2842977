"""The DVC remote on S3-compatible object storage as the only state runners share besides git.

A real S3 API (moto's server, on 127.0.0.1) holds the DVC remote; ``main`` is recorded once by ``mlgate run
--record`` (ledger notes to the bare git origin, the DVC cache and run-cache to the bucket). Every test then
works in a fresh clone with an empty DVC cache, as a new runner would: what it restores comes from the bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ledger_project import CONFIG, EVALUATE, Origin, Runner

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")
pytest.importorskip("dvc_s3")

BUCKET = "mlgate-remote"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """The S3 endpoint (http://127.0.0.1:PORT) of a server that lives as long as this module's tests."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CREDENTIALS.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            patch.delenv(name, raising=False)
        server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
            yield endpoint
        finally:
            server.stop()


def bucket_keys(endpoint: str) -> list[str]:
    pages = boto3.client("s3", endpoint_url=endpoint).get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


@pytest.fixture(scope="module")
def template(s3: str, tmp_path_factory: pytest.TempPathFactory) -> Origin:
    world = Origin.make(tmp_path_factory.mktemp("s3") / "world")
    config = world.dev.dir / ".dvc" / "config"
    config.write_text(config.read_text().replace(
        "url = ../../dvc-remote\n", f"url = s3://{BUCKET}/store\n    endpointurl = {s3}\n"))
    world.land("the DVC remote on S3")
    return world


@pytest.fixture
def world(template: Origin, tmp_path: Path) -> Origin:
    return template.copy(tmp_path / "world")


@pytest.fixture
def mlgate(s3: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    return Runner(tmp_path, monkeypatch, capsys)


def test_recording_main_pushes_the_cache_and_the_run_cache_to_the_bucket(template: Origin, s3: str) -> None:
    keys = bucket_keys(s3)
    assert any(key.startswith("store/files/md5/") for key in keys), keys
    assert any(key.startswith("store/runs/") for key in keys), keys  # the run-cache: stages restorable elsewhere
    assert not (template.tmp / "dvc-remote").exists()  # nothing went to a local directory


def test_a_new_runner_restores_every_unchanged_stage_from_the_bucket(world: Origin, mlgate: Runner) -> None:
    world.dev.checkout("docs", new=True)
    world.dev.write("README.md", "# how to use the model\n")
    world.dev.commit("docs only")
    world.dev.git("push", "--quiet", "origin", "docs")
    clone = world.clone("runner-2", branch="docs")
    assert not (clone.dir / ".dvc" / "cache").exists() and not (clone.dir / "metrics.json").exists()

    run = mlgate(clone.dir, "--base", "origin/main")

    assert run.code == 0, run.err
    assert mlgate.executed() == []  # nothing trained again: the bucket had it
    assert run.stage_status() == {"train": "restored", "evaluate": "restored"}
    recorded = world.notes(world.dev.sha("main"))["metrics"]["metrics.json"]
    assert clone.read_json("metrics.json") == recorded
    assert run.result["baseline"]["source"] == "ledger"


def test_without_the_ledger_the_base_metrics_are_read_from_the_bucket(world: Origin, mlgate: Runner) -> None:
    clone = world.clone("runner-3")
    clone.checkout("eval-fix", new=True)
    clone.write("evaluate.py", EVALUATE.replace("OFFSET = 0.0", "OFFSET = 0.01"))
    clone.write_config({**CONFIG, "baseline": {"ledger": False}})
    clone.commit("evaluate: offset; no ledger")

    run = mlgate(clone.dir, "--base", "main")

    assert run.code == 0, run.err
    assert mlgate.executed() == [("evaluate", str(clone.dir))]  # train restored from the bucket's run-cache
    assert run.result["baseline"]["source"] == "dvc-remote"
    accuracy = run.gate("accuracy")
    assert accuracy["old"] == world.notes(world.dev.sha("main"))["metrics"]["metrics.json"]["accuracy"]
    assert accuracy["new"] == pytest.approx(accuracy["old"] + 0.01)
    assert "pulled from the DVC remote" in run.report
