"""The workflow token reaches git (for the ledger's fetch and push) only when nothing else provides it."""

from __future__ import annotations

import base64
import os
import subprocess
from pathlib import Path

from mlgate.edges.git import Git
from mlgate.publish.github.git_auth import token_env

SERVER = "https://github.example"


def repo(tmp_path: Path, origin: str | None) -> Git:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    if origin:
        subprocess.run(["git", "remote", "add", "origin", origin], cwd=tmp_path, check=True)
    return Git(tmp_path)


def header_git_sees(git: Git, env: dict[str, str]) -> str:
    proc = subprocess.run(["git", "config", "--get", f"http.{SERVER}/.extraheader"], cwd=git.root, env=env,
                          capture_output=True, text=True)
    return proc.stdout.strip()


def test_without_persisted_credentials_git_gets_the_token_through_its_environment(tmp_path):
    git = repo(tmp_path, f"{SERVER}/octo-org/ml-project.git")
    env = token_env(git, server_url=SERVER, token="s3cret", environ={"PATH": os.environ["PATH"]})
    expected = base64.b64encode(b"x-access-token:s3cret").decode()
    assert header_git_sees(git, env) == f"AUTHORIZATION: basic {expected}"
    assert not any("s3cret" in v for v in env.values())  # only the encoded header, never the raw token


def test_persisted_checkout_credentials_are_left_alone(tmp_path):
    git = repo(tmp_path, f"{SERVER}/octo-org/ml-project.git")
    git.run("config", f"http.{SERVER}/.extraheader", "AUTHORIZATION: basic persisted")
    environ = {"PATH": os.environ["PATH"]}
    assert token_env(git, server_url=SERVER, token="s3cret", environ=environ) == environ


def test_another_host_a_local_origin_or_no_token_get_nothing(tmp_path):
    environ = {"PATH": os.environ["PATH"]}
    other = repo(tmp_path / "a", "https://gitlab.example/o/r.git")
    local = repo(tmp_path / "b", str(tmp_path / "bare.git"))
    assert token_env(other, server_url=SERVER, token="s3cret", environ=environ) == environ
    assert token_env(local, server_url=SERVER, token="s3cret", environ=environ) == environ
    assert token_env(repo(tmp_path / "c", f"{SERVER}/o/r.git"), server_url=SERVER, token="", environ=environ) == environ
