"""The command line's last line of defence: expected endings are not reported as bugs."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from mlgate.cli import main


class _ClosedPipe(io.StringIO):
    """stdout whose reader has gone (`mlgate history | head -1`)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_leaves_early_is_not_a_bug(monkeypatch: pytest.MonkeyPatch, capsys, tmp_path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())

    code = main(["history", "--project-dir", str(tmp_path), "--no-fetch"])  # prints "no ledger entries"

    assert code == 141  # 128 + SIGPIPE, as a shell reports a pipeline's early exit
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "ci", "monitor"])
def test_q_is_short_for_quiet(command: str) -> None:
    from mlgate.cli import build_parser

    parser = build_parser()
    assert parser.parse_args([command, "-q"]).quiet is True
    assert parser.parse_args([command]).quiet is False
