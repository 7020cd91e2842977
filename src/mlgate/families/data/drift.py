"""Drift of one column between a reference profile and a current one.

Numeric columns:
- PSI on bins fixed by the reference: its minimum, its 10 %, 20 %, … 90 % quantiles and its maximum
  cut the line into 10 quantile bins, plus one open-ended bin below the minimum and one above the
  maximum (12 bins; fewer when quantiles coincide). Each side's share per bin is counted in its row
  sample (all rows up to 10,000). An empty bin counts as ``EPSILON`` (0.0001) so the logarithm stays
  finite; shares are not renormalised after that.
- Kolmogorov–Smirnov: ``scipy.stats.ks_2samp`` on the two row samples (at most 10,000 rows each; all rows
  when fewer). The p-value is that of those samples, so it does not collapse to 0 merely because a
  dataset has millions of rows.

Categorical columns (exact counts): one bucket per reference category plus one "unseen" bucket for every
category the reference never had; PSI (same epsilon), chi-squared (``scipy.stats.chi2_contingency`` on the
2 × buckets table, empty buckets dropped) and the Jensen–Shannon distance (base 2, between 0 and 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlgate.families.data.profile import CATEGORICAL, NUMERIC, ColumnProfile, DatasetProfile, quiet_numbers

EPSILON = 1e-4
ID_NAMES = frozenset({"id", "index", "row_id", "rowid", "row", "uuid", "unnamed: 0"})
MIN_ID_ROWS = 20  # fewer rows: a column of distinct values is no evidence of an identifier
QUANTILE_BINS = 10
UNSEEN = "(unseen)"
BINS_TEXT = (
    "numeric PSI: 10 bins between the reference's quantiles, plus one below its minimum and one above its "
    f"maximum, empty bins counted as {EPSILON:g}; KS: ks_2samp on uniform samples of at most 10,000 rows per "
    "side; categories: one bucket per reference category plus one bucket for categories the reference "
    "never had (unseen)"
)


@dataclass
class ColumnDrift:
    column: str
    kind: str
    psi: float | None = None
    ks: float | None = None
    ks_pvalue: float | None = None
    chi2_pvalue: float | None = None
    js: float | None = None
    skipped: str | None = None  # why no statistic could be computed

    def metrics(self) -> dict[str, float]:
        names = ("psi", "ks", "ks_pvalue") if self.kind == NUMERIC else ("psi", "chi2_pvalue", "js")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "kind": self.kind, "psi": self.psi, "ks": self.ks, "ks_pvalue": self.ks_pvalue,
                "chi2_pvalue": self.chi2_pvalue, "js": self.js, "skipped": self.skipped}


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    r = np.maximum(np.asarray(reference, dtype=float), EPSILON)
    c = np.maximum(np.asarray(current, dtype=float), EPSILON)
    return float(np.sum((c - r) * np.log(c / r)))


def bin_edges(reference: DatasetProfile, name: str) -> list[float]:
    """The reference's min, 10 %…90 % quantiles and max, without repeats (the bins' fixed edges)."""
    column = reference.columns[name]
    assert column.min is not None and column.max is not None
    values = reference.values(name)
    ranks = [i / QUANTILE_BINS for i in range(1, QUANTILE_BINS)]
    inner = np.quantile(values, ranks, method="inverted_cdf").tolist()
    return sorted({column.min, *inner, column.max})


def bin_shares(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """Shares of sorted `values` in (-inf, e0), [e0, e1), …, [e_{k-1}, e_k], (e_k, inf)."""
    n = len(values)
    below = np.searchsorted(values, edges, side="left") / n  # share < each edge
    last = np.searchsorted(values, edges[-1], side="right") / n  # share <= the last edge
    if len(edges) == 1:  # the reference held one value: below it, at it, above it
        shares = [below[0], last - below[0], 1.0 - last]
    else:
        shares = [below[0], *np.diff(below)[:-1], last - below[-2], 1.0 - last]
    return np.asarray(shares, dtype=float)


def buckets(reference: ColumnProfile, current: ColumnProfile) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Category names (reference's, by frequency, then UNSEEN) and both sides' counts."""
    assert reference.counts is not None and current.counts is not None
    names = sorted(reference.counts, key=lambda n: (-reference.counts[n], n))  # type: ignore[index]
    ref = [reference.counts[n] for n in names] + [0]
    cur = [current.counts.get(n, 0) for n in names]
    cur.append(sum(c for n, c in current.counts.items() if n not in reference.counts))
    return [*names, UNSEEN], np.asarray(ref, dtype=float), np.asarray(cur, dtype=float)


def identifier(name: str, ref: ColumnProfile, cur: ColumnProfile, declared: tuple[str, ...] = ()) -> str | None:
    """Why a column is a row identifier, whose drift means nothing (new rows get new ids), or None: the
    predictions' id column (``declared``), a name such as ``id`` or ``index``, or, on both sides, integers
    numbering the rows (min to max, each once) or text with every value distinct."""
    if name in declared:
        return "the predictions' id column (predictions.id): a row identifier, not compared"
    if name.strip().lower() in ID_NAMES:
        return f"a row identifier (named {name.strip().lower()!r}), not compared"
    if all(_numbers_rows(c) for c in (ref, cur)):
        return "integers numbering the rows (each value once, min to max): a row identifier, not compared"
    if all(_distinct_text(c) for c in (ref, cur)):
        return "every value distinct on both sides: an identifier, not compared"
    return None


def _numbers_rows(c: ColumnProfile) -> bool:
    return (c.kind == NUMERIC and c.type.startswith(("int", "uint")) and not c.missing and c.present >= MIN_ID_ROWS
            and c.min is not None and c.max is not None and c.max - c.min + 1 == c.present
            and c.distinct_count >= 0.95 * c.present)


def _distinct_text(c: ColumnProfile) -> bool:
    return (c.kind == CATEGORICAL and c.counts is not None and c.present >= MIN_ID_ROWS
            and len(c.counts) == c.present)


def column_drift(reference: DatasetProfile, current: DatasetProfile, name: str,
                 identifiers: tuple[str, ...] = ()) -> ColumnDrift:
    ref, cur = reference.columns[name], current.columns[name]
    drift = ColumnDrift(name, cur.kind)
    why_not = identifier(name, ref, cur, identifiers)
    if why_not is not None:
        drift.skipped = why_not
    elif ref.kind != cur.kind:
        drift.skipped = f"{ref.kind} in the reference, {cur.kind} here: no drift statistic"
    elif not ref.present or not cur.present:
        drift.skipped = "no values on " + ("either side" if not ref.present and not cur.present else
                                          "the reference side" if not ref.present else "this side")
    elif cur.kind == NUMERIC:
        _numeric(drift, reference, current, ref, cur)
    elif ref.counts is None or cur.counts is None:
        drift.skipped = "more than 1,000 distinct values (an identifier or free text?): no category drift"
    else:
        _categorical(drift, ref, cur)
    return drift


def drifts_of(reference: DatasetProfile, current: DatasetProfile, identifiers: tuple[str, ...] = ()) -> list[ColumnDrift]:
    """The drift of every column the two profiles share, in the current profile's order; ``identifiers``:
    columns named as row identifiers (skipped, as are columns that look like one)."""
    with quiet_numbers():
        return [column_drift(reference, current, name, identifiers) for name in current.columns
                if name in reference.columns]


def _numeric(drift: ColumnDrift, reference: DatasetProfile, current: DatasetProfile,
             ref: ColumnProfile, cur: ColumnProfile) -> None:
    a, b = reference.values(ref.name), current.values(cur.name)
    if not len(a) or not len(b):  # a column almost all missing in millions of rows
        drift.skipped = "no values in the row sample (almost all missing)"
        return
    edges = bin_edges(reference, ref.name)
    drift.psi = psi(bin_shares(a, edges), bin_shares(b, edges))
    result = stats.ks_2samp(a, b)
    drift.ks, drift.ks_pvalue = float(result.statistic), float(result.pvalue)


def _categorical(drift: ColumnDrift, ref: ColumnProfile, cur: ColumnProfile) -> None:
    _, r, c = buckets(ref, cur)
    drift.psi = psi(r / r.sum(), c / c.sum())
    drift.js = float(jensenshannon(r / r.sum(), c / c.sum(), base=2))
    if math.isnan(drift.js):
        drift.js = 0.0
    table = np.vstack([r, c])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        drift.chi2_pvalue = 1.0  # one category on both sides: identical distributions
    else:
        drift.chi2_pvalue = float(stats.chi2_contingency(table, correction=False).pvalue)


def out_of_range_share(base: ColumnProfile, head: DatasetProfile, name: str) -> float | None:
    """Share of the head's values outside [base min, base max]: exactly 0 when the head's range is inside,
    else counted in the head's row sample."""
    column = head.columns[name]
    if base.kind != NUMERIC or column.kind != NUMERIC or base.min is None or not column.present:
        return None
    assert column.min is not None and column.max is not None and base.max is not None
    if column.min >= base.min and column.max <= base.max:
        return 0.0
    values = head.values(name)
    return float(np.mean((values < base.min) | (values > base.max)))


def new_category_share(base: ColumnProfile, head: ColumnProfile) -> float | None:
    """Share of the head's values in categories the base never had."""
    if base.kind != CATEGORICAL or head.kind != CATEGORICAL or base.counts is None or head.counts is None:
        return None
    if not head.present:
        return None
    return sum(c for n, c in head.counts.items() if n not in base.counts) / head.present
