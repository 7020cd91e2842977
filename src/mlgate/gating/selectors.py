"""KPI selectors: which metric(s) a key under ``kpis:`` names.

Forms: a dotted key (``accuracy``, ``per_class.benign.recall``); ``path/to/file.json:key`` when the same
key lives in several files; ``*`` matches exactly one key segment (``slices.*.recall``), or any text within one
(``predictions.slice.region=*.accuracy``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from mlgate.errors import ConfigError

Match = tuple[str, str]  # (file path, dotted key)


def split_selector(selector: str, files: Iterable[str]) -> tuple[str | None, str]:
    """('eval/m.json', 'acc') for 'eval/m.json:acc' when that file is known; (None, selector) otherwise."""
    for path in sorted(files, key=len, reverse=True):
        if selector.startswith(path + ":"):
            return path, selector[len(path) + 1 :]
    return None, selector


def key_matches(pattern: str, key: str) -> bool:
    want, have = pattern.split("."), key.split(".")
    return len(want) == len(have) and all(_segment(w, h) for w, h in zip(want, have))


def _segment(want: str, have: str) -> bool:
    """``*`` alone matches any segment; inside one (``region=*``) it matches any text within the segment."""
    if want == "*" or want == have:
        return True
    return "*" in want and re.fullmatch(".*".join(map(re.escape, want.split("*"))), have) is not None


def match(selector: str, keys_by_file: Mapping[str, Iterable[str]], *, source: str = "mlgate.yaml") -> list[Match]:
    """Every (file, key) the selector names, sorted. An exact selector found in two files is ambiguous."""
    file, pattern = split_selector(selector, keys_by_file)
    files = [file] if file else sorted(keys_by_file)
    found = [(f, k) for f in files for k in sorted(keys_by_file.get(f, ())) if key_matches(pattern, k)]
    if "*" not in pattern and len({f for f, _ in found}) > 1:
        where = " and ".join(f for f, _ in found)
        raise ConfigError(
            f"{source}: kpis.{selector}: ambiguous, '{pattern}' is in {where}; "
            f"name the file, e.g. '{found[0][0]}:{pattern}'"
        )
    return found
