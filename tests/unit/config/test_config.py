"""config: the mlgate.yaml format loads; every bad input is one ConfigError line naming file, line, key and fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlgate.config.load import load_config, parse_config
from mlgate.config.schema import Config
from mlgate.errors import EXIT_BAD_INPUT, ConfigError

ISSUE_FORMAT = """\
version: 1
baseline:
  ref: main            # optional; default: merge-base with the default branch
  reproduce: auto      # auto | always | never
kpis:
  accuracy:            # selector: a metric's dotted key; "path/to/file.json:key" when ambiguous;
    min: 0.90          #   "*" matches one key segment, e.g. "slices.*.recall"
    max_drop: 0.01     # absolute drop allowed against the baseline (higher is better)
  f1:
    max_drop_pct: 2    # drop allowed in percent of the baseline value
  model_size_mb:
    max: 50
    max_increase_pct: 10   # lower is better; also max_increase (absolute)
    severity: warn     # warn: reported, never blocks; default: fail
  "slices.*.recall":
    min: 0.7
    optional: true     # a missing metric is skipped instead of failing
"""


def test_the_format_from_the_issue_loads():
    config = parse_config(ISSUE_FORMAT)
    assert config.version == 1
    assert (config.baseline.ref, config.baseline.reproduce) == ("main", "auto")
    assert list(config.kpis) == ["accuracy", "f1", "model_size_mb", "slices.*.recall"]
    acc, f1, size, slices = config.kpis.values()
    assert acc.rules() == [("min", 0.9), ("max_drop", 0.01)]
    assert (acc.severity, acc.optional, acc.higher_is_better) == ("fail", False, True)
    assert f1.rules() == [("max_drop_pct", 2.0)]
    assert size.rules() == [("max", 50.0), ("max_increase_pct", 10.0)]
    assert (size.severity, size.higher_is_better) == ("warn", False)
    assert slices.rules() == [("min", 0.7)] and slices.optional


def test_defaults():
    config = parse_config("version: 1\n")
    assert config.kpis == {}
    assert (config.baseline.ref, config.baseline.reproduce, config.baseline.ledger) == (None, "auto", True)
    assert config.predictions is None
    assert (config.report.title, config.report.template) == ("mlgate", None)


def test_the_bundled_example_config_loads():
    path = Path(__file__).resolve().parents[3] / "examples" / "classifier" / "mlgate.yaml"
    assert isinstance(load_config(path), Config)


def test_flow_style_and_integers_are_fine():
    config = parse_config("version: 1\nkpis:\n  acc: {min: 1, max: 2}\n  loss: {max_increase: 0}\n")
    assert config.kpis["acc"].rules() == [("min", 1.0), ("max", 2.0)]
    assert config.kpis["loss"].rules() == [("max_increase", 0.0)]


def test_yaml_anchors_are_resolved():
    config = parse_config("version: 1\nkpis:\n  a: &rules {min: 0.9}\n  b: *rules\n")
    assert config.kpis["a"] == config.kpis["b"]


def test_confidence_and_significance_agreeing_is_fine():
    text = ("version: 1\npredictions: {path: p.csv}\n"
            "kpis:\n  predictions.accuracy: {max_drop: 0.01, confidence: 0.95, significance: 0.05}\n")
    kpi = parse_config(text).kpis["predictions.accuracy"]
    assert kpi.confidence_level == pytest.approx(0.95)


def test_a_flag_rule_named_alone_is_the_rule_set_to_true():
    kpi = parse_config("version: 1\nkpis:\n  data.train.schema: unchanged\n").kpis["data.train.schema"]
    assert kpi.rules() == [("unchanged", True)]


# Each bad input: (YAML, the exact one-line message parse_config gives for a file called mlgate.yaml).
BAD = {
    "unknown key, did you mean": (
        "version: 1\nkpis:\n  accuracy:\n    min: 0.9\n    max_dorp: 0.01\n",
        "mlgate.yaml:5: kpis.accuracy.max_dorp: unknown key; did you mean 'max_drop'? (allowed: min, max, max_drop, "
        "max_drop_pct, max_increase, max_increase_pct, max_drop_from_best, max_drop_pct_from_best, max_increase_from_best, "
        "max_increase_pct_from_best, unchanged, direction, severity, optional, confidence, significance)",
    ),
    "unknown top-level key": (
        "version: 1\nkpi:\n  accuracy: {min: 0.9}\n",
        "mlgate.yaml:2: kpi: unknown key; did you mean 'kpis'? (allowed: version, baseline, kpis, predictions, model, report, data, monitor)",
    ),
    "min_history above window": (
        "version: 1\nbaseline:\n  window: 10\n  min_history: 12\n",
        "mlgate.yaml:2: baseline: min_history (12) is above window (10): no history could be long enough; "
        "raise window or lower min_history",
    ),
    "window too small": (
        "version: 1\nbaseline:\n  window: 1\n",
        "mlgate.yaml:3: baseline.window: must be at least 2, got 1 (int)",
    ),
    "negative ratchet margin": (
        "version: 1\nkpis:\n  accuracy:\n    max_drop_from_best: -0.01\n",
        "mlgate.yaml:4: kpis.accuracy.max_drop_from_best: must be at least 0.0, got -0.01 (float)",
    ),
    "unknown baseline key": (
        "version: 1\nbaseline:\n  reproduse: auto\n",
        "mlgate.yaml:3: baseline.reproduse: unknown key; did you mean 'reproduce'? "
        "(allowed: ref, reproduce, ledger, max_distance, window, min_history, max_age_days)",
    ),
    "unknown key, nothing close": (
        "version: 1\nreport:\n  colour: red\n",
        "mlgate.yaml:3: report.colour: unknown key; (allowed: title, template, plots)",
    ),
    "quoted number": (
        "version: 1\nkpis:\n  accuracy:\n    min: '0.9'\n",
        "mlgate.yaml:4: kpis.accuracy.min: expected a number, got '0.9'; write it without quotes, e.g. 0.9",
    ),
    "bool as number": (
        "version: 1\nkpis:\n  accuracy:\n    min: true\n",
        "mlgate.yaml:4: kpis.accuracy.min: expected a number, got True (a boolean); YAML reads true/false/yes/no as"
        " booleans, write a number, e.g. 0.9",
    ),
    "list as number": (
        "version: 1\nkpis:\n  accuracy:\n    max_drop: [0.01]\n",
        "mlgate.yaml:4: kpis.accuracy.max_drop: expected a number, got [0.01] (a list); write a number, e.g. 0.9",
    ),
    "NaN threshold": (
        "version: 1\nkpis:\n  accuracy:\n    min: .nan\n",
        "mlgate.yaml:4: kpis.accuracy.min: expected a finite number, got nan (float); "
        "NaN and infinities cannot be thresholds",
    ),
    "min above max": (
        "version: 1\nkpis:\n  accuracy:\n    min: 0.9\n    max: 0.5\n",
        "mlgate.yaml:3: kpis.accuracy: min (0.9) is above max (0.5); no value can pass, swap them",
    ),
    "negative margin": (
        "version: 1\nkpis:\n  accuracy:\n    max_drop: -0.01\n",
        "mlgate.yaml:4: kpis.accuracy.max_drop: must be at least 0.0, got -0.01 (float)",
    ),
    "negative percent margin": (
        "version: 1\nkpis:\n  latency:\n    max_increase_pct: -5\n",
        "mlgate.yaml:4: kpis.latency.max_increase_pct: must be at least 0.0, got -5 (int)",
    ),
    "drop and increase contradict": (
        "version: 1\nkpis:\n  accuracy:\n    max_drop: 0.01\n    max_increase_pct: 5\n",
        "mlgate.yaml:3: kpis.accuracy: max_drop (higher is better) and max_increase_pct (lower is better) "
        "contradict; keep one kind",
    ),
    "direction contradicts rule": (
        "version: 1\nkpis:\n  accuracy:\n    max_drop: 0.01\n    direction: lower\n",
        "mlgate.yaml:3: kpis.accuracy: direction: lower contradicts max_drop; use max_increase or max_increase_pct",
    ),
    "a word that is not a rule": (
        "version: 1\nkpis:\n  accuracy: higher\n",
        "mlgate.yaml:2: kpis: accuracy: 'higher' is not a rule; write a mapping such as {min: 0.9}, "
        "or one of unchanged alone",
    ),
    "a rule with no interval decision under confidence": (
        "version: 1\npredictions: {path: p.csv}\nkpis:\n  predictions.accuracy: {unchanged: true, confidence: 0.9}\n",
        "mlgate.yaml:4: kpis.predictions.accuracy: unchanged cannot be judged on a confidence interval; "
        "remove confidence or put the rule on a KPI of its own",
    ),
    "empty rule set": (
        "version: 1\nkpis:\n  accuracy:\n    severity: warn\n",
        "mlgate.yaml:3: kpis.accuracy: no rule given; add at least one of min, max, max_drop, max_drop_pct, "
        "max_increase, max_increase_pct, max_drop_from_best, max_drop_pct_from_best, max_increase_from_best, "
        "max_increase_pct_from_best, unchanged",
    ),
    "KPI with nothing under it": (
        "version: 1\nkpis:\n  accuracy:\n",
        "mlgate.yaml:3: kpis.accuracy: expected a mapping of keys, got None (nothing)",
    ),
    "KPI given a bare number": (
        "version: 1\nkpis:\n  accuracy: 0.9\n",
        "mlgate.yaml:3: kpis.accuracy: expected a mapping of keys, got 0.9 (float)",
    ),
    "kpis as a list": (
        "version: 1\nkpis:\n  - accuracy\n  - f1\n",
        "mlgate.yaml:2: kpis: expected a mapping of keys, got ['accuracy', 'f1'] (a list)",
    ),
    "version missing": (
        "kpis:\n  accuracy: {min: 0.9}\n",
        "mlgate.yaml: missing 'version'; add 'version: 1' at the top",
    ),
    "version wrong": (
        "version: 2\nkpis:\n  accuracy: {min: 0.9}\n",
        "mlgate.yaml:1: version: expected 1, got 2 (int)",
    ),
    "version quoted": (
        "version: '1'\n",
        "mlgate.yaml:1: version: expected 1, got '1'; write 'version: 1'",
    ),
    "version as a bool": (
        "version: true\n",
        "mlgate.yaml:1: version: expected 1, got True (a boolean); write 'version: 1'",
    ),
    "version as a float": (
        "kpis: {}\nversion: 1.0\n",
        "mlgate.yaml:2: version: expected 1, got 1.0 (float); write 'version: 1'",
    ),
    "duplicate KPI": (
        "version: 1\nkpis:\n  accuracy:\n    min: 0.9\n  accuracy:\n    min: 0.8\n",
        "mlgate.yaml:5: kpis.accuracy: key given twice; keep one of them",
    ),
    "duplicate rule": (
        "version: 1\nkpis:\n  accuracy:\n    min: 0.9\n    min: 0.8\n",
        "mlgate.yaml:5: kpis.accuracy.min: key given twice; keep one of them",
    ),
    "invalid YAML: unclosed flow mapping": (
        "version: 1\nkpis:\n  accuracy: {min: 0.9\n",
        "mlgate.yaml:4: not valid YAML: expected ',' or '}', but got '<stream end>'; fix the syntax at that line",
    ),
    "invalid YAML: bad indentation": (
        "version: 1\nkpis:\n  accuracy:\n    min: 0.9\n   max: 1\n",
        "mlgate.yaml:5: not valid YAML: expected <block end>, but found '<block mapping start>'; "
        "fix the syntax at that line",
    ),
    "invalid YAML: tab": (
        "version: 1\nkpis:\n\taccuracy: {min: 1}\n",
        "mlgate.yaml:3: not valid YAML: found character '\\t' that cannot start any token; fix the syntax at that line",
    ),
    "unsafe YAML tag": (
        "version: 1\nkpis: !!python/object/apply:os.system ['true']\n",
        "mlgate.yaml:2: not valid YAML: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'; fix the syntax at that line",
    ),
    "not a mapping: a list": (
        "- version: 1\n",
        "mlgate.yaml: expected a mapping with 'version: 1' and 'kpis:', got a list",
    ),
    "not a mapping: text": (
        "accuracy >= 0.9\n",
        "mlgate.yaml: expected a mapping with 'version: 1' and 'kpis:', got text",
    ),
    "empty file": (
        "",
        "mlgate.yaml: expected a mapping with 'version: 1' and 'kpis:', got nothing",
    ),
    "bad severity": (
        "version: 1\nkpis:\n  accuracy:\n    min: 0.9\n    severity: error\n",
        "mlgate.yaml:5: kpis.accuracy.severity: expected 'fail' or 'warn', got 'error'",
    ),
    "bad reproduce mode": (
        "version: 1\nbaseline:\n  reproduce: sometimes\n",
        "mlgate.yaml:3: baseline.reproduce: expected 'auto', 'always' or 'never', got 'sometimes'",
    ),
    "optional as text": (
        "version: 1\nkpis:\n  accuracy:\n    min: 0.9\n    optional: 'yes'\n",
        "mlgate.yaml:5: kpis.accuracy.optional: expected true or false, got 'yes'",
    ),
    "ref as a number": (
        "version: 1\nbaseline:\n  ref: 5\n",
        "mlgate.yaml:3: baseline.ref: expected text, got 5 (int)",
    ),
    "whole number expected": (
        "version: 1\nbaseline:\n  max_distance: 2.5\n",
        "mlgate.yaml:3: baseline.max_distance: expected a whole number, got 2.5 (float)",
    ),
    "confidence out of range": (
        "version: 1\nkpis:\n  accuracy:\n    max_drop: 0.01\n    confidence: 95\n",
        "mlgate.yaml:5: kpis.accuracy.confidence: must be below 1.0, got 95 (int)",
    ),
    "required key missing": (
        "version: 1\npredictions:\n  label: y\n",
        "mlgate.yaml:2: predictions.path: required key is missing; add it",
    ),
    "number as a selector": (
        "version: 1\nkpis:\n  1.5:\n    min: 1\n",
        'mlgate.yaml:3: kpis.1.5: a key must be text, got 1.5 (float); quote it, e.g. "1.5"',
    ),
    "line break inside a key": (
        'version: 1\nkpis:\n  "acc\\nuracy":\n    min: x\n',
        "mlgate.yaml:4: kpis.acc\\nuracy.min: expected a number, got 'x'; write it without quotes, e.g. 0.9",
    ),
    "a ratchet with the ledger off": (
        "version: 1\nbaseline:\n  ledger: false\nkpis:\n  r2:\n    max_drop: 0.01\n    max_drop_from_best: 0.03\n",
        "mlgate.yaml:7: kpis.r2.max_drop_from_best: the ratchet judges against the ledger's history, but "
        "baseline.ledger is false; set baseline.ledger: true or remove max_drop_from_best",
    ),
    "several problems": (
        "version: 1\nkpis:\n  accuracy:\n    min: x\n    max: y\n",
        "mlgate.yaml:4: kpis.accuracy.min: expected a number, got 'x'; write it without quotes, e.g. 0.9 "
        "(and 1 more problem)",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_one_line_naming_file_line_and_key(case):
    text, expected = BAD[case]
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    message = str(err.value)
    assert message == expected
    assert "\n" not in message and "\r" not in message
    assert err.value.exit_code == EXIT_BAD_INPUT


def test_there_are_at_least_fifteen_bad_input_cases():
    assert len(BAD) >= 15


def test_load_config_names_the_file_it_read(tmp_path):
    path = tmp_path / "conf" / "gates.yaml"
    path.parent.mkdir()
    path.write_text(textwrap.dedent("""\
        version: 1
        kpis:
          f1:
            max_drop_pct: '2'
        """))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}:4: kpis.f1.max_drop_pct: expected a number, got '2'; write it without quotes, e.g. 0.9"


def test_missing_file_says_how_to_fix_it(tmp_path):
    path = tmp_path / "mlgate.yaml"
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == (
        f"{path}: no such file; create it (see the README's mlgate.yaml reference) or pass --config"
    )


def test_undecodable_file_is_a_config_error(tmp_path):
    path = tmp_path / "mlgate.yaml"
    path.write_bytes(b"version: 1\nkpis:\n  acc\xff: {min: 1}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(f"{path}: cannot read: ")
    assert message.endswith("; check the file's permissions and encoding")
    assert "\n" not in message


def test_a_directory_is_not_a_config(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert str(err.value).startswith(f"{tmp_path}: cannot read: ")


def test_text_with_a_lone_surrogate_is_text_where_text_is_expected_and_a_clear_error_elsewhere():
    # YAML's "\ud800" escape gives a lone surrogate, which the validator cannot encode: found by the property test
    config = parse_config('version: 1\nbaseline:\n  ref: "main\\ud800"\n')
    assert config.baseline.ref == "main\ud800"
    with pytest.raises(ConfigError) as err:
        parse_config('version: 1\nkpis:\n  accuracy:\n    min: "\\ud800"\n')
    assert str(err.value) == ("mlgate.yaml:4: kpis.accuracy.min: expected a number, got '\\ud800'; "
                              "write it without quotes, e.g. 0.9")


def test_every_problem_is_counted_across_blocks_and_the_first_in_the_file_order_is_named():
    text = "version: 1\nbaseline:\n  max_distance: -1\nkpis:\n  accuracy: {min: x}\nreport:\n  colour: red\n"
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert str(err.value) == "mlgate.yaml:3: baseline.max_distance: must be at least 0, got -1 (int) (and 2 more problems)"


def test_a_character_yaml_does_not_allow_is_named_with_its_line():
    with pytest.raises(ConfigError) as err:
        parse_config("version: 1\nkpis:\n  acc\x08: {min: 1}\n")
    assert str(err.value) == ("mlgate.yaml:3: not valid YAML: unacceptable character #x0008: special characters are"
                              " not allowed; fix the syntax at that line")


def test_each_bad_item_of_a_list_is_a_problem_of_its_own():
    with pytest.raises(ConfigError) as err:
        parse_config("version: 1\npredictions:\n  path: p.csv\n  prediction_range: [low, high]\n")
    assert str(err.value) == ("mlgate.yaml:4: predictions.prediction_range.0: expected a number, got 'low'; "
                              "write it without quotes, e.g. 0.9 (and 1 more problem)")


def test_a_merge_key_given_twice_is_refused_with_file_and_line_through_the_cli(tmp_path):
    import subprocess
    import sys

    (tmp_path / "mlgate.yaml").write_text(
        "version: 1\nkpis:\n  accuracy: &a\n    min: 0.5\n  f1: &b\n    max_drop: 0.1\n"
        "  loss:\n    <<: *a\n    <<: *b\n")
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)
    proc = subprocess.run([sys.executable, "-m", "mlgate", "check", "--config", "mlgate.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == EXIT_BAD_INPUT
    assert proc.stderr.splitlines() == [
        "mlgate: error: mlgate.yaml:9: kpis.loss: merge key '<<' given twice; merge them in one, e.g. '<<: [*a, *b]'"]


def test_one_merge_key_with_several_anchors_still_loads():
    config = parse_config("version: 1\nkpis:\n  accuracy: &a\n    min: 0.5\n  f1: &b\n    max_drop: 0.1\n"
                          "  loss:\n    <<: [*a, *b]\n")
    assert config.kpis["loss"].rules() == [("min", 0.5), ("max_drop", 0.1)]
