"""Fixed-size, mergeable, JSON-serialisable summaries of a column's values.

- Quantiles: Apache DataSketches' KLL sketch (``datasketches.kll_doubles_sketch``, k = 400: exact up to
  400 values, then a normalised rank error of about 0.7 %), updated a whole numpy array at a time.
- Distinct counts: HyperLogLog with 2**12 registers (relative standard error 1.04 / 64 = 1.6 %; far
  smaller below a few thousand values, where linear counting applies). DataSketches has HLL too, but its
  Python binding takes one value per call (0.38 s per million values, measured), which alone would blow
  the benchmark's budget; the same algorithm over numpy arrays costs about 0.02 s per million.
- A uniform row sample of at most ``SAMPLE_ROWS`` rows (bottom-k: each row gets a pseudo-random key from
  its position, the rows with the smallest keys are kept), for the Kolmogorov–Smirnov test. Merging two
  samples keeps the smallest keys of both, so a sample of partitions is the sample of their union.
"""

from __future__ import annotations

import base64
from typing import Any

import datasketches
import numpy as np

KLL_K = 400
HLL_P = 12
SAMPLE_ROWS = 2000

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def mix64(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser over a uint64 array: a well-spread 64-bit hash of each value."""
    z = values.astype(np.uint64, copy=True)
    z += _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


def hash_numbers(values: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each number; equal numbers hash alike (0.0 and -0.0 too)."""
    if values.dtype.kind in "iu":
        return mix64(values.astype(np.int64, copy=False).view(np.uint64))
    floats = values.astype(np.float64, copy=True)
    floats[floats == 0] = 0.0  # -0.0 == 0.0
    return mix64(floats.view(np.uint64))


def hash_texts(values: list[str]) -> np.ndarray:
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
        index = (hashes >> np.uint64(64 - HLL_P)).astype(np.intp)
        rest = hashes & np.uint64((1 << (64 - HLL_P)) - 1)  # the low 52 bits: exact in a float64
        _, exponent = np.frexp(rest.astype(np.float64))  # rest = m * 2**exponent, 0.5 <= m < 1
        rank = np.where(rest == 0, 64 - HLL_P + 1, 64 - HLL_P - exponent + 1).astype(np.uint8)
        useful = rank > self.registers[index]  # most values cannot raise their register: skip them early
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


class Quantiles:
    """A KLL sketch of a column's non-missing numbers."""

    def __init__(self, sketch: Any = None) -> None:
        self.sketch = sketch if sketch is not None else datasketches.kll_doubles_sketch(KLL_K)

    def add(self, values: np.ndarray) -> None:
        if len(values):
            self.sketch.update(np.ascontiguousarray(values, dtype=np.float64))

    def merge(self, other: Quantiles) -> None:
        self.sketch.merge(other.sketch)

    @property
    def n(self) -> int:
        return int(self.sketch.n)

    def quantiles(self, ranks: list[float]) -> list[float]:
        return [float(q) for q in self.sketch.get_quantiles(ranks)] if self.n else []

    def share_below(self, points: list[float]) -> list[float]:
        """Share of values < each point (points strictly increasing)."""
        if not self.n:
            return [0.0] * len(points)
        return [float(v) for v in self.sketch.get_cdf(points, False)[:-1]]

    def share_at_most(self, points: list[float]) -> list[float]:
        """Share of values <= each point (points strictly increasing)."""
        if not self.n:
            return [0.0] * len(points)
        return [float(v) for v in self.sketch.get_cdf(points, True)[:-1]]

    def rank_error(self) -> float:
        return float(self.sketch.normalized_rank_error(False)) if self.sketch.is_estimation_mode() else 0.0

    def to_dict(self) -> str:
        return _b64(self.sketch.serialize())

    @classmethod
    def from_dict(cls, data: str) -> Quantiles:
        return cls(datasketches.kll_doubles_sketch.deserialize(_unb64(data)))


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
        values = self.values[name]
        return values[~np.isnan(values)]

    def to_dict(self) -> dict[str, Any]:
        return {"keys": _b64(self.keys.astype("<u8").tobytes()),
                "values": {c: _b64(v.astype("<f8").tobytes()) for c, v in self.values.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowSample:
        values = {c: np.frombuffer(_unb64(v), dtype="<f8").astype(np.float64) for c, v in data["values"].items()}
        return cls(list(values), np.frombuffer(_unb64(data["keys"]), dtype="<u8").astype(np.uint64), values)
