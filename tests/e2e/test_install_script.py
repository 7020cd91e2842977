"""The Action's install step for real: a new virtual environment, mlgate installed from the action's checkout.

This is the first thing every user's workflow does (the end-to-end test under act reuses the test's own
environment instead, to stay fast). It installs from the package registry, as the runner would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def install(tmp_path: Path, venv: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    python = shutil.which("python3")
    assert python is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_", "VIRTUAL_ENV"))}
    env.update(GITHUB_ACTION_PATH=str(ROOT), GITHUB_OUTPUT=str(tmp_path / "output"), INPUT_VENV=str(venv),
               INPUT_PYTHON=python, **extra)
    return subprocess.run(["bash", str(ROOT / "scripts" / "install.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)


def test_install_builds_a_venv_with_mlgate_and_the_users_requirements_then_reuses_it(tmp_path):
    venv = tmp_path / "venv"
    (tmp_path / "requirements.txt").write_text("tabulate\n")  # small, and already one of DVC's dependencies

    first = install(tmp_path, venv, INPUT_REQUIREMENTS="requirements.txt")

    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "::group::Install mlgate" in first.stdout and "::endgroup::" in first.stdout
    assert (tmp_path / "output").read_text() == f"python={venv}/bin/python\n"
    version = subprocess.run([str(venv / "bin" / "mlgate"), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip().startswith("mlgate ")

    second = install(tmp_path, venv)
    assert second.returncode == 0, second.stderr
    assert "is already installed in" in second.stdout and "::group::" not in second.stdout
