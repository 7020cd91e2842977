"""compare: head against base in DVC's diff shape, over plain data."""

from __future__ import annotations

import math

import pytest

from mlgate.gating.compare import (
    changed_only,
    diff_entry,
    diff_flat,
    entry_status,
    is_number,
    numeric_diff,
    relative_change,
)

INF = math.inf


@pytest.mark.parametrize("value", [0, 1, -3, 0.5, INF, -INF, math.nan])
def test_numbers_are_numbers(value):
    assert is_number(value)


@pytest.mark.parametrize("value", [True, False, None, "0.9", [1], {"a": 1}, 10**400, -(10**400)])
def test_bools_text_and_containers_are_not_numbers(value):
    assert not is_number(value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [(0.95, 0.93, 0.93 - 0.95), (1, 3, 2), (2.0, 2.0, 0.0), (INF, INF, 0.0), (-INF, -INF, 0.0), (1.0, INF, INF), (INF, 1.0, -INF)],
)
def test_numeric_diff(old, new, expected):
    assert numeric_diff(old, new) == expected


def test_numeric_diff_with_nan_is_nan():
    assert math.isnan(numeric_diff(math.nan, 1.0))
    assert math.isnan(numeric_diff(1.0, math.nan))


@pytest.mark.parametrize(("old", "new"), [(None, 1.0), (1.0, None), ("a", 1.0), (True, 1.0), (1.0, [1]), (1, 10**400)])
def test_numeric_diff_is_none_unless_both_are_numbers(old, new):
    assert numeric_diff(old, new) is None


@pytest.mark.parametrize(
    ("old", "new", "expected"), [(2.0, 3.0, 0.5), (4.0, 3.0, -0.25), (-2.0, -3.0, -0.5), (-2.0, -1.0, 0.5)]
)
def test_relative_change_is_a_fraction_of_the_baseline_magnitude(old, new, expected):
    assert relative_change(old, new) == pytest.approx(expected)


@pytest.mark.parametrize(("old", "new"), [(0, 1.0), (0.0, 0.0), (INF, 1.0), (math.nan, 1.0), (None, 1.0), ("x", 1.0)])
def test_relative_change_is_undefined_for_zero_non_finite_or_missing_baselines(old, new):
    assert relative_change(old, new) is None


def test_diff_entry_has_diff_only_when_both_sides_are_numbers():
    assert diff_entry(1.0, 1.5) == {"old": 1.0, "new": 1.5, "diff": 0.5}
    assert diff_entry(None, 1.5) == {"old": None, "new": 1.5}
    assert diff_entry(1.0, "n/a") == {"old": 1.0, "new": "n/a"}


@pytest.mark.parametrize(
    ("old", "new", "status"),
    [
        (None, 1.0, "added"),
        (1.0, None, "removed"),
        (1.0, 2.0, "changed"),
        (1.0, 1.0, "unchanged"),
        (1, 1.0, "unchanged"),
        (math.nan, math.nan, "unchanged"),
        (math.nan, 1.0, "changed"),
        (INF, INF, "unchanged"),
        (INF, -INF, "changed"),
        ("a", "a", "unchanged"),
        ("a", "b", "changed"),
        (True, 1, "changed"),
        (0, False, "changed"),
        ([1, 2], [1, 2], "unchanged"),
    ],
)
def test_entry_status(old, new, status):
    assert entry_status({"old": old, "new": new}) == status


def test_diff_flat_has_every_key_of_every_file_on_either_side_sorted():
    old = {"b.json": {"acc": 0.9, "gone": 1}, "old_only.json": {"x": 1}}
    new = {"b.json": {"acc": 0.8, "new_key": 2}, "a.yaml": {"loss": 0.1}}
    diff = diff_flat(old, new)
    assert list(diff) == ["a.yaml", "b.json", "old_only.json"]
    assert list(diff["b.json"]) == ["acc", "gone", "new_key"]
    assert diff["b.json"]["acc"] == {"old": 0.9, "new": 0.8, "diff": pytest.approx(-0.1)}
    assert diff["b.json"]["gone"] == {"old": 1, "new": None}
    assert diff["b.json"]["new_key"] == {"old": None, "new": 2}
    assert diff["a.yaml"] == {"loss": {"old": None, "new": 0.1}}
    assert diff["old_only.json"] == {"x": {"old": 1, "new": None}}


def test_diff_flat_without_a_baseline_marks_everything_added():
    diff = diff_flat(None, {"m.json": {"acc": 0.9}})
    assert diff == {"m.json": {"acc": {"old": None, "new": 0.9}}}
    assert entry_status(diff["m.json"]["acc"]) == "added"


def test_diff_flat_drops_files_with_no_keys():
    assert diff_flat({"empty.json": {}}, {"empty.json": {}, "m.json": {"a": 1}}) == {"m.json": {"a": {"old": None, "new": 1}}}


def test_diff_flat_keeps_nan_and_infinities_as_values():
    diff = diff_flat({"m.json": {"a": 1.0, "b": INF}}, {"m.json": {"a": math.nan, "b": INF}})
    assert math.isnan(diff["m.json"]["a"]["new"]) and math.isnan(diff["m.json"]["a"]["diff"])
    assert diff["m.json"]["b"]["diff"] == 0.0


def test_changed_only_keeps_added_removed_and_changed_keys():
    diff = diff_flat(
        {"p.yaml": {"same": 1, "nan": math.nan, "changed": 1, "gone": 2}, "q.yaml": {"same": "x"}},
        {"p.yaml": {"same": 1, "nan": math.nan, "changed": 2, "new": 3}, "q.yaml": {"same": "x"}},
    )
    kept = changed_only(diff)
    assert list(kept) == ["p.yaml"]  # a file with nothing changed disappears
    assert sorted(kept["p.yaml"]) == ["changed", "gone", "new"]
