"""One safe line: how any text that may carry untrusted parts (metric names, branch names, selectors,
file contents) is printed by mlgate.

GitHub's runner reads a job's stdout and stderr line by line and treats a line whose text (after leading
whitespace) starts with ``::`` as a workflow command (``::error::``, ``::add-mask::``, ``::stop-commands::``).
So everything mlgate prints goes through ``safe_line``: every line break and other control character
becomes a visible escape (``\\n``, ``\\u2028``), so the text stays one line, and a line that would start
with ``::`` is disarmed. ``say`` prints through it.
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

# Everything str.splitlines() breaks on, every other C0/C1 control character and DEL; a tab stays.
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def printable(text: Any) -> str:
    """``text`` that any UTF-8 stream accepts: a lone surrogate (from a YAML ``\\ud800`` escape) is shown as
    its escape instead of failing the write."""
    text = str(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def one_line(text: Any) -> str:
    """``text`` with every line break and control character shown as an escape: one line, always."""
    return _UNSAFE.sub(_escape, printable(text))


def excerpt(text: Any, limit: int = 80) -> str:
    """At most ``limit`` characters of ``text`` as one line, cut with '…': how a message quotes what it read
    from a file (a value, a column name, a parser's complaint), so binary bytes or a huge field stay short."""
    line = one_line(text)
    return line if len(line) <= limit else line[: max(limit - 1, 0)] + "…"


def quoted(text: Any, limit: int = 80) -> str:
    """``repr(text)`` on one line, at most ``limit`` characters: cut with '…' and its full length said, so a
    message never echoes a 96 KB ``where:`` or a file's binary bytes whole."""
    shown = one_line(repr(text))
    if len(shown) <= limit:
        return shown
    return f"{shown[:limit - 1]}… ({len(str(text)):,} characters)"


def safe_line(text: Any) -> str:
    """One line that the Actions runner can never take for a workflow command."""
    line = one_line(text)
    stripped = line.lstrip()
    if stripped.startswith("::"):
        line = line[: len(line) - len(stripped)] + ": :" + stripped[2:]
    return line


def say(text: Any, file: TextIO | None = None) -> None:
    """Print ``text`` (possibly several lines mlgate composed) with each line made safe."""
    out = file or sys.stdout
    lines = str(text).split("\n")
    print("\n".join(safe_line(line) for line in lines), file=out, flush=True)


_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]+@")


def redact_urls(text: str) -> str:
    """``scheme://user:secret@host`` becomes ``scheme://***@host``."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)
