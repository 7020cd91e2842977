"""Slices: the predictions metrics on subsets of the rows that matter (a region, an age band, night shifts).

Three kinds of slice definition (``predictions.slices`` in mlgate.yaml), over the columns of the
predictions file, or of ``predictions.features`` joined on the id:

* a column name — categorical: one slice per value, named ``region=north`` (at most ``MAX_VALUES``
  values; rows with a missing value are in no slice);
* ``{column: [e0, e1, …]}`` — numeric bins [e0, e1), [e1, e2), …, named ``age=[18,65)``; values outside
  the edges are in no bin;
* ``{name: night_shift, where: "hour < 6 or hour >= 22"}`` — a named filter in pandas query syntax.

A ``.`` or ``*`` in a slice name becomes ``_`` (metric keys are dotted, and ``*`` is a wildcard), so the
slice's metrics are ``predictions.slice.<name>.<metric>``. Slices with fewer rows than ``min_size``
(default 30) at a side are reported but not gated. Comparisons on a slice use the same interval
machinery as the whole file (``stats.intervals``): paired rows belong to a slice by the head's columns.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from mlgate.errors import InputError
from mlgate.stats import metrics as m
from mlgate.stats.intervals import Comparison, compare_paired, compare_unpaired
from mlgate.stats.predictions import FORMATS, Pairing, Predictions, PredictionSpec, _read
from mlgate.stats.where import check
from mlgate.text.safe import one_line, quoted

PREFIX = "predictions.slice."
DEFAULT_MIN_SIZE = 30
MAX_VALUES = 100


@dataclass(frozen=True)
class SliceDef:
    """One slice: which rows belong to it."""

    name: str
    kind: str  # "value" | "bin" | "query"
    column: str | None = None
    value: Any = None
    low: float | None = None
    high: float | None = None
    where: str | None = None

    def describe(self) -> str:
        if self.kind == "value":
            return f"{self.column} = {self.value}"
        if self.kind == "bin":
            return f"{self.low:g} ≤ {self.column} < {self.high:g}"
        return str(self.where)


@dataclass(frozen=True)
class SliceSpec:
    """A slice definition as written in mlgate.yaml (one entry of ``predictions.slices``)."""

    column: str | None = None  # categorical, or binned when ``bins`` is set
    bins: tuple[float, ...] | None = None
    name: str | None = None  # a named filter ...
    where: str | None = None  # ... in pandas query syntax


def safe_name(text: str) -> str:
    """A slice name usable as one segment of a dotted metric key."""
    out = "".join("_" if ch in ".*" or not ch.isprintable() else ch for ch in str(text))
    return out or "_"


def _number(value: float) -> str:
    return safe_name(f"{value:g}")


# --------------------------------------------------------------------------------------------------
# Reading the columns slices need


def read_columns(path: str | Path, source: str | Path | IO[bytes], spec: PredictionSpec, columns: Sequence[str],
                 *, name: str, features: tuple[str, str | Path | IO[bytes], str] | None = None) -> pd.DataFrame:
    """The predictions file's rows (in file order) with its columns, checked to hold ``columns``.

    ``features`` is (path, source, name) of a file whose other columns join on the id (left join, so
    the rows stay those of the predictions file). InputError names the file and a missing column.
    """
    fmt = FORMATS.get(Path(str(path)).suffix.lower())
    if fmt is None:
        raise InputError(f"{name}: unknown file type; write CSV (.csv), JSON lines (.jsonl) or Parquet (.parquet)")
    frame = _read(fmt, source, spec, name)
    frame = frame.assign(**{spec.id: frame[spec.id].astype(str)}) if spec.id in frame.columns else frame
    if features is not None:
        f_path, f_source, f_name = features
        f_fmt = FORMATS.get(Path(str(f_path)).suffix.lower())
        if f_fmt is None:
            raise InputError(f"{f_name}: unknown file type for predictions.features; use .csv, .jsonl or .parquet")
        extra = _read(f_fmt, f_source, spec, f_name)
        if spec.id not in extra.columns:
            raise InputError(
                f"{f_name}: no column {spec.id!r} (predictions.id) to join the features on; "
                f"columns present: {', '.join(map(str, extra.columns))}"
            )
        extra = extra.assign(**{spec.id: extra[spec.id].astype(str)}).drop_duplicates(spec.id)
        if spec.id in frame.columns and len(frame) and len(extra) and not frame[spec.id].isin(extra[spec.id]).any():
            raise InputError(
                f"{f_name}: no id in column {spec.id!r} matches an id of {name} (e.g. {quoted(extra[spec.id].iloc[0])} "
                f"here, {quoted(frame[spec.id].iloc[0])} there), so every slice would be empty; predictions.features "
                "must hold the predictions' ids"
            )
        keep = [spec.id] + [c for c in extra.columns if c not in frame.columns]  # a query may use any of them
        frame = frame.merge(extra[keep], on=spec.id, how="left", sort=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        where = f"{name}{' or ' + features[2] if features else ''}"
        raise InputError(
            f"{where}: no column {missing[0]!r} (predictions.slices); columns present: "
            f"{', '.join(map(str, frame.columns))}; add it to the file, join it with predictions.features, "
            "or fix predictions.slices"
        )
    return frame


def needed_columns(specs: Sequence[SliceSpec]) -> list[str]:
    """Columns named by column slices (a query's columns are only known when it runs)."""
    return list(dict.fromkeys(s.column for s in specs if s.column is not None))


# --------------------------------------------------------------------------------------------------
# Definitions and membership


def define(specs: Sequence[SliceSpec], frames: Sequence[pd.DataFrame], *, source: str) -> list[SliceDef]:
    """The slices the specs give on these frames (head and base: a value at either side is a slice)."""
    defs: list[SliceDef] = []
    for spec in specs:
        if spec.where is not None:
            defs.append(SliceDef(name=safe_name(spec.name or spec.where), kind="query", where=spec.where))
        elif spec.bins is not None:
            col = str(spec.column)
            for frame in frames:
                if not (pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])):
                    raise InputError(
                        f"{source}: column {col!r} is not numeric, so predictions.slices cannot bin it; "
                        f"list it without edges (one slice per value) or fix the column"
                    )
            for lo, hi in zip(spec.bins, spec.bins[1:]):
                defs.append(SliceDef(name=f"{safe_name(col)}=[{_number(lo)},{_number(hi)})", kind="bin", column=col,
                                     low=lo, high=hi))
        else:
            col = str(spec.column)
            values = pd.unique(pd.concat([f[col] for f in frames], ignore_index=True).dropna())
            if len(values) > MAX_VALUES:
                raise InputError(
                    f"{source}: column {col!r} has {len(values):,} distinct values, more than {MAX_VALUES} slices; "
                    f"give it bin edges ({col}: [e0, e1, ...]) or use a named filter (name:, where:)"
                )
            try:
                ordered = sorted(values.tolist())
            except TypeError:
                ordered = sorted(values.tolist(), key=str)
            defs += [SliceDef(name=f"{safe_name(col)}={safe_name(_text(v))}", kind="value", column=col, value=v)
                     for v in ordered]
    seen: dict[str, SliceDef] = {}
    for d in defs:
        if d.name in seen:
            raise InputError(f"{source}: two slices are called {quoted(d.name)}; give the named filters distinct names")
        seen[d.name] = d
    return defs


def _text(value: Any) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if isinstance(value, np.generic) else value)


def membership(defs: Sequence[SliceDef], frame: pd.DataFrame, *, source: str) -> dict[str, np.ndarray]:
    """For each slice, a boolean array over the frame's rows (a column absent here gives no rows)."""
    out: dict[str, np.ndarray] = {}
    codes: dict[str, tuple[np.ndarray, dict[Any, int]]] = {}
    for d in defs:
        if d.kind == "query":
            out[d.name] = _query(d, frame, source)
            continue
        col = str(d.column)
        if col not in frame.columns:
            out[d.name] = np.zeros(len(frame), dtype=bool)
            continue
        if d.kind == "bin":
            values = frame[col].to_numpy(dtype=np.float64, na_value=np.nan)
            out[d.name] = (values >= d.low) & (values < d.high)
            continue
        if col not in codes:
            c, uniques = pd.factorize(frame[col])
            codes[col] = (c, {_key(v): i for i, v in enumerate(uniques.tolist())})
        c, lookup = codes[col]
        where = lookup.get(_key(d.value), -1)
        out[d.name] = (c == where) if where >= 0 else np.zeros(len(frame), dtype=bool)
    return out


def _key(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _query(d: SliceDef, frame: pd.DataFrame, source: str) -> np.ndarray:
    """The rows where ``d.where`` holds: checked first (mlgate.stats.where), then evaluated by pandas over
    the frame's columns only (no local or global variable resolves)."""
    where, name = str(d.where), quoted(d.name)
    try:
        check(where)
        result = frame.eval(where, local_dict={}, global_dict={})
    except Exception as exc:  # noqa: BLE001 - pandas raises many kinds for a bad expression; all are bad input
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"{source}: slice {name}: cannot evaluate where: {quoted(where)}: {one_line(detail)[:200]}; "
            "use pandas query syntax over the file's columns (e.g. \"hour < 6 or hour >= 22\")"
        ) from None
    values = np.asarray(result)
    if values.shape != (len(frame),) or values.dtype != bool:
        raise InputError(
            f"{source}: slice {name}: where: {quoted(where)} does not give true/false per row; "
            "write a condition, e.g. \"hour < 6\""
        )
    return values


# --------------------------------------------------------------------------------------------------
# Metrics per slice


@dataclass
class SliceResult:
    """One slice's metrics at each side (None for a side without its rows)."""

    name: str
    description: str
    n_head: int
    n_base: int | None  # None: no base predictions
    head: dict[str, float] = field(default_factory=dict)  # short metric name -> value
    base: dict[str, float] | None = None
    gated: bool = True
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "n_head": self.n_head, "n_base": self.n_base,
                "head": self.head, "base": self.base, "gated": self.gated, "notes": list(self.notes)}


@dataclass(frozen=True)
class Encoded:
    """One side's classes encoded once, so each slice's count metrics are one ``bincount`` away."""

    labels: np.ndarray  # the classes of both sides, sorted (stats.metrics.class_labels)
    truth: np.ndarray  # class codes of the labels
    predicted: np.ndarray  # class codes of the predictions
    pos_index: int


def encode_side(p: Predictions, labels: np.ndarray) -> Encoded:
    return Encoded(labels=labels, truth=m.encode(p.label, labels), predicted=m.encode(p.prediction, labels),
                   pos_index=len(labels) - 1)


def slice_metrics(p: Predictions, rows: np.ndarray, names: Sequence[str], encoded: Encoded | None = None
                  ) -> tuple[dict[str, float], list[str]]:
    """Each metric on the rows of one side's slice; an undefined one is left out with a note.

    With ``encoded`` (classification), classes are those of the whole file, so a slice holding one class
    keeps the file's positive class; count metrics come from the slice's per-class counts.
    """
    out: dict[str, float] = {}
    undefined: list[str] = []
    if len(rows) == 0:
        return out, undefined
    label, pred = p.label[rows], p.prediction[rows]
    score = None if p.score is None else p.score[rows]
    counts = None
    for name in names:
        metric = m.get_metric(name)
        if metric.needs_score and score is None:
            continue
        try:
            if encoded is not None and metric.kind == "counts":
                if counts is None:
                    counts = m.counts(encoded.truth[rows], encoded.predicted[rows], len(encoded.labels))
                value = float(m.from_counts(metric, counts, encoded.pos_index))
            else:
                value = m.compute(name, label, pred, score, labels=None if encoded is None else encoded.labels)
        except ValueError:
            value = float("nan")
        if math.isfinite(value):
            out[name] = float(value)
        else:
            undefined.append(name)
    return out, undefined


def compute_slices(defs: Sequence[SliceDef], names: Sequence[str], head: Predictions, head_rows: dict[str, np.ndarray],
                   base: Predictions | None = None, base_rows: dict[str, np.ndarray] | None = None,
                   *, min_size: int = DEFAULT_MIN_SIZE) -> list[SliceResult]:
    """Every slice's metrics at both sides, with its size and what keeps it from being gated."""
    out: list[SliceResult] = []
    regression = any(m.get_metric(n).regression for n in names)
    h_enc = b_enc = None
    if not regression:
        sides = [head] + ([base] if base is not None else [])
        labels = m.class_labels(*[a for p in sides for a in (p.label, p.prediction)])
        h_enc = encode_side(head, labels)
        b_enc = encode_side(base, labels) if base is not None else None
    for d in defs:
        h_idx = np.flatnonzero(head_rows[d.name])
        b_idx = None if base is None or base_rows is None else np.flatnonzero(base_rows[d.name])
        r = SliceResult(name=d.name, description=d.describe(), n_head=len(h_idx),
                        n_base=None if b_idx is None else len(b_idx))
        r.head, undefined = slice_metrics(head, h_idx, names, h_enc)
        if base is not None and b_idx is not None:
            r.base, b_undefined = slice_metrics(base, b_idx, names, b_enc)
            undefined = list(dict.fromkeys(undefined + b_undefined))
        if len(h_idx) == 0:
            r.gated = False
            r.notes.append("no rows at the head" + (" (only at the base)" if b_idx is not None and len(b_idx) else ""))
        elif b_idx is not None and len(b_idx) == 0:
            r.notes.append("no rows at the base (new at the head)")
        smallest = min(len(h_idx), len(b_idx) if b_idx is not None and len(b_idx) else len(h_idx))
        if 0 < smallest < min_size:
            r.gated = False
            r.notes.append(f"{smallest:,} rows, fewer than {min_size}: reported, not gated")
        if undefined:
            r.notes.append("undefined here: " + ", ".join(undefined))
        out.append(r)
    return out


def paired_rows(side: Predictions, rows: Predictions) -> np.ndarray:
    """For each row of ``rows`` (the pairing's view of a side), its position in ``side``."""
    if rows is side:
        return np.arange(len(side))
    if len(rows) == len(side) and np.array_equal(rows.ids, side.ids):
        return np.arange(len(side))  # every row paired, in file order: the common case
    return pd.Index(side.ids).get_indexer(rows.ids)


@dataclass(frozen=True)
class CodedPairing:
    """A pairing's classes as integer codes over the classes of both sides, encoded once for all slices."""

    head_truth: np.ndarray
    head_pred: np.ndarray
    base_truth: np.ndarray
    base_pred: np.ndarray


def encode_pairing(pairing: Pairing) -> CodedPairing:
    """Codes keep the order of the classes, so the positive class (the last) and every count metric stay
    the same; slices then skip finding and encoding their classes one by one."""
    h, b = pairing.head, pairing.base
    labels = m.class_labels(h.label, h.prediction, b.label, b.prediction)
    return CodedPairing(head_truth=m.encode(h.label, labels), head_pred=m.encode(h.prediction, labels),
                        base_truth=m.encode(b.label, labels), base_pred=m.encode(b.prediction, labels))


def compare_slice(metric: str, pairing: Pairing, head_in: np.ndarray, base_in: np.ndarray, *, confidence: float,
                  resamples: int, seed: int, coded: CodedPairing | None = None) -> Comparison:
    """Head against base on one slice. ``head_in``/``base_in``: the slice's membership over the pairing's rows
    (paired: both are the head's membership of the paired rows). ``coded`` (classification): the pairing's
    classes encoded once (``encode_pairing``)."""
    h, b = pairing.head, pairing.base
    spec = m.get_metric(metric)
    use_codes = coded is not None and not spec.regression and not spec.needs_score
    h_truth, h_pred = (coded.head_truth, coded.head_pred) if use_codes and coded is not None else (h.label, h.prediction)
    b_truth, b_pred = (coded.base_truth, coded.base_pred) if use_codes and coded is not None else (b.label, b.prediction)
    if pairing.paired:
        rows = np.flatnonzero(head_in)
        if len(rows) == 0:
            raise ValueError("the slice has no paired rows")
        c = compare_paired(metric, h_truth[rows], b_pred[rows], h_pred[rows],
                           base_score=None if b.score is None else b.score[rows],
                           head_score=None if h.score is None else h.score[rows],
                           confidence=confidence, resamples=resamples, seed=seed, source=h.source)
        return replace(c, note=f"paired by id on the slice's {len(rows):,} rows")
    hr, br = np.flatnonzero(head_in), np.flatnonzero(base_in)
    if len(hr) == 0 or len(br) == 0:
        raise ValueError("the slice has no rows at one side")
    c = compare_unpaired(metric, h_truth[hr], h_pred[hr], b_truth[br], b_pred[br],
                         head_score=None if h.score is None else h.score[hr],
                         base_score=None if b.score is None else b.score[br],
                         confidence=confidence, resamples=resamples, seed=seed, source=h.source)
    return replace(c, note=pairing.reason)
