"""Prediction health: signs of a silently broken model in its outputs alone, no labels needed.

One side (``side_health``), as ``{short name: value}``:

* ``empty_share`` — predictions that are missing: None, NaN, infinite, or text that is empty or blank;
* ``out_of_range_share`` — numeric predictions outside ``prediction_range`` (only when one is given);
* ``score_missing_share``, ``score_out_of_range_share`` — scores that are NaN/infinite, or outside [0, 1];
* ``distinct_labels``, ``entropy_bits``, ``top_label_share`` (classification) — how many different labels
  were predicted, the Shannon entropy (base 2) of their distribution, and the share of the commonest one:
  a collapse to one class shows as 1 label, 0 bits, share 1.

Base against head (``shift``), on each side's own rows:

* ``label_shift_js`` — Jensen–Shannon distance (base 2, in [0, 1]) between the predicted label
  distributions (``scipy.spatial.distance.jensenshannon``);
* ``label_shift_p`` — p-value of Pearson's chi-squared test that both sides predict labels with the same
  distribution (``scipy.stats.chi2_contingency`` on the 2 × labels table, no continuity correction);
* ``agreement`` — on rows paired by id: the share where base and head predict the same (``agreement``).

Everything is vectorised: values are factorised once (pandas), then counted with ``numpy.bincount``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon
from scipy.stats import chi2_contingency

NAMES = ("empty_share", "out_of_range_share", "score_missing_share", "score_out_of_range_share",
         "distinct_labels", "entropy_bits", "top_label_share", "label_shift_js", "label_shift_p", "agreement")


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 where missing, see ``missing_mask``) and the distinct non-missing values."""
    values = np.asarray(values)
    if values.dtype.kind in "biu":
        codes, uniques = pd.factorize(values)
        return codes, np.asarray(uniques)
    if values.dtype.kind in "fc":
        finite = np.isfinite(values)
        codes = np.full(len(values), -1, dtype=np.int64)
        sub, uniques = pd.factorize(values[finite])
        codes[finite] = sub
        return codes, np.asarray(uniques)
    codes, found = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    uniques = np.asarray(found, dtype=object)
    blank = np.array([_blank(u) for u in uniques.tolist()], dtype=bool)
    if blank.any():  # renumber without the blank values; they become -1 like NaN
        table = np.full(len(uniques) + 1, -1, dtype=np.int64)
        table[:-1][~blank] = np.arange(int((~blank).sum()))
        codes = table[codes]  # the NA sentinel -1 indexes the table's last cell, which stays -1
        uniques = uniques[~blank]
    return codes, uniques


def missing_mask(values: np.ndarray) -> np.ndarray:
    """True where a prediction is missing: None, NaN, ±inf, or empty/blank text."""
    return factorize(values)[0] < 0


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, (float, np.floating)):
        return not math.isfinite(value)
    return value is None


def label_counts(values: np.ndarray, factorized: tuple[np.ndarray, np.ndarray] | None = None) -> pd.Series:
    """How often each non-missing value was predicted (index: the values, in order of appearance).
    ``factorized``: ``factorize(values)`` when already done."""
    codes, uniques = factorized if factorized is not None else factorize(values)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return pd.Series(counts, index=pd.Index(uniques, dtype=object))


def entropy_bits(counts: np.ndarray) -> float:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total == 0:
        return float("nan")
    p = counts[counts > 0] / total
    return float(-(p * np.log2(p)).sum() + 0.0)


def side_health(prediction: np.ndarray, score: np.ndarray | None = None, *, classification: bool = True,
                prediction_range: tuple[float, float] | None = None,
                factorized: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, float | int]:
    """The one-side health figures (see the module doc); ``factorized``: ``factorize(prediction)`` when done."""
    prediction = np.asarray(prediction)
    n = len(prediction)
    if n == 0:
        return {}
    codes, uniques = factorized if factorized is not None else factorize(prediction)
    missing = codes < 0
    out: dict[str, float] = {"empty_share": float(missing.mean())}
    if prediction_range is not None and prediction.dtype.kind in "biuf":
        lo, hi = prediction_range
        values = prediction.astype(np.float64)
        outside = ~missing & ((values < lo) | (values > hi))
        out["out_of_range_share"] = float(outside.mean())
    if score is not None:
        s = np.asarray(score, dtype=np.float64)
        finite = np.isfinite(s)
        out["score_missing_share"] = float((~finite).mean())
        out["score_out_of_range_share"] = float((finite & ((s < 0) | (s > 1))).mean())
    if classification:
        counts = np.bincount(codes[~missing], minlength=len(uniques))
        out["distinct_labels"] = int(len(counts))
        out["entropy_bits"] = entropy_bits(counts)
        out["top_label_share"] = float(counts.max() / n) if len(counts) else 0.0
    return out


def shift(base_pred: np.ndarray, head_pred: np.ndarray) -> dict[str, float]:
    """Jensen–Shannon distance and chi-squared p-value between the predicted label distributions."""
    return shift_from_counts(label_counts(base_pred), label_counts(head_pred))


def shift_from_counts(base_counts: pd.Series, head_counts: pd.Series) -> dict[str, float]:
    """``shift`` from each side's ``label_counts``; {} when a side predicted nothing."""
    table = pd.concat([base_counts, head_counts], axis=1).fillna(0).to_numpy(dtype=np.float64).T
    if table.size == 0 or table[0].sum() == 0 or table[1].sum() == 0:
        return {}
    js = float(jensenshannon(table[0], table[1], base=2))
    if table.shape[1] < 2:
        p = 1.0  # both sides predict the one same label: no shift to test
    else:
        p = float(chi2_contingency(table, correction=False).pvalue)
    return {"label_shift_js": js if math.isfinite(js) else 0.0, "label_shift_p": p}


def agreement(base_pred: np.ndarray, head_pred: np.ndarray) -> float:
    """Share of aligned rows where base and head predict the same value."""
    base_pred, head_pred = np.asarray(base_pred), np.asarray(head_pred)
    if len(base_pred) == 0:
        return float("nan")
    try:
        same = np.asarray(base_pred == head_pred, dtype=bool)
    except (TypeError, ValueError):
        same = np.array([a == b for a, b in zip(base_pred, head_pred, strict=True)], dtype=bool)
    return float(same.mean())
