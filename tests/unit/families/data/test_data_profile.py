"""data.profile: each profile value equals pandas' on the same data; partitions merge into the whole; JSON round-trips."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlgate.families.data.profile import MAX_CATEGORIES, DatasetProfile, SchemaMismatch
from mlgate.families.data.sketches import SAMPLE_ROWS, Distinct, hash_numbers
from tests.support.data_files import profile_of, sample_frame


def test_numeric_profile_equals_pandas():
    frame = sample_frame(SAMPLE_ROWS)  # the row sample holds every row, so the median is exact too
    p = profile_of(frame)
    for name in ("x", "k"):
        column, series = p.columns[name], frame[name].astype("float64")
        assert column.kind == "numeric"
        assert column.rows == len(series)
        assert column.missing_share == pytest.approx(series.isna().mean())
        assert column.mean == pytest.approx(series.mean(), rel=1e-12)
        assert column.std == pytest.approx(series.std(), rel=1e-12)  # pandas: sample standard deviation
        assert (column.min, column.max) == (series.min(), series.max())
        # HyperLogLog: within 2 standard errors (1.6 % each) of the exact count
        assert column.distinct_count == pytest.approx(series.nunique(), rel=0.032)
        # the median is an observed value: the lower middle one (pandas averages the two middle ones)
        values = np.sort(series.dropna().to_numpy())
        assert p.quantile(name, 0.5) == values[(len(values) + 1) // 2 - 1]


def test_categorical_profile_equals_pandas():
    frame = sample_frame(5000)
    p = profile_of(frame)
    column, series = p.columns["color"], frame["color"]
    assert column.kind == "categorical"
    assert column.missing_share == pytest.approx(series.isna().mean())
    assert column.counts == series.value_counts().to_dict()
    assert column.distinct_count == series.nunique()
    top = series.value_counts(normalize=True)
    assert column.top(2) == [(top.index[0], pytest.approx(top.iloc[0])), (top.index[1], pytest.approx(top.iloc[1]))]


def test_the_target_is_categorical_whatever_its_type():
    frame = pd.DataFrame({"label": [0, 1, 1, 2, 1]})
    column = profile_of(frame, categorical=("label",)).columns["label"]
    assert column.kind == "categorical" and column.counts == {"0": 1, "1": 3, "2": 1}


def test_partitions_merge_into_the_profile_of_the_whole():
    frame = sample_frame(40_000)
    whole = profile_of(frame, chunk=40_000)
    parts = [profile_of(frame.iloc[i : i + 10_000], chunk=4096, seed=i) for i in range(0, 40_000, 10_000)]
    keys = np.concatenate([p.sample.keys for p in parts])
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    assert (merged.rows, merged.parts) == (whole.rows, len(parts))
    for name, column in whole.columns.items():
        other = merged.columns[name]
        assert (other.rows, other.missing, other.count) == (column.rows, column.missing, column.count)
        assert other.mean == pytest.approx(column.mean, rel=1e-12)
        assert other.m2 == pytest.approx(column.m2, rel=1e-9)
        assert (other.min, other.max, other.counts) == (column.min, column.max, column.counts)
        assert np.array_equal(other.distinct.registers, column.distinct.registers)
    # the merged sample is the bottom-k of the parts' keys: a uniform sample of the whole
    assert np.array_equal(merged.sample.keys, np.sort(keys)[:SAMPLE_ROWS])
    assert abs(merged.values("x").mean() - frame["x"].mean()) < 0.1  # 5 standard errors (sd 2, 9,000 values)


def test_merge_order_does_not_matter():
    a, b = profile_of(sample_frame(3000, seed=1), seed=11), profile_of(sample_frame(3000, seed=2), seed=22)
    a2, b2 = DatasetProfile.from_dict(a.to_dict()), DatasetProfile.from_dict(b.to_dict())
    a.merge(b)
    b2.merge(a2)
    assert np.array_equal(a.sample.keys, b2.sample.keys)
    assert np.array_equal(a.sample.values["x"], b2.sample.values["x"], equal_nan=True)
    assert a.columns["color"].counts == b2.columns["color"].counts
    assert a.columns["x"].mean == pytest.approx(b2.columns["x"].mean)


def test_partitions_with_different_types_do_not_merge():
    a = profile_of(pd.DataFrame({"v": [1, 2]}))
    b = profile_of(pd.DataFrame({"v": ["a", "b"]}))
    with pytest.raises(SchemaMismatch, match="'v' is int64 in one part but string in another"):
        a.merge(b)


def test_the_same_data_gives_the_same_profile():
    one, two = profile_of(sample_frame(30_000)), profile_of(sample_frame(30_000))
    assert json.dumps(one.to_dict()) == json.dumps(two.to_dict())


def test_json_round_trip_keeps_every_statistic():
    p = profile_of(sample_frame(6000))
    text = json.dumps(p.to_dict())
    back = DatasetProfile.from_dict(json.loads(text))
    assert back.to_dict() == p.to_dict()
    assert back.quantile("x", 0.9) == p.quantile("x", 0.9)


def test_the_row_sample_is_bounded_uniform_and_keeps_missing_values_out():
    frame = sample_frame(50_000)
    p = profile_of(frame, chunk=4096)
    assert len(p.sample.keys) == SAMPLE_ROWS
    values = p.values("x")
    assert not np.isnan(values).any()
    assert set(values) <= set(frame["x"].dropna())
    assert abs(values.mean() - frame["x"].mean()) < 0.1  # 5 standard errors of a 9,000-value mean (sd 2)
    assert abs(np.mean(values < 3.0) - np.mean(frame["x"].dropna() < 3.0)) < 0.025  # 5 standard errors


def test_small_distinct_counts_are_exact():
    frame = pd.DataFrame({"k": np.arange(300) % 37, "f": (np.arange(300) % 11) / 4})
    p = profile_of(frame)
    assert (p.columns["k"].distinct_count, p.columns["f"].distinct_count) == (37, 11)


def test_too_many_categories_keep_only_the_distinct_count():
    frame = pd.DataFrame({"id": [f"user-{i}" for i in range(MAX_CATEGORIES + 500)]})
    column = profile_of(frame).columns["id"]
    assert column.counts is None
    assert column.distinct_count == pytest.approx(MAX_CATEGORIES + 500, rel=0.03)


def test_distinct_count_stays_within_the_stated_error_at_scale():
    distinct = Distinct()
    for start in range(0, 200_000, 50_000):
        values = np.arange(start, start + 50_000, dtype=np.float64)
        distinct.add_hashes(hash_numbers(np.concatenate([values, values[:1000]])))  # repeats count once
    assert distinct.estimate() == pytest.approx(200_000, rel=0.05)  # 3 standard errors of 1.6 %


def test_an_all_null_column_has_no_statistics_but_a_missing_share_of_one():
    frame = pd.DataFrame({"x": [np.nan] * 4, "s": pd.Series([None] * 4, dtype=object)})
    p = profile_of(frame)
    for column in p.columns.values():
        assert column.missing_share == 1.0 and column.present == 0 and column.distinct_count == 0
    assert p.quantile("x", 0.5) is None and p.columns["x"].std is None
