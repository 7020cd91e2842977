"""A dataset's profile: per-column counts, moments, sketches and a row sample, built batch by batch.

``DatasetProfile.add(batch)`` folds in one Arrow record batch; ``merge`` folds in another profile of the
same schema (a partition), so the profile of a partitioned dataset is the merge of its partitions'
profiles. ``to_dict``/``from_dict`` make it plain JSON (sketches as base64 text).

A column is *numeric* when Arrow reads it as integers, floats or decimals, and *categorical* otherwise
(text, booleans, dates; and the target column whatever its type). NaN counts as missing. Categorical
columns keep exact counts of each value up to ``MAX_CATEGORIES`` distinct values; beyond that only the
distinct-count sketch is kept (an identifier or free text: no category drift).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from mlgate.families.data.sketches import Distinct, RowSample, hash_numbers, hash_texts, mix64
from mlgate.text.safe import excerpt

MAX_CATEGORIES = 1000
NUMERIC, CATEGORICAL = "numeric", "categorical"


class SchemaMismatch(ValueError):
    """Two profiles (partitions) disagree on a column's presence or type."""


@contextmanager
def quiet_numbers() -> Iterator[None]:
    """numpy's floating-point warnings and scipy's RuntimeWarnings off: a column holding an infinity or a
    number near the float limit gives ``inf`` or ``nan`` figures, reported as such, never raw warning lines
    on stderr."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def kind_of(dtype: pa.DataType) -> str:
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return NUMERIC
    return CATEGORICAL


def type_name(dtype: pa.DataType) -> str:
    """Arrow's type, with the storage details a reader does not care about folded away."""
    if pa.types.is_dictionary(dtype):
        return type_name(dtype.value_type)
    if pa.types.is_large_string(dtype) or pa.types.is_string_view(dtype):
        return "string"
    return str(dtype)


@dataclass
class ColumnProfile:
    name: str
    type: str
    kind: str
    rows: int = 0
    missing: int = 0
    # numeric: count, mean and sum of squared deviations (Chan et al.'s parallel update), range
    count: int = 0
    mean: float = 0.0
    m2: float = 0.0
    min: float | None = None
    max: float | None = None
    # categorical: exact counts while there are at most MAX_CATEGORIES values, else None
    counts: dict[str, int] | None = field(default_factory=dict)
    distinct: Distinct = field(default_factory=Distinct)

    # -- building ------------------------------------------------------------------------------------

    def add(self, array: pa.Array | pa.ChunkedArray) -> np.ndarray | None:
        """Fold in one batch of this column; return its values as float64 (NaN = missing) if numeric."""
        self.rows += len(array)
        if self.kind == NUMERIC:
            return self._add_numbers(array)
        self._add_categories(array)
        return None

    def _add_numbers(self, array: pa.Array | pa.ChunkedArray) -> np.ndarray:
        if not pa.types.is_float64(array.type):
            array = pc.cast(array, pa.float64())
        full = array.to_numpy(zero_copy_only=False)  # nulls become NaN
        nan = np.isnan(full)
        values = full[~nan] if nan.any() else full
        self.missing += len(full) - len(values)
        if len(values):
            floats = values
            n, mean = len(floats), float(floats.mean())
            m2 = float(np.var(floats)) * n  # not np.dot: BLAS threads would fight for the cores
            self._combine_moments(n, mean, m2)
            low, high = float(floats.min()), float(floats.max())
            self.min = low if self.min is None else min(self.min, low)
            self.max = high if self.max is None else max(self.max, high)
            self.distinct.add_hashes(hash_numbers(values))
        return full

    def _add_categories(self, array: pa.Array | pa.ChunkedArray) -> None:
        self.missing += array.null_count
        kept = (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary,
                pa.types.is_dictionary, pa.types.is_null)
        if not any(is_type(array.type) for is_type in kept):
            array = pc.cast(array, pa.string())
        if pa.types.is_null(array.type) or array.null_count == len(array):
            return
        counted = pc.value_counts(array)
        values, counts = counted.field("values"), counted.field("counts")
        if pa.types.is_dictionary(values.type):
            values = values.cast(values.type.value_type)
        if values.null_count:
            present = values.is_valid()
            values, counts = values.filter(present), counts.filter(present)
        self.distinct.add_hashes(hash_texts(values.to_numpy(zero_copy_only=False)))
        if self.counts is None or len(values) > MAX_CATEGORIES:  # an identifier or free text: no counts
            self.counts = None
            return
        self._combine_counts(dict(zip((str(v) for v in values.to_pylist()), counts.to_pylist())))

    def _combine_moments(self, n: int, mean: float, m2: float) -> None:
        total = self.count + n
        delta = mean - self.mean
        self.m2 = self.m2 + m2 + delta * delta * self.count * n / total
        self.mean = self.mean + delta * n / total
        self.count = total

    def _combine_counts(self, other: dict[str, int] | None) -> None:
        if self.counts is None or other is None:
            self.counts = None
            return
        for name, count in other.items():
            self.counts[name] = self.counts.get(name, 0) + count
        if len(self.counts) > MAX_CATEGORIES:
            self.counts = None

    def merge(self, other: ColumnProfile) -> None:
        if (other.type, other.kind) != (self.type, self.kind):
            raise SchemaMismatch(f"column {self.name!r} is {self.type} in one part but {other.type} in another")
        self.rows += other.rows
        self.missing += other.missing
        self.distinct.merge(other.distinct)
        if self.kind == NUMERIC:
            if other.count:
                self._combine_moments(other.count, other.mean, other.m2)
                self.min = other.min if self.min is None else min(self.min, other.min)  # type: ignore[type-var]
                self.max = other.max if self.max is None else max(self.max, other.max)  # type: ignore[type-var]
        else:
            self._combine_counts(other.counts)

    # -- reading -------------------------------------------------------------------------------------

    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def missing_share(self) -> float:
        return self.missing / self.rows if self.rows else 0.0

    @property
    def distinct_count(self) -> int:
        if self.counts is not None and self.kind == CATEGORICAL:
            return len(self.counts)
        return min(self.distinct.estimate(), self.present)

    @property
    def std(self) -> float | None:
        return math.sqrt(self.m2 / (self.count - 1)) if self.count > 1 else None

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The n most frequent values and their shares of the present values."""
        if not self.counts or not self.present:
            return []
        ranked = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))[:n]
        return [(name, count / self.present) for name, count in ranked]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "kind": self.kind, "rows": self.rows,
                               "missing": self.missing, "distinct": self.distinct.to_dict()}
        if self.kind == NUMERIC:
            out.update(count=self.count, mean=self.mean, m2=self.m2, min=self.min, max=self.max)
        else:
            out["counts"] = None if self.counts is None else dict(self.counts)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnProfile:
        column = cls(name=data["name"], type=data["type"], kind=data["kind"], rows=data["rows"],
                     missing=data["missing"], distinct=Distinct.from_dict(data["distinct"]))
        if column.kind == NUMERIC:
            column.count, column.mean, column.m2 = data["count"], data["mean"], data["m2"]
            column.min, column.max = data["min"], data["max"]
        else:
            column.counts = None if data["counts"] is None else dict(data["counts"])
        return column


@dataclass
class DatasetProfile:
    columns: dict[str, ColumnProfile]
    rows: int = 0
    parts: int = 0
    sample: RowSample = field(default_factory=lambda: RowSample([]))

    @classmethod
    def empty(cls, schema: pa.Schema, categorical: tuple[str, ...] = ()) -> DatasetProfile:
        columns = {}
        for f in schema:
            kind = CATEGORICAL if f.name in categorical else kind_of(f.type)
            columns[f.name] = ColumnProfile(f.name, type_name(f.type), kind)
        numeric = [name for name, c in columns.items() if c.kind == NUMERIC]
        return cls(columns=columns, parts=1, sample=RowSample(numeric))

    @property
    def schema(self) -> list[tuple[str, str]]:
        return [(c.name, c.type) for c in self.columns.values()]

    def names_text(self, limit: int = 5) -> str:
        """The first column names for a message, bounded: 'a, b, c …', or 'no columns'."""
        names = list(self.columns)
        return excerpt(", ".join(names[:limit]) + (" …" if len(names) > limit else ""), 100) if names else "no columns"

    def add(self, batch: pa.RecordBatch, seed: int) -> None:
        """Fold in one batch; `seed` (32 bits, one per file) and the row's position give its sample key."""
        positions = np.arange(self.rows, self.rows + batch.num_rows, dtype=np.uint64)
        keys = mix64(positions | np.uint64((seed & 0xFFFFFFFF) << 32))  # unique while a file has < 2**32 rows
        numbers: dict[str, np.ndarray] = {}
        for name, column in self.columns.items():
            full = column.add(batch.column(name))
            if full is not None:
                numbers[name] = full
        self.sample.add(keys, numbers)
        self.rows += batch.num_rows

    def values(self, name: str) -> np.ndarray:
        """A numeric column's sampled values, sorted: all of them up to SAMPLE_ROWS rows."""
        return self.sample.column(name)

    def quantile(self, name: str, rank: float) -> float | None:
        """The smallest sampled value with at least `rank` of the sample at or below it (an observed value)."""
        values = self.values(name)
        return float(np.quantile(values, rank, method="inverted_cdf")) if len(values) else None

    def merge(self, other: DatasetProfile) -> None:
        if list(self.columns) != list(other.columns):
            mine, theirs = set(self.columns), set(other.columns)
            odd = sorted(mine ^ theirs) or [n for n, m in zip(self.columns, other.columns) if n != m][:1]
            raise SchemaMismatch(f"the parts do not have the same columns (first difference: {odd[0]!r})")
        for name, column in self.columns.items():
            column.merge(other.columns[name])
        self.sample.merge(other.sample)
        self.rows += other.rows
        self.parts += other.parts

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "parts": self.parts, "columns": [c.to_dict() for c in self.columns.values()],
                "sample": self.sample.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetProfile:
        columns = {c["name"]: ColumnProfile.from_dict(c) for c in data["columns"]}
        return cls(columns=columns, rows=data["rows"], parts=data["parts"], sample=RowSample.from_dict(data["sample"]))
