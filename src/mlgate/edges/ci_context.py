"""GitHub Actions workflow commands, step outputs and the job summary.

Workflow commands (``::error file=a.py,line=3,title=T::message``) are written to a stream (stdout by
default). Their data escapes ``%``, ``\\r`` and ``\\n``; property values also escape ``:`` and ``,``,
so a metric or branch name can never end a command early or inject another one. Untrusted output
(the user's pipeline log) goes inside ``stop_commands()``, which turns command processing off.

``set_outputs`` appends to ``$GITHUB_OUTPUT`` in the ``name<<DELIMITER`` form with a random delimiter
for multi-line values. ``append_summary`` appends Markdown to ``$GITHUB_STEP_SUMMARY`` and keeps the
file under GitHub's 1 MiB per-step limit, cutting the text at a line boundary with a note.
"""

from __future__ import annotations

import re
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from mlgate.errors import InputError
from mlgate.text.safe import one_line

SUMMARY_LIMIT_BYTES = 1024 * 1024
SUMMARY_NOTE = "\n\n> **Summary truncated** to fit GitHub's 1 MiB job-summary limit; the full report is in the report file.\n"
_OUTPUT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def escape_data(text: Any) -> str:
    """``%``, CR and LF as the runner unescapes them; any other line separator or control character as a
    visible escape (``\\u2028``), so a command's data is one line to every reader of the log."""
    return one_line(str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def escape_property(text: Any) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: Any = "", properties: Mapping[str, Any] | None = None,
            stream: TextIO | None = None) -> str:
    """Write ``::name k=v,...::message`` (properties whose value is None are left out)."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in (properties or {}).items() if value is not None)
    line = f"::{name}{' ' + props if props else ''}::{escape_data(message)}"
    out = stream or sys.stdout
    out.write(line + "\n")
    out.flush()
    return line


def _annotation(kind: str, message: Any, title: str | None, file: str | None, line: int | None,
                end_line: int | None, col: int | None, stream: TextIO | None) -> str:
    props = {"file": file, "line": line, "endLine": end_line, "col": col, "title": title}
    return command(kind, message, props, stream)


def error(message: Any, title: str | None = None, file: str | None = None, line: int | None = None, *,
          end_line: int | None = None, col: int | None = None, stream: TextIO | None = None) -> str:
    return _annotation("error", message, title, file, line, end_line, col, stream)


def warning(message: Any, title: str | None = None, file: str | None = None, line: int | None = None, *,
            end_line: int | None = None, col: int | None = None, stream: TextIO | None = None) -> str:
    return _annotation("warning", message, title, file, line, end_line, col, stream)


def mask(value: str, stream: TextIO | None = None) -> None:
    """``::add-mask::`` every line of ``value`` (a mask applies to one line)."""
    for part in str(value).splitlines():
        if part.strip():
            command("add-mask", part, stream=stream)


@contextmanager
def group(title: str, stream: TextIO | None = None) -> Iterator[None]:
    """Fold everything written inside into one collapsible log group."""
    command("group", title, stream=stream)
    try:
        yield
    finally:
        command("endgroup", stream=stream)


@contextmanager
def stop_commands(stream: TextIO | None = None) -> Iterator[str]:
    """Stop workflow-command processing while untrusted text is printed; resumes on exit."""
    token = f"mlgate-{secrets.token_hex(16)}"
    command("stop-commands", token, stream=stream)
    try:
        yield token
    finally:
        command(token, stream=stream)


def format_outputs(mapping: Mapping[str, Any]) -> str:
    """The ``$GITHUB_OUTPUT`` text for ``mapping`` (bools as ``true``/``false``, None as empty)."""
    chunks = []
    for name, value in mapping.items():
        if not _OUTPUT_NAME.fullmatch(name):
            raise InputError(f"step output name {name!r} is not valid; use letters, digits, '_', '-' or '.'")
        text = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
        if "\n" in text or "\r" in text:
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            while delimiter in text:  # pragma: no cover - 128 random bits
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
            chunks.append(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")
        else:
            chunks.append(f"{name}={text}\n")
    return "".join(chunks)


def set_outputs(path: str | Path, mapping: Mapping[str, Any]) -> None:
    """Append ``mapping`` to the ``$GITHUB_OUTPUT`` file at ``path``."""
    with open(path, "a", encoding="utf-8", newline="") as fh:
        fh.write(format_outputs(mapping))


def summary_and_outputs(environ: Mapping[str, str], markdown: str, outputs: Mapping[str, Any]) -> list[str]:
    """The job summary and the step outputs, where the runner asks for them ($GITHUB_STEP_SUMMARY,
    $GITHUB_OUTPUT); a file that cannot be written is one warning, never a failure."""
    try:
        if environ.get("GITHUB_STEP_SUMMARY"):
            append_summary(environ["GITHUB_STEP_SUMMARY"], markdown)
        if environ.get("GITHUB_OUTPUT"):
            set_outputs(environ["GITHUB_OUTPUT"], outputs)
    except OSError as exc:
        return [f"the job summary or outputs could not be written: {exc.strerror or exc}"]
    return []


def append_summary(path: str | Path, markdown: str, *, limit_bytes: int = SUMMARY_LIMIT_BYTES) -> bool:
    """Append ``markdown`` to the job summary at ``path``; returns True when it had to be cut to keep
    the file within ``limit_bytes`` (GitHub rejects a step summary over 1 MiB)."""
    target = Path(path)
    used = target.stat().st_size if target.exists() else 0
    text = markdown if markdown.endswith("\n") else markdown + "\n"
    data = text.encode("utf-8")
    truncated = used + len(data) > limit_bytes
    if truncated:
        note = SUMMARY_NOTE.encode("utf-8")
        room = max(limit_bytes - used - len(note), 0)
        cut = data[:room]
        newline = cut.rfind(b"\n")
        cut = cut[: newline + 1] if newline >= 0 else b""
        data = cut.decode("utf-8", errors="ignore").encode("utf-8") + note
        if used + len(data) > limit_bytes:  # not even the note fits
            return True
    with open(target, "ab") as fh:
        fh.write(data)
    return truncated
