"""Confidence intervals for head, base and head − base of a metric computed from predictions.

Methods (``Comparison.method``), chosen by the metric and by whether the rows pair by id:

* ``paired_counts`` — accuracy, error, precision, recall, F1 on paired rows: a bootstrap over rows
  is the same as drawing multinomial counts over the (true, base prediction, head prediction)
  cells, so each resample costs one multinomial draw over at most K³ cells instead of n rows.
  Accuracy and error also get McNemar's exact test (two-sided binomial test on the discordant pairs).
* ``paired_rows`` — log loss, MAE, MSE, RMSE, R²: the paired bootstrap over rows (the same resampled
  rows for both sides), computed from per-row sums.
* ``paired_delong`` — ROC AUC: DeLong's covariance of correlated AUCs (normal interval, z test).
* ``unpaired_counts``, ``unpaired_rows``, ``unpaired_delong`` — the same, with each side resampled
  (or its DeLong variance taken) independently; accuracy and error get Fisher's exact test.

Bootstrap intervals are percentile intervals (``confidence`` two-sided). Everything is seeded:
the same arrays, ``resamples`` and ``seed`` give the same ``Comparison`` (numpy ``default_rng``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
from scipy import sparse
from scipy.stats import binom, fisher_exact, norm, rankdata

from mlgate.errors import InputError
from mlgate.stats import metrics as m
from mlgate.stats.predictions import Pairing

DEFAULT_RESAMPLES = 2000
DEFAULT_SEED = 0

METHOD_TEXT = {
    "paired_counts": "paired bootstrap (multinomial counts)",
    "paired_rows": "paired bootstrap (rows)",
    "paired_delong": "DeLong (paired)",
    "unpaired_counts": "unpaired bootstrap (multinomial counts)",
    "unpaired_rows": "unpaired bootstrap (rows)",
    "unpaired_delong": "DeLong (unpaired)",
}
TEST_TEXT = {"mcnemar_exact": "McNemar exact", "fisher_exact": "Fisher exact", "delong": "DeLong z"}


@dataclass(frozen=True)
class Comparison:
    """A metric on head and base with confidence intervals; JSON-ready through ``to_dict``."""

    metric: str  # "predictions.accuracy"
    head: float
    base: float
    diff: float  # head − base
    diff_low: float
    diff_high: float
    head_low: float
    head_high: float
    base_low: float
    base_high: float
    confidence: float  # e.g. 0.95, two-sided
    method: str  # a key of METHOD_TEXT
    n_head: int  # rows behind the head value
    n_base: int
    n_paired: int  # 0 when unpaired
    paired: bool
    p_value: float | None  # of the test below, two-sided, H0: no difference; None when no test
    test: str | None  # a key of TEST_TEXT, or None
    higher_is_better: bool
    resamples: int  # 0 for DeLong
    seed: int
    note: str = ""  # how the rows were paired, for the report

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# --------------------------------------------------------------------------------------------------
# Entry points


def compare(
    metric: str,
    pairing: Pairing,
    *,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Comparison:
    """Compare head with base on ``metric`` (e.g. ``"predictions.accuracy"``), paired when the rows are."""
    head, base = pairing.head, pairing.base
    where = head.source if head.source == base.source else f"{head.source} / {base.source}"
    if pairing.paired:
        result = compare_paired(
            metric, head.label, base.prediction, head.prediction,
            base_score=base.score, head_score=head.score,
            confidence=confidence, resamples=resamples, seed=seed, source=where,
        )
    else:
        result = compare_unpaired(
            metric, head.label, head.prediction, base.label, base.prediction,
            head_score=head.score, base_score=base.score,
            confidence=confidence, resamples=resamples, seed=seed, source=where,
        )
    return _with(result, note=pairing.reason)


def compare_paired(
    metric: str,
    y_true: np.ndarray,
    base_pred: np.ndarray,
    head_pred: np.ndarray,
    *,
    base_score: np.ndarray | None = None,
    head_score: np.ndarray | None = None,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    source: str = "predictions",
) -> Comparison:
    """Paired comparison: row i of head and base is the same example with truth ``y_true[i]``."""
    spec = m.get_metric(metric)
    _check_args(confidence, resamples)
    y_true, base_pred, head_pred = (np.asarray(a) for a in (y_true, base_pred, head_pred))
    n = len(y_true)
    if not (len(base_pred) == len(head_pred) == n) or n == 0:
        raise ValueError("paired arrays must be non-empty and of equal length")
    _check_inputs(spec, source, (y_true, base_pred, head_pred), (base_score, head_score))
    rng = np.random.default_rng(seed)
    alpha = 1 - confidence
    common = dict(metric=spec.key, confidence=confidence, n_head=n, n_base=n, n_paired=n, paired=True,
                  higher_is_better=spec.higher_is_better, seed=seed)

    if spec.regression:
        h_stats = m.row_stats(spec, y_true, head_pred)
        b_stats = m.row_stats(spec, y_true, base_pred)
        head_v, base_v = m.compute(spec.name, y_true, head_pred), m.compute(spec.name, y_true, base_pred)
        h_boot, b_boot = _rows_bootstrap(spec, [(h_stats, b_stats)], rng, resamples)[0]
        return _finish(spec, source, head_v, base_v, h_boot, b_boot, alpha, method="paired_rows",
                       resamples=resamples, p_value=None, test=None, **common)

    labels = m.class_labels(y_true, base_pred, head_pred)
    pos_index = len(labels) - 1
    t = m.encode(y_true, labels)
    if spec.needs_score:
        y_pos = _binary_truth(spec, source, labels, t, pos_index)
        assert head_score is not None and base_score is not None
        head_score = np.asarray(head_score, dtype=np.float64)
        base_score = np.asarray(base_score, dtype=np.float64)
        if spec.name == "roc_auc":
            return _delong_paired(spec, source, y_pos, head_score, base_score, alpha, **common)
        h_stats = m.row_stats(spec, y_pos, head_score)
        b_stats = m.row_stats(spec, y_pos, base_score)
        head_v, base_v = float(h_stats.mean()), float(b_stats.mean())
        h_boot, b_boot = _rows_bootstrap(spec, [(h_stats, b_stats)], rng, resamples)[0]
        return _finish(spec, source, head_v, base_v, h_boot, b_boot, alpha, method="paired_rows",
                       resamples=resamples, p_value=None, test=None, **common)

    k = _check_classes(spec, source, labels)
    b, h = m.encode(base_pred, labels), m.encode(head_pred, labels)
    cells, cnt = _cells(((t, k), (b, k), (h, k)))
    ct, cb, ch = cells
    draws = np.vstack([cnt, rng.multinomial(n, cnt / n, size=resamples)]).astype(np.float64)  # row 0: observed
    h_all, b_all = (m.from_counts(spec, c, pos_index) for c in _cell_counts(draws, ct, [ch, cb], k))
    head_v, base_v, h_boot, b_boot = float(h_all[0]), float(b_all[0]), h_all[1:], b_all[1:]
    p_value = test = None
    if spec.name in ("accuracy", "error"):
        head_only = int(cnt[(ch == ct) & (cb != ct)].sum())
        base_only = int(cnt[(cb == ct) & (ch != ct)].sum())
        p_value = _mcnemar_exact(head_only, base_only)
        test = "mcnemar_exact"
    return _finish(spec, source, head_v, base_v, h_boot, b_boot, alpha, method="paired_counts",
                   resamples=resamples, p_value=p_value, test=test, **common)


def compare_unpaired(
    metric: str,
    head_true: np.ndarray,
    head_pred: np.ndarray,
    base_true: np.ndarray,
    base_pred: np.ndarray,
    *,
    head_score: np.ndarray | None = None,
    base_score: np.ndarray | None = None,
    confidence: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    source: str = "predictions",
) -> Comparison:
    """Unpaired comparison: head and base are independent samples (e.g. the evaluation set changed)."""
    spec = m.get_metric(metric)
    _check_args(confidence, resamples)
    head_true, head_pred, base_true, base_pred = (np.asarray(a) for a in (head_true, head_pred, base_true, base_pred))
    n_h, n_b = len(head_true), len(base_true)
    if len(head_pred) != n_h or len(base_pred) != n_b or n_h == 0 or n_b == 0:
        raise ValueError("each side's arrays must be non-empty and of equal length")
    _check_inputs(spec, source, (head_true, head_pred, base_true, base_pred), (head_score, base_score))
    rng = np.random.default_rng(seed)
    alpha = 1 - confidence
    common = dict(metric=spec.key, confidence=confidence, n_head=n_h, n_base=n_b, n_paired=0, paired=False,
                  higher_is_better=spec.higher_is_better, seed=seed)

    if spec.regression:
        head_v = m.compute(spec.name, head_true, head_pred)
        base_v = m.compute(spec.name, base_true, base_pred)
        (h_boot,), (b_boot,) = _rows_bootstrap(
            spec, [(m.row_stats(spec, head_true, head_pred),), (m.row_stats(spec, base_true, base_pred),)],
            rng, resamples,
        )
        return _finish(spec, source, head_v, base_v, h_boot, b_boot, alpha, method="unpaired_rows",
                       resamples=resamples, p_value=None, test=None, **common)

    labels = m.class_labels(head_true, base_true, head_pred, base_pred)
    pos_index = len(labels) - 1
    th, tb = m.encode(head_true, labels), m.encode(base_true, labels)
    if spec.needs_score:
        yh = _binary_truth(spec, source, labels, th, pos_index)
        yb = _binary_truth(spec, source, labels, tb, pos_index)
        assert head_score is not None and base_score is not None
        head_score = np.asarray(head_score, dtype=np.float64)
        base_score = np.asarray(base_score, dtype=np.float64)
        if spec.name == "roc_auc":
            return _delong_unpaired(spec, source, (yh, head_score), (yb, base_score), alpha, **common)
        h_stats, b_stats = m.row_stats(spec, yh, head_score), m.row_stats(spec, yb, base_score)
        (h_boot,), (b_boot,) = _rows_bootstrap(spec, [(h_stats,), (b_stats,)], rng, resamples)
        return _finish(spec, source, float(h_stats.mean()), float(b_stats.mean()), h_boot, b_boot, alpha,
                       method="unpaired_rows", resamples=resamples, p_value=None, test=None, **common)

    k = _check_classes(spec, source, labels)
    values, boots, right = [], [], []
    for t, pred, n in ((th, head_pred, n_h), (tb, base_pred, n_b)):
        (ct, cp), cnt = _cells(((t, k), (m.encode(pred, labels), k)))
        draws = np.vstack([cnt, rng.multinomial(n, cnt / n, size=resamples)]).astype(np.float64)
        (side,) = (m.from_counts(spec, c, pos_index) for c in _cell_counts(draws, ct, [cp], k))
        values.append(float(side[0]))
        boots.append(side[1:])
        right.append(int(cnt[ct == cp].sum()))
    p_value = test = None
    if spec.name in ("accuracy", "error"):
        table = [[right[0], n_h - right[0]], [right[1], n_b - right[1]]]
        p_value = float(min(1.0, fisher_exact(np.array(table)).pvalue))
        test = "fisher_exact"
    return _finish(spec, source, values[0], values[1], boots[0], boots[1], alpha, method="unpaired_counts",
                   resamples=resamples, p_value=p_value, test=test, **common)


# --------------------------------------------------------------------------------------------------
# Checks


def _check_args(confidence: float, resamples: int) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise ValueError(f"resamples must be positive, got {resamples}")


def _check_inputs(
    spec: m.Metric, source: str, arrays: tuple[np.ndarray, ...], scores: tuple[np.ndarray | None, ...]
) -> None:
    if spec.regression:
        if any(a.dtype.kind not in "biuf" for a in arrays):
            raise InputError(
                f"{source}: {spec.key} needs numeric label and prediction columns; "
                "it is a regression metric (use predictions.accuracy or f1 for classes)"
            )
    if spec.needs_score and any(s is None for s in scores):
        raise InputError(
            f"{source}: {spec.key} needs a score column; set predictions.score in mlgate.yaml "
            "to the column holding the positive-class probability"
        )


MAX_CLASSES = 1000


def _check_classes(spec: m.Metric, source: str, labels: np.ndarray) -> int:
    if len(labels) > MAX_CLASSES:
        raise InputError(
            f"{source}: {spec.key} sees {len(labels):,} distinct labels (more than {MAX_CLASSES:,} classes); "
            "for a regression target use predictions.mae, rmse or r2"
        )
    return len(labels)


def _binary_truth(spec: m.Metric, source: str, labels: np.ndarray, t: np.ndarray, pos_index: int) -> np.ndarray:
    if len(labels) > 2:
        shown = ", ".join(map(str, labels[:5].tolist())) + (", ..." if len(labels) > 5 else "")
        raise InputError(
            f"{source}: {spec.key} is for binary classification but the labels hold {len(labels)} classes "
            f"({shown}); use predictions.accuracy or predictions.f1_macro"
        )
    return t == pos_index


# --------------------------------------------------------------------------------------------------
# Counts


def _cells(columns: tuple[tuple[np.ndarray, int], ...]) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The non-empty cells of the joint table of integer codes, and their counts."""
    code = np.zeros(len(columns[0][0]), dtype=np.int64)
    size = 1
    for values, k in columns:
        code = code * k + values
        size *= k
    if size <= 1 << 22:
        cnt = np.bincount(code, minlength=size)
        nz = np.flatnonzero(cnt)
        cnt = cnt[nz]
    else:
        nz, cnt = np.unique(code, return_counts=True)
    parts = []
    for _, k in reversed(columns):
        parts.append(nz % k)
        nz = nz // k
    return tuple(reversed(parts)), cnt.astype(np.float64)


def _cell_counts(draws: np.ndarray, ct: np.ndarray, preds: list[np.ndarray], k: int) -> list[m.Counts]:
    """Per-class counts for each row of ``draws`` (resamples × cells), one ``Counts`` per prediction.

    Cell j holds truth ``ct[j]`` and prediction ``preds[i][j]``; the class totals are one matrix
    product of the drawn cell counts with a 0/1 cell-to-class matrix.
    """
    n_cells = len(ct)
    rows = np.arange(n_cells)
    blocks = [(ct, np.ones(n_cells, dtype=bool))]  # true_sum
    for cp in preds:
        blocks += [(ct, ct == cp), (cp, np.ones(n_cells, dtype=bool))]  # tp, pred_sum
    r = np.concatenate([rows[mask] for _, mask in blocks])
    c = np.concatenate([cls[mask] + i * k for i, (cls, mask) in enumerate(blocks)])
    shape = (n_cells, len(blocks) * k)
    if n_cells * shape[1] <= 4_000_000:
        onehot = np.zeros(shape)
        onehot[r, c] = 1.0
        totals = draws @ onehot
    else:
        totals = np.asarray(draws @ sparse.csr_array((np.ones(len(r)), (r, c)), shape=shape))
    true_sum = totals[:, :k]
    return [
        m.Counts(tp=totals[:, (1 + 2 * i) * k : (2 + 2 * i) * k], true_sum=true_sum,
                 pred_sum=totals[:, (2 + 2 * i) * k : (3 + 2 * i) * k])
        for i in range(len(preds))
    ]


def _mcnemar_exact(head_only: int, base_only: int) -> float:
    discordant = head_only + base_only
    if discordant == 0:
        return 1.0
    # binomtest(head_only, discordant, 0.5).pvalue, two-sided; Bin(d, 1/2) is symmetric, so this is
    # twice the smaller tail (capped at 1) — one cdf call instead of binomtest's search
    return float(min(1.0, 2.0 * binom.cdf(min(head_only, base_only), discordant, 0.5)))


# --------------------------------------------------------------------------------------------------
# Rows


def _rows_bootstrap(
    spec: m.Metric, groups: list[tuple[np.ndarray, ...]], rng: np.random.Generator, resamples: int
) -> list[tuple[np.ndarray, ...]]:
    """Bootstrap each group of per-row statistics; arrays in a group share the resampled rows.

    Returns, for each group, the metric's resampled values for each array in it.
    """
    out = []
    for group in groups:
        n = len(group[0])
        stacked = np.hstack(group)
        widths = [g.shape[1] for g in group]
        sums = np.empty((resamples, stacked.shape[1]))
        chunk = max(1, min(resamples, 2_000_000 // n))
        for start in range(0, resamples, chunk):
            size = min(resamples, start + chunk) - start
            # each resample's row multiplicities (how often each row was drawn), then one matrix product
            idx = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
            weights = np.bincount(idx.ravel(), minlength=size * n).reshape(size, n)
            sums[start : start + size] = weights @ stacked
        values, col = [], 0
        for w in widths:
            values.append(m.from_sums(spec, sums[:, col : col + w], n))
            col += w
        out.append(tuple(values))
    return out


# --------------------------------------------------------------------------------------------------
# DeLong


def _delong_parts(y_pos: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """AUCs (k,) and their DeLong covariance (k × k) for scores of shape (k, n) on one truth."""
    pos, neg = scores[:, y_pos], scores[:, ~y_pos]
    n_pos, n_neg = pos.shape[1], neg.shape[1]
    tz = np.vstack([rankdata(s) for s in scores])
    tx = np.vstack([rankdata(s) for s in pos])
    ty = np.vstack([rankdata(s) for s in neg])
    aucs = (tz[:, y_pos].sum(axis=1) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    v10 = (tz[:, y_pos] - tx) / n_neg
    v01 = 1.0 - (tz[:, ~y_pos] - ty) / n_pos
    cov = _cov(v10) / n_pos + _cov(v01) / n_neg
    return aucs, cov


def _cov(v: np.ndarray) -> np.ndarray:
    k, n = v.shape
    if n < 2:
        return np.zeros((k, k))
    d = v - v.mean(axis=1, keepdims=True)
    return d @ d.T / (n - 1)


def _auc_defined(spec: m.Metric, source: str, y_pos: np.ndarray) -> None:
    if y_pos.all() or not y_pos.any():
        raise InputError(
            f"{source}: {spec.key} is undefined: the labels hold only one class; "
            "the evaluation set needs examples of both classes"
        )


def _delong_paired(
    spec: m.Metric, source: str, y_pos: np.ndarray, head: np.ndarray, base: np.ndarray, alpha: float, **common: Any
) -> Comparison:
    _auc_defined(spec, source, y_pos)
    (head_v, base_v), cov = _delong_parts(y_pos, np.vstack([head, base]))
    var_diff = max(0.0, cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    return _normal_result(spec, head_v, base_v, cov[0, 0], cov[1, 1], var_diff, alpha, method="paired_delong",
                          **common)


def _delong_unpaired(
    spec: m.Metric, source: str, head: tuple[np.ndarray, np.ndarray], base: tuple[np.ndarray, np.ndarray],
    alpha: float, **common: Any,
) -> Comparison:
    _auc_defined(spec, source, head[0])
    _auc_defined(spec, source, base[0])
    (head_v,), head_cov = _delong_parts(head[0], head[1][None, :])
    (base_v,), base_cov = _delong_parts(base[0], base[1][None, :])
    var_h, var_b = head_cov[0, 0], base_cov[0, 0]
    return _normal_result(spec, head_v, base_v, var_h, var_b, var_h + var_b, alpha, method="unpaired_delong",
                          **common)


def _normal_result(
    spec: m.Metric, head_v: float, base_v: float, var_h: float, var_b: float, var_diff: float, alpha: float,
    *, method: str, **common: Any,
) -> Comparison:
    z = float(norm.ppf(1 - alpha / 2))
    diff = float(head_v - base_v)
    se = math.sqrt(max(0.0, var_diff))
    if se > 0:
        p_value = float(2 * norm.sf(abs(diff) / se))
    else:
        p_value = 1.0 if diff == 0 else 0.0
    se_h, se_b = math.sqrt(max(0.0, var_h)), math.sqrt(max(0.0, var_b))
    return Comparison(
        head=float(head_v), base=float(base_v), diff=diff,
        diff_low=float(max(-1.0, diff - z * se)), diff_high=float(min(1.0, diff + z * se)),
        head_low=float(max(0.0, head_v - z * se_h)), head_high=float(min(1.0, head_v + z * se_h)),
        base_low=float(max(0.0, base_v - z * se_b)), base_high=float(min(1.0, base_v + z * se_b)),
        method=method, p_value=p_value, test="delong", resamples=0, **common,
    )


# --------------------------------------------------------------------------------------------------
# Assembly


def _finish(
    spec: m.Metric, source: str, head_v: float, base_v: float, h_boot: np.ndarray, b_boot: np.ndarray,
    alpha: float, **fields_: Any,
) -> Comparison:
    for side, value in (("head", head_v), ("base", base_v)):
        if not math.isfinite(value):
            raise InputError(
                f"{source}: {spec.key} is undefined on the {side} predictions "
                "(R² needs at least two rows); use another metric or evaluate on more examples"
            )
    q = (alpha / 2, 1 - alpha / 2)
    d_lo, d_hi = np.quantile(h_boot - b_boot, q)
    h_lo, h_hi = np.quantile(h_boot, q)
    b_lo, b_hi = np.quantile(b_boot, q)
    return Comparison(
        head=float(head_v), base=float(base_v), diff=float(head_v - base_v),
        diff_low=float(d_lo), diff_high=float(d_hi), head_low=float(h_lo), head_high=float(h_hi),
        base_low=float(b_lo), base_high=float(b_hi), **fields_,
    )


def _with(c: Comparison, **changes: Any) -> Comparison:
    data = c.to_dict()
    data.update(changes)
    return Comparison(**data)
