"""The wheel `pip install .` builds holds the starter files of templates/ (as mlgate/starter) and the
report templates, and an installed mlgate finds them there, away from any checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow]


def test_the_wheel_ships_the_starter_files_and_an_installed_mlgate_finds_them(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("src", "templates"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
                            "-w", str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout + built.stderr
    wheel = next((tmp_path / "dist").glob("mlgate-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    starters = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert starters >= {"mlgate.yaml", "github-workflow.yml", "report/report.md.j2"}
    assert {f"mlgate/starter/{name}" for name in starters} <= names
    assert {"mlgate/report/templates/base.md.j2", "mlgate/report/templates/report.md.j2",
            "mlgate/report/templates/sections/predictions.md.j2", "mlgate/commands/init.py"} <= names

    # Installed (without dependencies: only finding the files is under test) into a target folder.
    target = tmp_path / "site"
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                                "--disable-pip-version-check", "--target", str(target), str(wheel)],
                               capture_output=True, text=True, timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    probe = subprocess.run([sys.executable, "-I", "-c",
                            "import sys; sys.path.insert(0, sys.argv[1]); from mlgate.config import starter as init_config;"
                            "print(init_config.starter_dir())", str(target)],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()) == target / "mlgate" / "starter"
