"""The hidden first line of every report: ``<!-- mlgate:report id=<id> head=<sha> -->``.

It names the report (several per pull request) and the commit it describes; the sticky-comment code finds
its own comment by it, and refuses to let an older commit's report overwrite a newer one.
"""

from __future__ import annotations

import re

from mlgate.config.report_id import check_report_id
from mlgate.errors import InputError

COMMENT_LIMIT = 65_536  # characters GitHub accepts in a comment body (the report is rendered to fit)

_MARKER_RE = re.compile(r"^<!-- mlgate:report id=(?P<id>\S+) head=(?P<head>[0-9A-Fa-f]*) -->[ \t]*$")






def marker(report_id: str, head_sha: str | None) -> str:
    """The marker line; `head_sha` None (an uncommitted work tree) leaves the head empty."""
    check_report_id(report_id)
    if head_sha and not re.fullmatch(r"[0-9A-Fa-f]{4,64}", head_sha):
        raise InputError(f"head SHA {head_sha!r} is not a commit SHA; pass the pull request's head commit")
    return f"<!-- mlgate:report id={report_id} head={head_sha or ''} -->"


def parse_marker(body: str | None) -> tuple[str, str] | None:
    """``(report_id, head_sha)`` from a body's first line, or None."""
    if not body:
        return None
    first = body.lstrip().split("\n", 1)[0].rstrip("\r")
    match = _MARKER_RE.match(first)
    return (match["id"], match["head"]) if match else None
