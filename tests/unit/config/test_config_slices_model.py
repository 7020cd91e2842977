"""config: predictions.slices / features / health and calibration options, and the model: block."""

from __future__ import annotations

import json

import pytest

from mlgate.config.load import parse_config
from mlgate.errors import ConfigError

FULL = """\
version: 1
predictions:
  path: eval/predictions.csv
  score: proba
  slices:
    - region
    - age: [0, 18, 65]
    - name: night_shift
      where: "hour < 6 or hour >= 22"
  features: data/test.parquet
  min_slice_size: 50
  slice_correction: bh
  calibration_bins: 15
  prediction_range: [0, 100]
model:
  path: models/model.pkl
  loader: pickle
  sample: data/test.csv
  rows: 200
kpis:
  "predictions.slice.region=*.accuracy": {max_drop: 0.02, confidence: 0.95}
  model.interface: unchanged
"""


def test_the_issue_format_loads() -> None:
    config = parse_config(FULL)
    p = config.predictions
    assert [(s.column, s.bins, s.name, s.where) for s in p.slices] == [
        ("region", None, None, None), ("age", [0.0, 18.0, 65.0], None, None),
        (None, None, "night_shift", "hour < 6 or hour >= 22")]
    assert (p.features, p.min_slice_size, p.slice_correction, p.calibration_bins, p.prediction_range) == (
        "data/test.parquet", 50, "bh", 15, [0.0, 100.0])
    m = config.model
    assert (m.path, m.loader, m.sample, m.rows, m.repeats) == ("models/model.pkl", "pickle", "data/test.csv", 200, 30)


def test_defaults() -> None:
    config = parse_config("version: 1\npredictions: {path: p.csv}\nmodel: {path: m.joblib}\n")
    p, m = config.predictions, config.model
    assert (p.slices, p.features, p.min_slice_size, p.slice_correction, p.calibration_bins, p.prediction_range) == (
        [], None, 30, "holm", 10, None)
    assert (m.loader, m.sample, m.rows) == ("joblib", None, 1000)
    assert parse_config("version: 1\n").model is None


BAD = {
    "predictions path outside": ("predictions: {path: ../x.csv}",
                                 "mlgate.yaml:2: predictions.path: '../x.csv' is not a path inside the repository; "
                                 "write it relative to the project root, without '..'"),
    "absolute features": ("predictions: {path: p.csv, features: /etc/passwd}",
                          "mlgate.yaml:2: predictions.features: '/etc/passwd' is not a path inside the repository; "
                          "write it relative to the project root, without '..'"),
    "model path climbing out": ("model: {path: a/../../b}",
                                "mlgate.yaml:2: model.path: 'a/../../b' is not a path inside the repository; "
                                "write it relative to the project root, without '..'"),
    "sample outside": ("model: {path: m.pkl, sample: ~/data.csv}",
                       "mlgate.yaml:2: model.sample: '~/data.csv' is not a path inside the repository; "
                       "write it relative to the project root, without '..'"),
    "bins not a list": ("predictions: {path: p.csv, slices: [{age: 3}]}",
                        "mlgate.yaml:2: predictions.slices: entry 1: age: expected at least two increasing bin "
                        "edges, e.g. [0, 18, 65], got 3 (int)"),
    "bins decreasing": ("predictions: {path: p.csv, slices: [region, {age: [3, 1]}]}",
                        "mlgate.yaml:2: predictions.slices: entry 2: age: expected at least two increasing bin "
                        "edges, e.g. [0, 18, 65], got [3, 1] (a list)"),
    "named slice without where": ("predictions: {path: p.csv, slices: [{name: x}]}",
                                  "mlgate.yaml:2: predictions.slices: entry 1: a named slice is {name: <text>, "
                                  "where: <pandas query>}, e.g. {name: night_shift, where: \"hour < 6 or hour >= 22\"}"),
    "slice entry a number": ("predictions: {path: p.csv, slices: [3]}",
                             "mlgate.yaml:2: predictions.slices: entry 1: expected a column name, {column: [edges]} "
                             "or {name:, where:}, got 3 (int)"),
    "unknown loader": ("model: {path: m.pkl, loader: torch}",
                       "mlgate.yaml:2: model.loader: expected 'joblib', 'pickle', 'skops' or 'onnx', got 'torch'"),
    "range reversed": ("predictions: {path: p.csv, prediction_range: [1, 0]}",
                       "mlgate.yaml:2: predictions.prediction_range: expected [low, high] with low < high, got [1.0, 0.0]"),
    "unknown correction": ("predictions: {path: p.csv, slice_correction: bonferroni}",
                           "mlgate.yaml:2: predictions.slice_correction: expected 'holm', 'bh' or 'none', "
                           "got 'bonferroni'"),
    "no rows": ("model: {path: m, rows: 0}", "mlgate.yaml:2: model.rows: must be at least 1, got 0 (int)"),
    "unknown model key": ("model: {path: m, smaple: x.csv}",
                          "mlgate.yaml:2: model.smaple: unknown key; did you mean 'sample'? "
                          "(allowed: path, loader, sample, rows, repeats)"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_config_error_line(case: str) -> None:
    text, expected = BAD[case]
    with pytest.raises(ConfigError) as info:
        parse_config("version: 1\n" + text + "\n")
    assert str(info.value) == expected


NESTED_BAD = {
    "slice metric without slices": (
        "predictions: {path: p.csv}\nkpis:\n  predictions.slice.a=1.accuracy: {min: 0.5}",
        "mlgate.yaml: kpis.predictions.slice.a=1.accuracy: a slice metric needs slices; add predictions.slices "
        "(a column, {column: [bin edges]} or {name:, where:})"),
    "unknown slice metric": (
        "predictions: {path: p.csv, slices: [region]}\nkpis:\n  predictions.slice.region=*.acuracy: {min: 0.5}",
        "mlgate.yaml: kpis.predictions.slice.region=*.acuracy: no such predictions metric 'acuracy' for a slice; "
        "use rows or one of accuracy, error, precision, precision_binary, precision_macro, precision_weighted, "
        "recall, recall_binary, recall_macro, recall_weighted, f1, f1_binary, f1_macro, f1_weighted, roc_auc, "
        "log_loss, mae, mse, rmse, r2"),
    "slice rows with confidence": (
        "predictions: {path: p.csv, slices: [region]}\nkpis:\n  predictions.slice.region=*.rows: {min: 50, confidence: 0.9}",
        "mlgate.yaml: kpis.predictions.slice.region=*.rows: a slice's rows cannot be judged on a confidence "
        "interval; remove confidence"),
    "health with confidence": (
        "predictions: {path: p.csv}\nkpis:\n  predictions.health.agreement: {min: 0.9, confidence: 0.9}",
        "mlgate.yaml: kpis.predictions.health.agreement: confidence applies to predictions metrics and slices, "
        "not to predictions.health.*; remove confidence"),
    "unknown health figure": (
        "predictions: {path: p.csv}\nkpis:\n  predictions.health.distinct: {min: 2}",
        "mlgate.yaml: kpis.predictions.health.distinct: no such figure; predictions.health.* has empty_share, "
        "out_of_range_share, score_missing_share, score_out_of_range_share, distinct_labels, entropy_bits, "
        "top_label_share, label_shift_js, label_shift_p, agreement"),
    "calibration without a score": (
        "predictions: {path: p.csv}\nkpis:\n  predictions.calibration.ece: {max: 0.1}",
        "mlgate.yaml: kpis.predictions.calibration.ece: calibration needs the positive-class probability; "
        "set predictions.score to the column that holds it"),
    "unknown group": (
        "predictions: {path: p.csv}\nkpis:\n  predictions.slices.a.accuracy: {min: 0.1}",
        "mlgate.yaml: kpis.predictions.slices.a.accuracy: no such predictions metric; nested ones are "
        "predictions.slice.<slice>.<metric>, predictions.health.*, predictions.flips.* and "
        "predictions.calibration.*"),
}


@pytest.mark.parametrize("case", list(NESTED_BAD))
def test_nested_predictions_kpis_are_checked(case: str) -> None:
    text, expected = NESTED_BAD[case]
    with pytest.raises(ConfigError) as info:
        parse_config("version: 1\n" + text + "\n")
    assert str(info.value) == expected


def test_nested_predictions_kpis_that_are_fine() -> None:
    config = parse_config("""version: 1
predictions: {path: p.csv, score: proba, slices: [region]}
kpis:
  "predictions.slice.region=*.accuracy": {max_drop: 0.02, confidence: 0.95}
  "predictions.slice.*.rows": {min: 30}
  predictions.slice.region=north.roc_auc: {min: 0.8}
  predictions.health.distinct_labels: {min: 2}
  "predictions.health.*": {max: 100, optional: true}
  predictions.flips.right_to_wrong: {max: 10}
  predictions.calibration.ece: {max: 0.05}
""")
    assert len(config.kpis) == 7


# A where: is checked before pandas evaluates it (mlgate.stats.where): nothing that computes forever, no '@'
# variables, no private attributes; the message quotes the where: bounded.
WHERE_BAD = {
    "huge exponent on a column": ("x ** 999999999999 > 1", "raises to the power 999999999999, above 100; such a "
                                                           "power takes forever or overflows"),
    "negative huge exponent": ("x ** -1e300 > 1", "raises to the power -1e+300, above 100"),
    "huge constant power": ("2 ** 999999999999 > x", "raises to the power 999999999999, above 100"),
    "power tower": ("9 ** 9 ** 9 > x", "raises to a power given by a constant expression; write the exponent as a "
                                       "number"),
    "growing constant": ("((2 ** 99) ** 99) ** 99 > x", "computes a constant of about"),
    "huge literal": ("x > " + "12345" * 10, "has an integer literal of more than 30 digits; write it as a float "
                                            "(e.g. 1e40)"),
    "text repeated": ("x == 'a' * 1000000000", "repeats text or a list with '*'; compare columns with values instead"),
    "a local variable": ("x > @threshold", "uses '@', which refers to a variable of the program, not a column; name "
                                           "the file's columns only"),
    "a private attribute": ("x.__class__.__init__ == 1", "uses the attribute '__init__'; attributes starting with "
                                                         "'_' are not allowed"),
    "a private name": ("__import__('os') == 1", "uses the name '__import__'; a name starting with '_' is not allowed"),
    "a huge call argument": ("region.str.repeat(10 ** 9) == 'a'", "passes a number above 1,000,000 to repeat(); a call "
                                                                   "such as region.str.repeat(10 ** 9) would not finish"),
    "a huge keyword argument": ("region.str.pad(width=1e10) == 'a'", "passes a number above 1,000,000 to pad()"),
    "not an expression": ("hour <", "is not an expression (invalid syntax); write a condition in pandas query syntax"),
}


@pytest.mark.parametrize("case", list(WHERE_BAD))
def test_a_where_is_checked_at_config_time(case: str) -> None:
    where, said = WHERE_BAD[case]
    with pytest.raises(ConfigError) as info:
        parse_config("version: 1\npredictions:\n  path: p.csv\n  slices:\n    - name: s\n      where: " +
                     json.dumps(where) + "\n")
    message = str(info.value)
    assert message.startswith(f"mlgate.yaml:4: predictions.slices: entry 1: where: {where!r} ")
    assert said in message and "\n" not in message


def test_a_96_kb_where_is_quoted_bounded() -> None:
    where = " or ".join(f"region == 'r{i:05d}'" for i in range(4400)) + " or"
    with pytest.raises(ConfigError) as info:
        parse_config(f"version: 1\npredictions:\n  path: p.csv\n  slices:\n    - {{name: s, where: {json.dumps(where)}}}\n")
    message = str(info.value)
    assert message.startswith("mlgate.yaml:4: predictions.slices: entry 1: where: \"region == 'r00000' or region")
    assert f"… ({len(where):,} characters) is not an expression (invalid syntax)" in message and len(message) < 300


@pytest.mark.parametrize("where", ["hour < 6 or hour >= 22", "`shift name` == 'night'", "x ** 2 + y ** 0.5 > 3",
                                   "2 ** x > 1e9", "region in ['north', 'south'] and not flag", "sin(x) > 0.5",
                                   "x > 1e40", "(x * 1000) ** 3 < 1",
                                   "region.str.repeat(2 * 3) == 'aaaaaa'", "x.round(-3) > 1"])
def test_ordinary_wheres_pass_the_check(where: str) -> None:
    config = parse_config(f"version: 1\npredictions:\n  path: p.csv\n  slices:\n    - {{name: s, where: {json.dumps(where)}}}\n")
    assert config.predictions.slices[0].where == where
