"""data.drift: each statistic equals a direct computation; known drift is found; same-distribution samples
raise no more alarms than the stated rate, over many seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from mlgate.families.data import drift
from mlgate.families.data.sketches import SAMPLE_ROWS
from tests.support.data_files import profile_of


def hand_shares(x: np.ndarray, edges: list[float]) -> np.ndarray:
    """Shares in (-inf, e0), [e0, e1), ..., [e_{k-1}, e_k], (e_k, inf), counted directly."""
    e = np.asarray(edges)
    inner = [np.mean((x >= e[i]) & (x < e[i + 1])) for i in range(len(e) - 2)]
    return np.array([np.mean(x < e[0]), *inner, np.mean((x >= e[-2]) & (x <= e[-1])), np.mean(x > e[-1])])


def hand_psi(ref: np.ndarray, cur: np.ndarray) -> float:
    r, c = np.maximum(ref, 1e-4), np.maximum(cur, 1e-4)
    return float(np.sum((c - r) * np.log(c / r)))


def test_numeric_psi_equals_the_hand_computed_psi_on_the_reference_bins():
    rng = np.random.default_rng(7)
    ref, cur = rng.normal(0, 1, 5000), rng.normal(0.5, 1.3, 4000)  # within the sample: every row counts
    a, b = profile_of(pd.DataFrame({"x": ref})), profile_of(pd.DataFrame({"x": cur}))
    edges = drift.bin_edges(a, "x")
    # the fixed bins: the reference's min, its 10 % ... 90 % quantiles (observed values) and its max
    assert len(edges) == 11 and edges[0] == ref.min() and edges[-1] == ref.max()
    assert all(np.isin(edges, ref))
    assert all(np.mean(ref <= e) >= q / 10 > np.mean(ref < e) for q, e in zip(range(1, 10), edges[1:-1]))
    expected = hand_psi(hand_shares(ref, edges), hand_shares(cur, edges))
    got = drift.column_drift(a, b, "x")
    assert got.psi == pytest.approx(expected, rel=1e-9)
    assert got.psi > 0.2  # a known shift is reported as one


def test_numeric_psi_at_scale_stays_within_the_sample_error():
    rng = np.random.default_rng(8)
    ref, cur = rng.normal(0, 1, 200_000), rng.normal(0.3, 1, 200_000)
    a, b = profile_of(pd.DataFrame({"x": ref}), chunk=8192), profile_of(pd.DataFrame({"x": cur}), chunk=8192, seed=2)
    edges = drift.bin_edges(a, "x")
    expected = hand_psi(hand_shares(ref, edges), hand_shares(cur, edges))
    assert drift.column_drift(a, b, "x").psi == pytest.approx(expected, abs=0.01)


def test_ks_equals_scipy_on_all_rows_up_to_the_sample_size():
    rng = np.random.default_rng(9)
    ref, cur = rng.normal(0, 1, SAMPLE_ROWS), rng.normal(0.2, 1, 1500)
    ref[:50] = np.nan  # missing values are left out, as they would be by hand
    a, b = profile_of(pd.DataFrame({"x": ref})), profile_of(pd.DataFrame({"x": cur}), seed=2)
    got = drift.column_drift(a, b, "x")
    expected = stats.ks_2samp(ref[~np.isnan(ref)], cur)
    assert got.ks == pytest.approx(expected.statistic, rel=1e-12)
    assert got.ks_pvalue == pytest.approx(expected.pvalue, rel=1e-9)
    assert got.ks_pvalue < 0.01


def test_categorical_statistics_equal_scipy_with_an_unseen_bucket():
    ref = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 30 + ["c"] * 20})
    cur = pd.DataFrame({"c": ["a"] * 30 + ["b"] * 30 + ["c"] * 10 + ["new1"] * 20 + ["new2"] * 10})
    a, b = profile_of(ref), profile_of(cur)
    names, r, c = drift.buckets(a.columns["c"], b.columns["c"])
    assert names == ["a", "b", "c", drift.UNSEEN]
    assert r.tolist() == [50, 30, 20, 0] and c.tolist() == [30, 30, 10, 30]  # new1 and new2 pooled
    got = drift.column_drift(a, b, "c")
    table = np.array([[50, 30, 20, 0], [30, 30, 10, 30]])
    assert got.chi2_pvalue == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, rel=1e-9)
    assert got.js == pytest.approx(jensenshannon(table[0] / 100, table[1] / 100, base=2), rel=1e-9)
    assert got.psi == pytest.approx(hand_psi(table[0] / 100, table[1] / 100), rel=1e-9)
    assert drift.new_category_share(a.columns["c"], b.columns["c"]) == pytest.approx(0.3)


def test_an_unseen_bucket_empty_on_both_sides_is_left_out_of_chi_squared():
    a = profile_of(pd.DataFrame({"c": ["a", "b"] * 50}))
    b = profile_of(pd.DataFrame({"c": ["a"] * 60 + ["b"] * 40}))
    got = drift.column_drift(a, b, "c")
    assert got.chi2_pvalue == pytest.approx(stats.chi2_contingency([[50, 50], [60, 40]], correction=False).pvalue)


def test_out_of_range_share_counts_values_beyond_the_base_range():
    a = profile_of(pd.DataFrame({"x": np.linspace(0, 10, 101)}))
    b = profile_of(pd.DataFrame({"x": np.linspace(-5, 15, 201)}))
    inside = profile_of(pd.DataFrame({"x": np.linspace(1, 10, 50)}))
    expected = np.mean((np.linspace(-5, 15, 201) < 0) | (np.linspace(-5, 15, 201) > 10))
    assert drift.out_of_range_share(a.columns["x"], b, "x") == pytest.approx(expected)
    assert drift.out_of_range_share(a.columns["x"], inside, "x") == 0.0


def test_a_column_that_changed_kind_or_has_no_values_is_skipped_with_a_reason():
    a = profile_of(pd.DataFrame({"x": [1.0, 2.0], "e": [np.nan, np.nan]}))
    b = profile_of(pd.DataFrame({"x": ["1", "two"], "e": [np.nan, np.nan]}))
    assert drift.column_drift(a, b, "x").skipped == "numeric in the reference, categorical here: no drift statistic"
    assert drift.column_drift(a, b, "e").skipped == "no values on either side"
    assert drift.column_drift(a, b, "e").metrics() == {}


SEEDS = range(200)
ALPHA = 0.01
PSI_THRESHOLD = 0.1


def test_same_distribution_false_alarms_stay_within_the_stated_rate():
    """Two samples of 1,000 rows from one distribution, 200 seeds: KS and chi-squared p < 0.01 at most at
    their nominal 1 % (allowing binomial noise: at most 6 of 200), PSI >= 0.1 never."""
    ks_alarms = chi2_alarms = psi_alarms = 0
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        frames = [pd.DataFrame({"x": rng.gamma(2.0, 1.0, 1000), "c": rng.choice(list("abcde"), 1000)})
                  for _ in range(2)]
        a, b = profile_of(frames[0], chunk=1000, seed=1), profile_of(frames[1], chunk=1000, seed=2)
        x, c = drift.column_drift(a, b, "x"), drift.column_drift(a, b, "c")
        ks_alarms += x.ks_pvalue < ALPHA
        chi2_alarms += c.chi2_pvalue < ALPHA
        psi_alarms += x.psi >= PSI_THRESHOLD or c.psi >= PSI_THRESHOLD
    assert ks_alarms <= 6 and chi2_alarms <= 6
    assert psi_alarms == 0


def test_a_small_real_shift_is_found_at_the_same_sizes():
    rng = np.random.default_rng(1)
    a = profile_of(pd.DataFrame({"x": rng.normal(0, 1, 1000)}), seed=1)
    b = profile_of(pd.DataFrame({"x": rng.normal(0.5, 1, 1000)}), seed=2)
    got = drift.column_drift(a, b, "x")
    assert got.ks_pvalue < ALPHA and got.psi >= PSI_THRESHOLD
