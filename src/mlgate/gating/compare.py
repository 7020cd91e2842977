"""Head against base, in DVC's diff shape: ``{path: {key: {"old", "new", "diff"}}}``.

Pure functions over plain data. Every key on either side appears; an added key has ``old: None``, a
removed one ``new: None``; ``diff`` is present only when both sides are numbers.
"""

from __future__ import annotations

import math
from typing import Any

from mlgate.gating.rules import is_number
from mlgate.gating.snapshot import Flat


def numeric_diff(old: Any, new: Any) -> float | None:
    if not (is_number(old) and is_number(new)):
        return None
    if math.isinf(old) and math.isinf(new) and old == new:
        return 0.0
    return new - old


def relative_change(old: Any, new: Any) -> float | None:
    """(new - old) / |old|, or None when it is undefined (not numbers, zero or non-finite base)."""
    diff = numeric_diff(old, new)
    if diff is None or not math.isfinite(old) or old == 0:
        return None
    return diff / abs(old)


def diff_entry(old: Any, new: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"old": old, "new": new}
    diff = numeric_diff(old, new)
    if diff is not None:
        entry["diff"] = diff
    return entry


def entry_status(entry: dict[str, Any]) -> str:
    """added | removed | changed | unchanged (NaN equals NaN here: nothing changed)."""
    old, new = entry.get("old"), entry.get("new")
    if old is None and new is not None:
        return "added"
    if new is None and old is not None:
        return "removed"
    same_kind = isinstance(old, bool) == isinstance(new, bool)  # `true` -> `1` is a change, though True == 1
    if (old == new and same_kind) or (is_number(old) and is_number(new) and math.isnan(old) and math.isnan(new)):
        return "unchanged"
    return "changed"


def diff_flat(old: Flat | None, new: Flat) -> dict[str, dict[str, dict[str, Any]]]:
    """Every key of every file on either side, sorted by file then key."""
    old = old or {}
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(set(old) | set(new)):
        old_keys, new_keys = old.get(path, {}), new.get(path, {})
        entries = {key: diff_entry(old_keys.get(key), new_keys.get(key)) for key in sorted(set(old_keys) | set(new_keys))}
        if entries:
            out[path] = entries
    return out


def changed_only(diff: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    out = {}
    for path, entries in diff.items():
        kept = {key: e for key, e in entries.items() if entry_status(e) != "unchanged"}
        if kept:
            out[path] = kept
    return out
