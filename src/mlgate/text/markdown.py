"""Untrusted text written into Markdown: as inert prose (``text``) or one inline code span (``code``).

Nothing either returns is Markdown, HTML or an @mention GitHub would act on. While a report is over its size
budget, ``cell_chars`` holds the characters one cell may show; ``cut_cells`` sets it for a render.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mlgate.text.safe import printable

_cell_chars: ContextVar[int | None] = ContextVar("cell_chars", default=None)


def code(value: Any, table: bool = True) -> str:
    """Untrusted text as an inline code span: nothing inside is Markdown, HTML or a mention.

    In a table cell a `|` would end the cell even inside a code span, so it is escaped there only.
    """
    text = _fit(" ".join(str(value).split()))
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fit(text: str) -> str:
    """Untrusted text cut to the budget's cell size (when the report is over budget)."""
    text = printable(text)
    limit = _cell_chars.get()
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")  # enough to stop emphasis, code, links, tables


_MENTION = re.compile(r"(?<![\w`])@[\w][\w./-]*")  # @user, @org/team: what GitHub would turn into a mention


def text(value: Any) -> str:
    """Untrusted text as inert Markdown prose: specials escaped, HTML disarmed, and each would-be @mention put in a
    code span (GitHub links no mention there), so the text copies back exactly, with no invisible character."""
    s = _fit(" ".join(str(value).split()))
    out, at = [], 0
    for m in _MENTION.finditer(s):
        out += [_prose(s[at:m.start()]), code(m.group(0))]
        at = m.end()
    return "".join([*out, _prose(s[at:])])


def _prose(s: str) -> str:
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


@contextmanager
def cut_cells(chars: int | None) -> Iterator[None]:
    """Within the block, untrusted text in a cell is cut to ``chars`` characters (None: uncut)."""
    token = _cell_chars.set(chars)
    try:
        yield
    finally:
        _cell_chars.reset(token)
