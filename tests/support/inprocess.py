"""`mlgate ...` run in-process (`mlgate.cli.main`) from a directory, with its outputs collected.

Faster than a subprocess; tests that need the process boundary (exit codes as the shell sees them,
stderr's exact lines) use `Project.mlgate` from tests/support/dvc_repo.py instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main


@dataclass
class Run:
    code: int
    result: dict[str, Any] | None
    report: str | None
    out: str
    err: str

    def gate(self, kpi: str) -> dict[str, Any]:
        assert self.result is not None
        found = [g for g in self.result["gates"] if g["kpi"] == kpi]
        assert len(found) == 1, self.result["gates"]
        return found[0]

    def stage_status(self) -> dict[str, str]:
        assert self.result is not None
        return {s["name"]: s["status"] for s in self.result["stages"]}


def run_mlgate(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], cwd: Path, argv: list[str],
               out_dir: Path) -> Run:
    """`mlgate ARGV --report OUT/report.md --json OUT/result.json` from `cwd`."""
    report, result = out_dir / "report.md", out_dir / "result.json"
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = main([*argv, "--report", str(report), "--json", str(result)])
    captured = capsys.readouterr()
    return Run(
        code,
        json.loads(result.read_text()) if result.exists() else None,
        report.read_text() if report.exists() else None,
        captured.out,
        captured.err,
    )


def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """A function `run(cwd, *args)` for `mlgate run ARGS`, writing each run's files to a fresh folder."""
    counter = iter(range(10_000))

    def run(cwd: Path, *args: str) -> Run:
        return run_mlgate(monkeypatch, capsys, cwd, ["run", *args], tmp_path / f"out{next(counter)}")

    return run
