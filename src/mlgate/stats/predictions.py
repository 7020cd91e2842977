"""Per-example prediction files: load and validate one side, then pair head with base by id.

Formats, chosen by the file's suffix: ``.csv``; ``.jsonl``/``.ndjson``/``.json`` (JSON lines, one
object a row); ``.parquet``/``.pq`` (needs pyarrow). Every problem is one ``InputError`` line that
names the file and the column, e.g.::

    eval/predictions.csv: no column 'proba' (predictions.score); columns present: id, label, pred; ...

Pairing rule (``pair``): a row pairs with the other side's row of the same id when both carry the
same label. When every row pairs, the comparison is paired on all rows. When only some pair, it is
paired on the shared rows if they are at least ``min_overlap`` (default half) of *each* side — the
dropped rows are counted in the reason — otherwise the two sides are compared unpaired, as
independent samples, each on all its rows. No shared id at all (the evaluation data changed) is
always unpaired. The reason is a sentence for the report.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from mlgate.errors import InputError
from mlgate.text.safe import quoted

FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class PredictionSpec:
    """Where the predictions are and which columns hold what (``predictions:`` in mlgate.yaml)."""

    path: str | Path
    id: str
    label: str
    prediction: str
    score: str | None = None

    def columns(self) -> dict[str, str]:
        """Config key -> column name, for the columns this spec needs."""
        out = {"id": self.id, "label": self.label, "prediction": self.prediction}
        if self.score is not None:
            out["score"] = self.score
        return out


@dataclass(frozen=True, eq=False)
class Predictions:
    """One side's validated predictions: equal-length arrays, one element per example."""

    source: str  # the name used in messages, e.g. "eval/predictions.csv (base a81d0e4)"
    spec: PredictionSpec
    ids: np.ndarray  # str
    label: np.ndarray
    prediction: np.ndarray
    score: np.ndarray | None  # float64 in [0, 1], or None

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, index: np.ndarray) -> Predictions:
        return replace(
            self,
            ids=self.ids[index],
            label=self.label[index],
            prediction=self.prediction[index],
            score=None if self.score is None else self.score[index],
        )


def load_predictions(
    spec: PredictionSpec, source: str | Path | IO[bytes] | None = None, *, name: str | None = None
) -> Predictions:
    """Read and validate a prediction file.

    ``source`` is where to read (a path or a binary file object, e.g. from ``dvc.api.open``; default
    ``spec.path``); the format comes from ``spec.path``'s suffix. ``name`` is how messages call the
    file (default: ``spec.path``). Raises InputError (exit 2) on any problem.
    """
    name = name or str(spec.path)
    fmt = FORMATS.get(Path(str(spec.path)).suffix.lower())
    if fmt is None:
        raise InputError(
            f"{name}: unknown prediction file type; write CSV (.csv), JSON lines (.jsonl) or Parquet (.parquet)"
        )
    source = Path(spec.path) if source is None else source
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError(
                f"{name}: no such file; check predictions.path in mlgate.yaml and that the evaluate stage writes it"
            )
        if path.stat().st_size == 0:
            raise InputError(f"{name}: empty file; the evaluate stage must write one row per example")
    frame = _read(fmt, source, spec, name)
    return _validate(frame, spec, name)


def _read(fmt: str, source: str | Path | IO[bytes], spec: PredictionSpec, name: str) -> pd.DataFrame:
    try:
        if fmt == "csv":
            return pd.read_csv(source, dtype={spec.id: str})
        if fmt == "jsonl":
            return read_json_lines(source, name)
        if importlib.util.find_spec("pyarrow") is None:
            raise InputError(
                f"{name}: reading Parquet needs pyarrow, which is not installed; "
                "pip install pyarrow, or write the predictions as CSV or JSON lines"
            )
        return pd.read_parquet(source, engine="pyarrow")
    except InputError:
        raise
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: empty file; the evaluate stage must write one row per example") from None
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        kind = {"csv": "CSV", "jsonl": "JSON lines", "parquet": "Parquet"}[fmt]
        raise InputError(f"{name}: cannot read as {kind}: {detail}; fix the file or its suffix") from None


def read_json_lines(source: str | Path | IO[bytes], name: str, nrows: int | None = None) -> pd.DataFrame:
    """A JSON-lines file (one object a line; blank lines skipped) as a frame; the first ``nrows`` rows if
    given. A line that is not JSON, or not an object, is an InputError naming the file and the line."""
    import json

    if isinstance(source, (str, Path)):
        with open(source, "rb") as handle:
            data = handle.read()
    else:
        data = source.read()
    rows: list[dict[str, object]] = []
    for number, line in enumerate(data.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: line {number} is not valid JSON ({exc.msg}, column {exc.colno}); "
                             "write one JSON object a line") from None
        if not isinstance(row, dict):
            raise InputError(f"{name}: line {number} holds {_json_kind(row)}, not a JSON object; "
                             'write one object a line, e.g. {"id": "a", "label": 1, "pred": 1}')
        rows.append(row)
        if nrows is not None and len(rows) >= nrows:
            break
    return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "null"
    return "true/false" if isinstance(value, bool) else "a number"


def _validate(frame: pd.DataFrame, spec: PredictionSpec, name: str) -> Predictions:
    present = [str(c) for c in frame.columns]
    for key, column in spec.columns().items():
        if column not in frame.columns:
            raise InputError(
                f"{name}: no column {column!r} (predictions.{key}); columns present: "
                f"{', '.join(present) or 'none'}; fix predictions.{key} in mlgate.yaml or the file"
            )
    if len(frame) == 0:
        raise InputError(f"{name}: no rows, only a header; the evaluate stage must write one row per example")

    id_col = frame[spec.id]
    _no_missing(id_col, "id", spec.id, name, ids=None)
    ids = id_col.astype(str).to_numpy(dtype=object)
    dup = pd.Series(ids).duplicated(keep="first")
    if dup.any():
        raise InputError(
            f"{name}: column {spec.id!r} (predictions.id) has {int(dup.sum())} duplicate ids "
            f"(first: {quoted(ids[dup.to_numpy()][0])}); each row needs a unique id"
        )

    label = _column(frame, "label", spec.label, name, ids)
    prediction = _column(frame, "prediction", spec.prediction, name, ids)
    if _numeric(frame[spec.label]) != _numeric(frame[spec.prediction]):
        kinds = {c: "numbers" if _numeric(frame[c]) else "text" for c in (spec.label, spec.prediction)}
        raise InputError(
            f"{name}: column {spec.label!r} holds {kinds[spec.label]} but {spec.prediction!r} holds "
            f"{kinds[spec.prediction]}; label and prediction must use the same class values"
        )
    score = _score(frame, spec, name, ids) if spec.score is not None else None
    return Predictions(source=name, spec=spec, ids=ids, label=label, prediction=prediction, score=score)


def _score(frame: pd.DataFrame, spec: PredictionSpec, name: str, ids: np.ndarray) -> np.ndarray:
    """The score column as float64; a NaN, infinite or out-of-range score is refused, never left out: a
    model whose hardest rows blow up must not get a better metric for it."""
    col = frame[spec.score]
    if not _numeric(col) or col.dtype == bool:
        raise InputError(
            f"{name}: column {spec.score!r} (predictions.score) is not numeric; "
            "it must hold the positive-class probability"
        )
    score = col.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(score) | (score < 0) | (score > 1)
    if bad.any():
        raise InputError(
            f"{name}: column {spec.score!r} (predictions.score) has {int(bad.sum())} values that are not a "
            f"probability in [0, 1] (NaN, infinite or out of range), first {score[bad][0]:g} {_row(bad, ids)}; "
            "the evaluate stage must write the positive-class probability for every row"
        )
    return score


def _row(bad: np.ndarray, ids: np.ndarray | None) -> str:
    """Where the first bad row is: its data row (1 = the first row after a CSV header) and its id."""
    first = int(np.flatnonzero(bad)[0])
    return f"in data row {first + 1}" + (f" (id {quoted(ids[first])})" if ids is not None else "")


def _numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)


def _no_missing(col: pd.Series, key: str, column: str, name: str, ids: np.ndarray | None) -> None:
    """Refuse a column with a missing value: None, NaN, ±inf, or empty or blank text (a row no metric can
    use is refused, not left out: leaving out the rows a model fails on would improve its metrics)."""
    from mlgate.stats.health import missing_mask

    missing = missing_mask(col.to_numpy())
    if missing.any():
        raise InputError(
            f"{name}: column {column!r} (predictions.{key}) has {int(missing.sum())} missing or infinite values "
            f"(NaN, inf or empty), first {_row(missing, ids)}; the evaluate stage must write a finite value "
            "in every row"
        )


def _column(frame: pd.DataFrame, key: str, column: str, name: str, ids: np.ndarray) -> np.ndarray:
    col = frame[column]
    _no_missing(col, key, column, name, ids)
    if _numeric(col):
        return col.to_numpy()
    return col.astype(str).to_numpy(dtype=object)


# --------------------------------------------------------------------------------------------------
# Pairing


@dataclass(frozen=True, eq=False)
class Pairing:
    """Head and base predictions ready to compare; aligned row by row when ``paired``."""

    head: Predictions
    base: Predictions
    paired: bool
    n_paired: int
    reason: str  # one sentence for the report
    dropped_head: int = 0  # rows left out of a paired comparison
    dropped_base: int = 0
    label_mismatches: int = 0  # shared ids whose label differs between the sides


def pair(head: Predictions, base: Predictions, *, min_overlap: float = 0.5) -> Pairing:
    """Pair head and base rows by id (see the module doc for the rule)."""
    if not 0 < min_overlap <= 1:
        raise ValueError("min_overlap must be in (0, 1]")
    base_pos = pd.Index(base.ids)
    if not base_pos.is_unique:
        raise ValueError("base ids are not unique")
    where = base_pos.get_indexer(head.ids)
    shared = where >= 0
    h_idx = np.flatnonzero(shared)
    b_idx = where[shared]
    same = _equal(head.label[h_idx], base.label[b_idx])
    mismatches = int((~same).sum())
    h_idx, b_idx = h_idx[same], b_idx[same]
    n = len(h_idx)
    n_head, n_base = len(head), len(base)
    mismatch_note = f"; {mismatches:,} shared ids carry different labels" if mismatches else ""

    if n == n_head == n_base:
        return Pairing(
            head=head.take(h_idx), base=base.take(b_idx), paired=True, n_paired=n,
            reason=f"paired by id on all {n:,} rows",
        )
    if n == 0:
        return Pairing(
            head=head, base=base, paired=False, n_paired=0, label_mismatches=mismatches,
            reason=(
                f"unpaired: head ({n_head:,} rows) and base ({n_base:,} rows) share no "
                f"{'id with the same label' if mismatches else 'ids'} (the evaluation data changed)"
                f"{mismatch_note}; the two sides are compared as independent samples"
            ),
        )
    if n >= min_overlap * n_head and n >= min_overlap * n_base:
        return Pairing(
            head=head.take(h_idx), base=base.take(b_idx), paired=True, n_paired=n,
            dropped_head=n_head - n, dropped_base=n_base - n, label_mismatches=mismatches,
            reason=(
                f"paired by id on the {n:,} shared rows; left out {n_head - n:,} head-only and "
                f"{n_base - n:,} base-only rows{mismatch_note}"
            ),
        )
    return Pairing(
        head=head, base=base, paired=False, n_paired=0, label_mismatches=mismatches,
        reason=(
            f"unpaired: only {n:,} rows pair by id, fewer than {min_overlap:.0%} of head ({n_head:,}) "
            f"or base ({n_base:,}){mismatch_note}; the two sides are compared as independent samples"
        ),
    )


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0:
        return np.zeros(0, dtype=bool)
    try:
        return np.asarray(a == b, dtype=bool)
    except (TypeError, ValueError):
        return np.array([x == y for x, y in zip(a, b, strict=True)], dtype=bool)
