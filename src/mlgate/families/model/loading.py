"""Load a model file with the configured loader, read the timing sample, and give a ``predict`` to call.

Loaders: ``joblib`` and ``pickle`` (standard), ``skops`` (``pip install 'mlgate[skops]'``) and
``onnx`` (onnxruntime, ``pip install 'mlgate[onnx]'``), imported only when used. Every failure is one
``InputError`` line naming the file and the fix.
"""

from __future__ import annotations

import importlib
import pickle
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mlgate.errors import InputError

EXTRA = {"joblib": ("joblib", "model"), "skops": ("skops.io", "skops"), "onnx": ("onnxruntime", "onnx")}


@dataclass
class Loaded:
    """A loaded model and what loading it said (warnings, e.g. a scikit-learn version mismatch)."""

    model: Any
    loader: str
    warnings: list[str] = field(default_factory=list)


def size_mb(path: Path) -> float:
    """Size in megabytes (10^6 bytes) of a file, or of every file under a directory."""
    if path.is_dir():
        total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    else:
        total = path.stat().st_size
    return round(total / 1e6, 6)


def _optional(loader: str) -> Any:
    module, extra = EXTRA[loader]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise InputError(
            f"model.loader: {loader} needs the {module.split('.')[0]} package, which is not installed; "
            f"pip install 'mlgate[{extra}]' (or {module.split('.')[0]})"
        ) from None


def load(path: Path, loader: str, name: str) -> Loaded:
    """The model in ``path``; ``name`` is how messages call it, e.g. ``models/model.pkl (base 1a2b3c4)``."""
    if path.is_dir():
        raise InputError(f"{name}: is a directory; the {loader} loader needs a model file, set model.path to it")
    module: Any = None if loader == "pickle" else _optional(loader)  # None only for pickle, which needs none
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if loader == "onnx":
                model = module.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            elif loader == "skops":
                # the file comes from the repository, like the pipeline's code: trust the types it names
                model = module.load(path, trusted=module.get_untrusted_types(file=path))
            elif loader == "joblib":
                model = module.load(path)
            else:
                with open(path, "rb") as handle:
                    model = pickle.load(handle)  # noqa: S301 - the repository's own model; see the package doc
        except Exception as exc:  # noqa: BLE001 - any failure to unpickle or parse is a bad model file
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(
                f"{name}: cannot load with {loader}: {type(exc).__name__}: {detail}; check model.loader "
                "and that the pipeline writes a model this loader reads"
            ) from None
    said = list(dict.fromkeys(f"{name}: {str(w.message).strip().splitlines()[0]}" for w in caught if str(w.message).strip()))
    return Loaded(model=model, loader=loader, warnings=said)


def read_sample(path: Path, name: str, rows: int) -> pd.DataFrame:
    """The first ``rows`` rows of the timing sample (CSV, JSON lines or Parquet, by suffix)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, nrows=rows)
        elif suffix in (".jsonl", ".ndjson", ".json"):
            from mlgate.stats.predictions import read_json_lines

            frame = read_json_lines(path, name, nrows=rows)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(path).head(rows)
        else:
            raise InputError(f"{name}: unknown sample file type; use .csv, .jsonl or .parquet for model.sample")
    except InputError:
        raise
    except (ValueError, OSError, ImportError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name}: cannot read model.sample: {detail}; fix the file or point model.sample elsewhere") from None
    if len(frame) == 0:
        raise InputError(f"{name}: model.sample has no rows; point it at the rows to time predict() on")
    return frame


def inputs(loaded: Loaded, sample: pd.DataFrame, name: str, drop: tuple[str, ...] = ()) -> pd.DataFrame:
    """The sample's columns this model takes: ``feature_names_in_`` when it has them, else every column
    but ``drop`` (the id and the label)."""
    model = loaded.model
    names = getattr(model, "feature_names_in_", None)
    if names is not None:
        names = [str(n) for n in names]
        missing = [n for n in names if n not in sample.columns]
        if missing:
            raise InputError(
                f"{name}: the model expects column {missing[0]!r} (of {len(names)} features), which model.sample "
                "does not have; point model.sample at rows with the model's input columns"
            )
        return sample[names]
    return sample[[c for c in sample.columns if c not in drop]]


def predictor(loaded: Loaded, name: str) -> Callable[[pd.DataFrame], Any]:
    """A function from input rows to the model's prediction."""
    model = loaded.model
    if loaded.loader == "onnx":
        first = model.get_inputs()[0].name

        def run(x: pd.DataFrame) -> Any:
            return model.run(None, {first: np.asarray(x, dtype=np.float32)})[0]

        return run
    if not callable(getattr(model, "predict", None)):
        raise InputError(f"{name}: the loaded object ({type(model).__name__}) has no predict(); "
                         "model.path must be a fitted model")
    return model.predict
