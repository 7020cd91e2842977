"""A report's id (``report.id`` in mlgate.yaml, ``--report-id``): several reports per pull request, each its own
sticky comment and commit status; letters, digits, '.', '_', '-' and '/', at most 100 characters."""

from __future__ import annotations

import re

from mlgate.errors import InputError

_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")


def valid_report_id(report_id: str) -> bool:
    return bool(_ID_RE.fullmatch(report_id or ""))


def check_report_id(report_id: str) -> str:
    if not valid_report_id(report_id):
        raise InputError(f"report-id {report_id!r} is not valid; use letters, digits, '.', '_', '-' or '/'"
                         " (at most 100 characters)")
    return report_id
