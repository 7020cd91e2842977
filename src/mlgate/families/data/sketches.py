"""Fixed-size, mergeable, deterministic, JSON-serialisable summaries of a dataset's values.

- A uniform row sample of at most ``SAMPLE_ROWS`` (10,000) rows: bottom-k, each row keyed by a 64-bit hash
  of (file, position), the rows with the smallest keys kept. Merging two samples keeps the smallest keys
  of both, so the sample of partitions is the sample of their union. Quantiles, the PSI bins' shares and
  the Kolmogorov–Smirnov test read it: exact up to 10,000 rows; beyond, a share estimated from it has a
  standard error of at most 0.5 percentage points (sqrt(0.25 / 10,000)).
- Distinct counts: HyperLogLog with 2**12 registers over 64-bit hashes (relative standard error
  1.04 / 64 = 1.6 %; far smaller below a few thousand values, where linear counting applies).

Why not Apache DataSketches (it installs, and its sketches merge): its KLL quantile sketch is randomised,
so the same file gives a slightly different median and PSI on every run (measured on 3,000 rows: income
median 22,445 one run, 22,531 the next), which a report would show as a change of unchanged data; its
HLL binding takes one value per Python call (0.38 s per million values, measured); and its KLL update
holds the GIL. Every number here is a function of the data alone.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

HLL_P = 12
SAMPLE_ROWS = 10_000

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over a uint64 array: a well-spread 64-bit hash of each value."""
    return _mix64_inplace(values.astype(np.uint64, copy=True))


def _mix64_inplace(z: np.ndarray) -> np.ndarray:
    z += _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


def hash_numbers(values: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each number (as float64); equal numbers hash alike, 0.0 and -0.0 too."""
    floats = np.add(values, 0.0, dtype=np.float64)  # a fresh array, and -0.0 + 0.0 is 0.0
    return _mix64_inplace(floats.view(np.uint64))


def hash_texts(values: np.ndarray | list[str]) -> np.ndarray:
    """A 64-bit hash of each string (pandas' hash_array: SipHash with a fixed key, stable across runs)."""
    import pandas as pd

    return pd.util.hash_array(np.asarray(values, dtype=object), categorize=False)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


class Distinct:
    """HyperLogLog registers over 64-bit hashes; merge is the element-wise maximum."""

    def __init__(self, registers: np.ndarray | None = None) -> None:
        self.registers = np.zeros(1 << HLL_P, dtype=np.uint8) if registers is None else registers

    def add_hashes(self, hashes: np.ndarray) -> None:
        if not len(hashes):
            return
        width = 64 - HLL_P
        low = hashes & np.uint64((1 << width) - 1)  # the bits after the register index: exact in a float64
        floor = int(self.registers.min())
        if floor > 1:  # a value raises a register only if its rank beats the lowest one: rank > floor
            keep = low < np.uint64(1 << (width - floor + 1))
            hashes, low = hashes[keep], low[keep]
        index = (hashes >> np.uint64(width)).astype(np.intp)
        _, exponent = np.frexp(low.astype(np.float64))  # low = m * 2**exponent with 0.5 <= m < 1
        rank = np.where(low == 0, width + 1, width - exponent + 1).astype(np.uint8)
        useful = rank > self.registers[index]
        np.maximum.at(self.registers, index[useful], rank[useful])

    def merge(self, other: Distinct) -> None:
        np.maximum(self.registers, other.registers, out=self.registers)

    def estimate(self) -> int:
        m = float(len(self.registers))
        zeros = int(np.count_nonzero(self.registers == 0))
        if zeros == len(self.registers):
            return 0
        raw = (0.7213 / (1 + 1.079 / m)) * m * m / float(np.sum(np.ldexp(1.0, -self.registers.astype(np.int64))))
        if raw <= 2.5 * m and zeros:
            return int(round(m * np.log(m / zeros)))  # linear counting: accurate for small counts
        return int(round(raw))

    def to_dict(self) -> str:
        return _b64(self.registers.tobytes())

    @classmethod
    def from_dict(cls, data: str) -> Distinct:
        return cls(np.frombuffer(_unb64(data), dtype=np.uint8).copy())


class RowSample:
    """Up to SAMPLE_ROWS rows chosen uniformly (bottom-k on a hash of each row's position).

    ``values`` holds one float64 array per numeric column (NaN where the row's value is missing).
    """

    def __init__(self, columns: list[str], keys: np.ndarray | None = None,
                 values: dict[str, np.ndarray] | None = None) -> None:
        self.keys = np.empty(0, dtype=np.uint64) if keys is None else keys
        self.values = values if values is not None else {c: np.empty(0) for c in columns}

    def threshold(self) -> np.uint64:
        if len(self.keys) < SAMPLE_ROWS:
            return np.uint64(np.iinfo(np.uint64).max)
        return self.keys.max()

    def add(self, keys: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        self._combine(keys, columns)

    def merge(self, other: RowSample) -> None:
        self._combine(other.keys, other.values)

    def _combine(self, keys: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        keep = keys <= self.threshold()
        if not keep.any():
            return
        all_keys = np.concatenate([self.keys, keys[keep]])
        order = np.argsort(all_keys, kind="stable")[:SAMPLE_ROWS]
        self.keys = all_keys[order]
        self.values = {c: np.concatenate([self.values[c], columns[c][keep]])[order] for c in self.values}

    def column(self, name: str) -> np.ndarray:
        """The sampled rows' values of a numeric column, missing ones left out, sorted."""
        values = self.values[name]
        return np.sort(values[~np.isnan(values)])

    def to_dict(self) -> dict[str, Any]:
        return {"keys": _b64(self.keys.astype("<u8").tobytes()),
                "values": {c: _b64(v.astype("<f8").tobytes()) for c, v in self.values.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowSample:
        values = {c: np.frombuffer(_unb64(v), dtype="<f8").astype(np.float64) for c, v in data["values"].items()}
        return cls(list(values), np.frombuffer(_unb64(data["keys"]), dtype="<u8").astype(np.uint64), values)
