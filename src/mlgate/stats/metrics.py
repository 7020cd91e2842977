"""Metrics computed from per-example predictions, with scikit-learn's definitions, in plain numpy.

Every metric is known by the name it has in ``mlgate.yaml`` (``predictions.<name>``) and has a
direction (higher or lower is better). Three kinds, by what they need and how they are resampled:

* ``counts`` — accuracy, error, precision, recall, F1: functions of the per-class counts
  ``tp`` (true positives), ``true_sum`` (support) and ``pred_sum`` (predicted), so a bootstrap can
  resample counts instead of rows. They accept leading batch axes (one row per resample).
* ``score`` — ROC AUC and log loss: need the positive-class probability (``predictions.score``).
* ``rows`` — MAE, MSE, RMSE, R² (regression) and log loss: means (or, for R², ratios) of per-row
  sums, resampled by rows.

Conventions (all match scikit-learn's defaults; the tests compare against it):

* Classes are the sorted union of the labels in ``y_true`` and the predictions (of both sides when
  comparing); a metric on one side counts only classes present in that side's truth or prediction,
  as scikit-learn does.
* The positive class of binary metrics is ``1`` (``True``) when the labels are 0/1 (or booleans),
  otherwise the greater of the two labels in sorted order (``"malignant"`` over ``"benign"``) —
  the class scikit-learn's ``roc_auc_score`` and ``log_loss`` treat as positive.
* ``precision``/``recall``/``f1`` average as ``binary`` when there are at most two classes and as
  ``macro`` otherwise; ``*_macro``, ``*_weighted`` and ``*_binary`` name the average explicitly.
* A zero division gives 0.0 (scikit-learn's ``zero_division="warn"`` value, without the warning).
* Undefined values are NaN: ROC AUC when the truth holds one class, R² on fewer than two rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from mlgate.errors import ConfigError

PREFIX = "predictions."

Kind = Literal["counts", "score", "rows"]
Average = Literal["auto", "binary", "macro", "weighted"]


@dataclass(frozen=True)
class Metric:
    """One metric computable from predictions."""

    name: str  # short name, e.g. "f1_macro"; in mlgate.yaml it is "predictions.f1_macro"
    higher_is_better: bool
    kind: Kind
    needs_score: bool = False
    regression: bool = False
    average: Average | None = None  # for precision/recall/f1
    description: str = ""

    @property
    def key(self) -> str:
        return PREFIX + self.name


def _registry() -> dict[str, Metric]:
    metrics = [
        Metric("accuracy", True, "counts", description="fraction of rows predicted right"),
        Metric("error", False, "counts", description="1 - accuracy"),
    ]
    for base in ("precision", "recall", "f1"):
        metrics.append(
            Metric(base, True, "counts", average="auto", description=f"{base}: binary for 2 classes, else macro")
        )
        for average in ("binary", "macro", "weighted"):
            metrics.append(
                Metric(f"{base}_{average}", True, "counts", average=average, description=f"{base}, {average} average")
            )
    metrics += [
        Metric("roc_auc", True, "score", needs_score=True, description="ROC AUC of the score (binary)"),
        Metric("log_loss", False, "rows", needs_score=True, description="log loss of the score (binary)"),
        Metric("mae", False, "rows", regression=True, description="mean absolute error"),
        Metric("mse", False, "rows", regression=True, description="mean squared error"),
        Metric("rmse", False, "rows", regression=True, description="root mean squared error"),
        Metric("r2", True, "rows", regression=True, description="coefficient of determination R²"),
    ]
    return {m.name: m for m in metrics}


METRICS: dict[str, Metric] = _registry()


def get_metric(name: str) -> Metric:
    """The metric called ``name`` (``"predictions.f1"`` or ``"f1"``); ConfigError if there is none."""
    short = name.removeprefix(PREFIX)
    try:
        return METRICS[short]
    except KeyError:
        known = ", ".join(PREFIX + n for n in METRICS)
        raise ConfigError(f"kpis.{name}: no such predictions metric; use one of {known}") from None


# --------------------------------------------------------------------------------------------------
# Classes


def class_labels(*arrays: np.ndarray, pos_label: object = None) -> np.ndarray:
    """The sorted classes found in ``arrays``; 0/1 (or False/True) labels always give both classes.

    Labels that cannot be ordered together (numbers mixed with text) are compared as text.
    """
    if not arrays:
        raise ValueError("class_labels needs at least one array")
    values: list[Any] = []  # labels of any kind; sorted() may raise TypeError on a mix
    for a in arrays:
        a = np.asarray(a)
        values.extend(pd.unique(a.astype(object) if _is_text(a) else a.ravel()).tolist())
    values = list(dict.fromkeys(values))  # 1, 1.0 and True are one class, as for numpy's ==
    if pos_label is not None and pos_label not in values:
        values.append(pos_label)
    if values and all(_is_zero_one(v) for v in values):
        is_bool = all(isinstance(v, (bool, np.bool_)) for v in values)
        return np.array([False, True]) if is_bool else np.array([0, 1])
    try:
        ordered = sorted(values)
    except TypeError:
        ordered = sorted(values, key=str)
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in ordered):
        return np.asarray(ordered)
    return np.asarray(ordered, dtype=object)


def positive_label(labels: np.ndarray) -> object:
    """The positive class: 1/True for 0/1 labels, else the greater label (see the module doc)."""
    if len(labels) == 0:
        raise ValueError("no classes")
    return labels[-1]


def _is_text(a: np.ndarray) -> bool:
    return np.asarray(a).dtype.kind in "OUS"


def _is_zero_one(v: object) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return True
    if isinstance(v, (int, float, np.integer, np.floating)):
        return v == 0 or v == 1
    return False


def encode(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The index of each value in ``labels`` (sorted classes); every value must be a class."""
    values = np.asarray(values)
    if labels.dtype == object or _is_text(values):
        lookup = {_key(v): i for i, v in enumerate(labels.tolist())}
        codes, uniques = pd.factorize(pd.Series(values, dtype=object))
        try:
            table = np.array([lookup[_key(u)] for u in uniques], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(f"value {exc.args[0]!r} is not one of the classes {labels.tolist()}") from None
        return table[codes] if len(table) else np.zeros(0, dtype=np.int64)
    codes = np.searchsorted(labels, values)
    codes = np.clip(codes, 0, len(labels) - 1)
    if not np.array_equal(labels[codes], values):
        bad = values[labels[codes] != values][0]
        raise ValueError(f"value {bad!r} is not one of the classes {labels.tolist()}")
    return codes.astype(np.int64)


def _key(v: object) -> object:
    # 1 == 1.0 == True as dictionary keys already; text stays text
    return v.item() if isinstance(v, np.generic) else v


# --------------------------------------------------------------------------------------------------
# Count metrics


@dataclass(frozen=True)
class Counts:
    """Per-class counts, arrays of shape (..., K): the sufficient statistics of count metrics."""

    tp: np.ndarray
    true_sum: np.ndarray
    pred_sum: np.ndarray


def counts(y_true_codes: np.ndarray, y_pred_codes: np.ndarray, k: int) -> Counts:
    """Per-class counts from integer class codes (0..k-1)."""
    right = y_true_codes == y_pred_codes
    return Counts(
        tp=np.bincount(y_true_codes[right], minlength=k).astype(np.float64),
        true_sum=np.bincount(y_true_codes, minlength=k).astype(np.float64),
        pred_sum=np.bincount(y_pred_codes, minlength=k).astype(np.float64),
    )


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast(num, den).shape, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def resolve_average(metric: Metric, n_classes: int) -> str:
    if metric.average == "auto":
        return "binary" if n_classes <= 2 else "macro"
    assert metric.average is not None
    return metric.average


def from_counts(metric: Metric, c: Counts, pos_index: int | None = None) -> np.ndarray:
    """A count metric from per-class counts; works on batches (leading axes); returns float array.

    ``pos_index`` is the positive class's index for the binary average (default: the last class).
    """
    tp, true_sum, pred_sum = c.tp, c.true_sum, c.pred_sum
    n = true_sum.sum(axis=-1)
    if metric.name in ("accuracy", "error"):
        acc = _divide(tp.sum(axis=-1), n)
        return acc if metric.name == "accuracy" else 1.0 - acc
    k = tp.shape[-1]
    base = metric.name.split("_")[0]
    if base == "precision":
        per_class = _divide(tp, pred_sum)
    elif base == "recall":
        per_class = _divide(tp, true_sum)
    else:
        per_class = _divide(2.0 * tp, true_sum + pred_sum)
    average = resolve_average(metric, k)
    if average == "binary":
        if k > 2:
            raise ValueError(f"{metric.key} uses the binary average but there are {k} classes")
        return per_class[..., k - 1 if pos_index is None else pos_index]
    present = (true_sum + pred_sum) > 0  # scikit-learn averages over labels in y_true or y_pred
    if average == "macro":
        return _divide(np.where(present, per_class, 0.0).sum(axis=-1), present.sum(axis=-1))
    # weighted by support; with no support at all scikit-learn returns the zero-division value (0)
    return _divide((per_class * true_sum).sum(axis=-1), true_sum.sum(axis=-1))


# --------------------------------------------------------------------------------------------------
# Score metrics


def roc_auc(y_pos: np.ndarray, score: np.ndarray) -> float:
    """Binary ROC AUC (Mann-Whitney with midranks, equal to the trapezoidal ROC area); NaN if one class."""
    y_pos = np.asarray(y_pos, dtype=bool)
    n_pos = int(y_pos.sum())
    n_neg = len(y_pos) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def log_loss_rows(y_pos: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Per-row log loss of the positive-class probability, clipped like scikit-learn (float eps)."""
    score = np.asarray(score, dtype=np.float64)
    eps = np.finfo(score.dtype).eps
    # as scikit-learn: the two columns [1 - p, p] are clipped each, then the true one is logged
    chosen = np.where(np.asarray(y_pos, dtype=bool), score, 1.0 - score)
    return -np.log(np.clip(chosen, eps, 1 - eps))


# --------------------------------------------------------------------------------------------------
# Row metrics: per-row statistics whose sums determine the metric


def row_stats(metric: Metric, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Per-row statistics, shape (n, s), whose column sums give the metric via ``from_sums``.

    For log loss ``y_true`` is the positive-class indicator and ``y_pred`` the score.
    """
    if metric.name == "log_loss":
        return log_loss_rows(y_true, y_pred)[:, None]
    y_true = np.asarray(y_true, dtype=np.float64)
    err = y_true - np.asarray(y_pred, dtype=np.float64)
    if metric.name == "mae":
        return np.abs(err)[:, None]
    if metric.name in ("mse", "rmse"):
        return (err**2)[:, None]
    if metric.name == "r2":
        yc = y_true - y_true.mean()  # centred once, so the resampled total sum of squares stays accurate
        return np.column_stack([err**2, yc, yc**2])
    raise ValueError(f"{metric.key} is not a row metric")


def from_sums(metric: Metric, sums: np.ndarray, n: int) -> np.ndarray:
    """The row metric from column sums of ``row_stats`` over ``n`` rows (batched on leading axes)."""
    if metric.name in ("log_loss", "mae", "mse"):
        return sums[..., 0] / n
    if metric.name == "rmse":
        return np.sqrt(sums[..., 0] / n)
    if metric.name == "r2":
        ss_res = sums[..., 0]
        ss_tot = np.maximum(sums[..., 2] - sums[..., 1] ** 2 / n, 0.0)
        return _r2(ss_res, ss_tot, n)
    raise ValueError(f"{metric.key} is not a row metric")


def _r2(ss_res: np.ndarray, ss_tot: np.ndarray, n: int) -> np.ndarray:
    # scikit-learn's force_finite convention: perfect fit -> 1.0, constant truth but errors -> 0.0
    ss_res = np.asarray(ss_res, dtype=np.float64)
    ss_tot = np.asarray(ss_tot, dtype=np.float64)
    out = np.ones(np.broadcast(ss_res, ss_tot).shape)
    valid = (ss_res != 0) & (ss_tot != 0)
    np.subtract(1.0, _divide(ss_res, ss_tot), out=out, where=valid)
    out = np.where((ss_res != 0) & (ss_tot == 0), 0.0, out)
    if n < 2:
        out = np.full_like(out, np.nan)
    return out


# --------------------------------------------------------------------------------------------------
# One-shot computation on arrays


def compute(
    name: str,
    y_true: np.ndarray,
    y_pred: np.ndarray | None = None,
    score: np.ndarray | None = None,
    *,
    labels: np.ndarray | None = None,
    pos_label: object = None,
) -> float:
    """The metric ``name`` on one side's arrays, as scikit-learn defines it.

    ``labels`` fixes the classes (default: from ``y_true`` and ``y_pred``); ``pos_label`` the
    positive class (default: see the module doc). ``score`` is the positive-class probability.
    """
    metric = get_metric(name)
    y_true = np.asarray(y_true)
    if metric.regression:
        assert y_pred is not None
        y_true_f = np.asarray(y_true, dtype=np.float64)
        y_pred_f = np.asarray(y_pred, dtype=np.float64)
        if metric.name == "r2":
            ss_res = ((y_true_f - y_pred_f) ** 2).sum()
            ss_tot = ((y_true_f - y_true_f.mean()) ** 2).sum()
            return float(_r2(ss_res, ss_tot, len(y_true_f)))
        return float(from_sums(metric, row_stats(metric, y_true_f, y_pred_f).sum(axis=0), len(y_true_f)))
    if labels is None:
        labels = class_labels(y_true, *([] if y_pred is None else [y_pred]), pos_label=pos_label)
    pos = positive_label(labels) if pos_label is None else pos_label
    pos_index = int(encode(np.asarray([pos], dtype=labels.dtype), labels)[0])
    if metric.needs_score:
        assert score is not None
        if len(labels) > 2:
            raise ValueError(f"{metric.key} is binary only; found {len(labels)} classes")
        y_pos = encode(y_true, labels) == pos_index
        if metric.name == "roc_auc":
            return roc_auc(y_pos, np.asarray(score, dtype=np.float64))
        return float(log_loss_rows(y_pos, score).mean())
    assert y_pred is not None
    c = counts(encode(y_true, labels), encode(y_pred, labels), len(labels))
    return float(from_counts(metric, c, pos_index))
