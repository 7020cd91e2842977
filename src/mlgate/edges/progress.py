"""Progress lines for long work: stage-by-stage with timings locally, ``::group::`` folding in Actions."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TextIO

from mlgate.text.safe import safe_line


class Progress:
    def __init__(self, stream: TextIO | None = None, *, github: bool = False, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.github = github
        self.quiet = quiet

    def line(self, text: str) -> None:
        """One line of progress; text from the pipeline (stage names) can never become a workflow command."""
        if not self.quiet:
            print(safe_line(text), file=self.stream, flush=True)

    def _command(self, name: str, value: str = "") -> None:
        if not self.quiet:
            from mlgate.edges.ci_context import command

            command(name, value, stream=self.stream)

    @contextmanager
    def step(self, title: str, *, untrusted_output: bool = False) -> Iterator[None]:
        """A titled piece of work; folded in Actions, timed everywhere.

        With `untrusted_output` (the pipeline's own log), workflow commands are switched off inside the
        group, so a line printed by a stage cannot inject an annotation, a mask or an output.
        """
        start = time.monotonic()
        if self.github:
            self._command("group", title)
        else:
            self.line(f"mlgate: {title}")
        try:
            with ExitStack() as stack:
                if self.github and untrusted_output and not self.quiet:
                    from mlgate.edges.ci_context import stop_commands

                    stack.enter_context(stop_commands(self.stream))
                yield
        finally:
            seconds = time.monotonic() - start
            if self.github:
                self._command("endgroup")
            self.line(f"mlgate: {title}: done in {seconds:.1f} s")

    def stage(self, name: str, status: str, seconds: float | None = None, detail: str = "") -> None:
        mark = {"ran": "✓", "skipped": "·", "restored": "↺", "running": "▶", "failed": "✗"}.get(status, " ")
        timing = f" in {seconds:.1f} s" if seconds is not None else ""
        extra = f"  {detail}" if detail else ""
        self.line(f"  {mark} {name}: {status}{timing}{extra}")
