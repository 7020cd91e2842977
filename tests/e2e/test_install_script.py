"""The Action's install step for real: a new virtual environment, mlgate installed from the action's checkout.

This is the first thing every user's workflow does (the end-to-end test under act runs it too, twice with
the cache in place). It installs from the package registry, as the runner would: with uv (pinned, itself
from the registry), and with pip (`installer: pip`, also what happens where uv cannot run).
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
                          capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_install_builds_a_venv_with_mlgate_and_the_users_requirements_then_reuses_it(tmp_path, installer):
    venv = tmp_path / "venv"
    (tmp_path / "requirements.txt").write_text("tabulate\n")  # small, and already one of DVC's dependencies

    first = install(tmp_path, venv, INPUT_REQUIREMENTS="requirements.txt", INPUT_INSTALLER=installer)

    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "::group::Install mlgate" in first.stdout and "::endgroup::" in first.stdout
    assert f"into {venv} with {installer}" in first.stdout
    assert (tmp_path / "output").read_text() == f"python={venv}/bin/python\n"
    version = subprocess.run([str(venv / "bin" / "mlgate"), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip().startswith("mlgate ")
    assert list(venv.glob("lib/python3*/site-packages/mlgate/starter/mlgate.yaml"))  # the starter files shipped

    second = install(tmp_path, venv, INPUT_INSTALLER=installer)
    assert second.returncode == 0, second.stderr
    assert "is already installed in" in second.stdout and "::group::" not in second.stdout


def test_a_pyproject_toml_as_requirements_installs_its_dependencies_with_pip_too(tmp_path):
    """uv reads a pyproject.toml as a requirements file; pip cannot, so the script passes its dependencies."""
    # toolz: small, and not among mlgate's own dependencies
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "pipeline"\nversion = "0"\ndependencies = ["toolz"]\n')
    venv = tmp_path / "venv"
    first = install(tmp_path, venv, INPUT_INSTALLER="pip")
    assert first.returncode == 0, first.stderr[-2000:]
    before = subprocess.run([str(venv / "bin" / "python"), "-c", "import toolz"], capture_output=True, text=True)
    assert before.returncode != 0  # not there until the pyproject's dependencies are installed
    proc = install(tmp_path, venv, INPUT_REQUIREMENTS="pyproject.toml", INPUT_INSTALLER="pip")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", "import toolz"], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
