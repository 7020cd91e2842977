"""Read a plot's data file into records (a list of {field: value}), as DVC does for its plots.

JSON and YAML: a list of mappings, or a mapping whose first list-of-mappings value holds them (dvclive
and most scripts write ``{"roc": [...]}``). CSV and TSV: one record per row, numbers parsed. Anything
else, or a file larger than ``MAX_BYTES``, raises PlotDataError with a short reason.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

MAX_BYTES = 20_000_000

Record = dict[str, Any]


class PlotDataError(Exception):
    """A plot's data file cannot be read; the message says why in a few words."""


def read_records(path: Path, name: str) -> list[Record]:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise PlotDataError(f"larger than {MAX_BYTES // 1_000_000} MB")
    raw = path.read_bytes()
    suffix = PurePosixPath(name).suffix.lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlotDataError("not UTF-8 text") from None
    if suffix in (".csv", ".tsv"):
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        try:
            return [{str(k): _number(v) for k, v in row.items() if k is not None} for row in reader]
        except csv.Error as exc:
            raise PlotDataError(f"not valid CSV: {exc}") from None
    try:
        data = json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise PlotDataError(f"not valid {'JSON' if suffix == '.json' else 'YAML'}: {str(exc).splitlines()[0][:80]}") from None
    records = _records(data)
    if records is None:
        raise PlotDataError("holds no list of records")
    return records


def _records(data: Any) -> list[Record] | None:
    if isinstance(data, list) and all(isinstance(r, dict) for r in data):
        return [{str(k): v for k, v in r.items()} for r in data]
    if isinstance(data, dict):
        for value in data.values():
            found = _records(value) if isinstance(value, list) else None
            if found is not None:
                return found
    return None


def _number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number


def numeric(value: Any) -> float | None:
    """A finite float from a record's value; None for text, bools, NaN and missing values."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def default_y(records: list[Record], x: str | None) -> tuple[str, ...]:
    """DVC's default y: the last field of the first record that is not x (nor the step/timestamp of dvclive)."""
    if not records:
        return ()
    candidates = [k for k in records[0] if k not in (x, "step", "timestamp")]
    return (candidates[-1],) if candidates else ()
