"""selectors: which metrics a KPI key names — dotted keys, `file:key`, and `*` for one segment."""

from __future__ import annotations

import pytest

from mlgate.errors import ConfigError
from mlgate.gating.selectors import key_matches, match, split_selector

FILES = {
    "eval/metrics.json": ["accuracy", "f1", "slices.young.recall", "slices.old.recall", "slices.old.precision"],
    "eval/model.yaml": ["model_size_mb", "accuracy"],
    "train/metrics.json": ["loss", "per_class.benign.recall"],
}


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("accuracy", "accuracy", True),
        ("accuracy", "accuracy2", False),
        ("slices.*.recall", "slices.young.recall", True),
        ("slices.*.recall", "slices.young.adult.recall", False),  # `*` is exactly one segment
        ("slices.*.recall", "slices.recall", False),
        ("*", "accuracy", True),
        ("*", "a.b", False),
        ("a.*", "a.b", True),
        ("a.b", "a.*", False),  # a literal `*` in the data is not a wildcard in the selector's place
        ("predictions.slice.region=*.accuracy", "predictions.slice.region=north.accuracy", True),  # within a segment
        ("predictions.slice.region=*.accuracy", "predictions.slice.age=[0,18).accuracy", False),
        ("predictions.slice.region=*.accuracy", "predictions.slice.region=n.x.accuracy", False),  # still one segment
        ("p.age=[*", "p.age=[18,65)", True),  # brackets and parentheses are text, not patterns
        ("p.age=[1*", "p.age=[18,65)", True),
        ("p.age=(*", "p.age=[18,65)", False),
    ],
)
def test_key_matches(pattern, key, expected):
    assert key_matches(pattern, key) is expected


def test_split_selector_recognises_known_files_only():
    assert split_selector("eval/model.yaml:accuracy", FILES) == ("eval/model.yaml", "accuracy")
    assert split_selector("other.json:accuracy", FILES) == (None, "other.json:accuracy")
    assert split_selector("accuracy", FILES) == (None, "accuracy")


def test_split_selector_prefers_the_longest_file_name():
    files = ["m.json", "m.json:v2.json"]
    assert split_selector("m.json:v2.json:acc", files) == ("m.json:v2.json", "acc")


def test_exact_key_in_one_file():
    assert match("f1", FILES) == [("eval/metrics.json", "f1")]


def test_glob_makes_one_match_per_key_sorted():
    assert match("slices.*.recall", FILES) == [
        ("eval/metrics.json", "slices.old.recall"),
        ("eval/metrics.json", "slices.young.recall"),
    ]


def test_glob_across_files_is_not_ambiguous():
    assert match("*.*.recall", FILES) == [
        ("eval/metrics.json", "slices.old.recall"),
        ("eval/metrics.json", "slices.young.recall"),
        ("train/metrics.json", "per_class.benign.recall"),
    ]


def test_file_qualified_selector_restricts_to_that_file():
    assert match("eval/model.yaml:accuracy", FILES) == [("eval/model.yaml", "accuracy")]
    assert match("eval/metrics.json:accuracy", FILES) == [("eval/metrics.json", "accuracy")]
    assert match("train/metrics.json:per_class.*.recall", FILES) == [("train/metrics.json", "per_class.benign.recall")]


def test_file_qualified_selector_does_not_find_a_key_of_another_file():
    assert match("eval/model.yaml:f1", FILES) == []


def test_exact_key_in_two_files_is_ambiguous_and_names_both_and_the_fix():
    with pytest.raises(ConfigError) as err:
        match("accuracy", FILES, source="conf/mlgate.yaml")
    message = str(err.value)
    assert message.startswith("conf/mlgate.yaml: kpis.accuracy: ambiguous")
    assert "eval/metrics.json" in message and "eval/model.yaml" in message
    assert "'eval/metrics.json:accuracy'" in message
    assert "\n" not in message


def test_selector_matching_nothing_returns_no_matches():
    assert match("recall", FILES) == []
    assert match("slices.*.f1", FILES) == []
    assert match("accuracy", {}) == []
