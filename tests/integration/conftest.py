"""Fixtures shared by the integration tests over a git + DVC world (tests.support.ledger_project)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ledger_project import Runner


@pytest.fixture
def mlgate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Runner:
    """mlgate run in process: ``mlgate(cwd, *args)`` gives its exit code, result, report and the stages run."""
    return Runner(tmp_path, monkeypatch, capsys)
