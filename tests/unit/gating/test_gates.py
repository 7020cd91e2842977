"""gates: the rules of mlgate.yaml against head and baseline snapshots, into outcomes and a verdict."""

from __future__ import annotations

import math

import pytest

from mlgate.config.load import parse_config, validate
from mlgate.config.schema import Config
from mlgate.errors import ConfigError
from mlgate.gating.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, evaluate, verdict
from mlgate.gating.rules import describe_rule
from mlgate.gating.snapshot import Snapshot

INF, NAN = math.inf, math.nan
FILE = "eval/metrics.json"


def config(kpis: dict) -> Config:
    return validate({"version": 1, "kpis": kpis})


def snap(values: dict, *, errors: dict | None = None) -> Snapshot:
    """One metrics file, FILE, holding `values`."""
    return Snapshot(metrics={FILE: dict(values)}, errors=dict(errors or {}))


def gate(rules: dict, old, new, *, key: str = "m"):
    """The single gate for KPI `key` with `rules`, head value `new`, base value `old` (None = absent)."""
    base = snap({} if old is None else {key: old})  # present but empty: a baseline without this key
    head = snap({key: new})
    (outcome,) = evaluate(config({key: rules}), head, base)
    return outcome


# -- absolute rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("rules", "new", "status"),
    [
        ({"min": 0.9}, 0.95, PASS),
        ({"min": 0.9}, 0.9, PASS),  # the bound itself passes
        ({"min": 0.9}, 0.89, FAIL),
        ({"max": 50}, 49.9, PASS),
        ({"max": 50}, 50, PASS),
        ({"max": 50}, 50.1, FAIL),
        ({"min": -1, "max": 1}, 0, PASS),
        ({"min": -1, "max": 1}, -1.5, FAIL),
        ({"min": -1, "max": 1}, 1.5, FAIL),
    ],
)
def test_absolute_rules(rules, new, status):
    assert gate(rules, 0.5, new).status == status


def test_absolute_rules_need_no_baseline():
    (outcome,) = evaluate(config({"m": {"min": 0.9}}), snap({"m": 0.95}), None)
    assert outcome.status == PASS
    assert outcome.old is None and outcome.diff is None


# -- relative rules, both directions -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("rules", "old", "new", "status"),
    [
        # higher is better
        ({"max_drop": 0.01}, 0.95, 0.945, PASS),
        ({"max_drop": 0.01}, 0.95, 0.93, FAIL),
        ({"max_drop": 0.01}, 0.95, 0.99, PASS),  # an improvement always passes
        ({"max_drop_pct": 2}, 100.0, 98.5, PASS),
        ({"max_drop_pct": 2}, 100.0, 97.0, FAIL),
        ({"max_drop_pct": 2}, 100.0, 150.0, PASS),
        ({"max_drop_pct": 10}, -2.0, -2.1, PASS),  # percent of the baseline's magnitude: 5 %
        ({"max_drop_pct": 10}, -2.0, -3.0, FAIL),  # 50 %
        # lower is better
        ({"max_increase": 5}, 40.0, 44.0, PASS),
        ({"max_increase": 5}, 40.0, 46.0, FAIL),
        ({"max_increase": 5}, 40.0, 10.0, PASS),
        ({"max_increase_pct": 10}, 2.0, 2.1, PASS),
        ({"max_increase_pct": 10}, 2.0, 2.5, FAIL),
        ({"max_increase_pct": 10}, 2.0, 1.0, PASS),
    ],
)
def test_relative_rules(rules, old, new, status):
    assert gate(rules, old, new).status == status


def test_relative_gate_reports_values_diff_and_percent():
    outcome = gate({"max_drop": 0.01}, 0.9561, 0.9386)
    assert (outcome.old, outcome.new) == (0.9561, 0.9386)
    assert outcome.diff == pytest.approx(-0.0175)
    assert outcome.pct == pytest.approx(-0.0175 / 0.9561 * 100)
    assert outcome.higher_is_better is True
    assert outcome.message == "fell by 0.0175, more than the 0.01 allowed"


def test_direction_is_implied_by_the_rules():
    assert gate({"max_increase_pct": 5}, 1.0, 1.0).higher_is_better is False
    assert gate({"min": 0.5}, 1.0, 1.0).higher_is_better is None
    assert gate({"min": 0.5, "direction": "lower"}, 1.0, 1.0).higher_is_better is False


@pytest.mark.parametrize(
    ("rules", "old", "new"),
    [
        ({"max_drop": 0.01}, 0.9561, 0.9461),  # 0.9561 - 0.9461 == 0.010000000000000009
        ({"max_drop": 0.1}, 0.3, 0.2),  # 0.3 - 0.2 == 0.09999999999999998, and the reverse noise
        ({"max_increase": 0.1}, 0.2, 0.30000000000000004),
        ({"max_drop_pct": 2}, 0.965, 0.9457),  # exactly 2 % in decimal, 2.0000000000000018 in floats
        ({"max_increase_pct": 10}, 1.1, 1.21),
    ],
)
def test_float_noise_at_the_threshold_passes(rules, old, new):
    assert gate(rules, old, new).status == PASS


@pytest.mark.parametrize(
    ("rules", "old", "new"),
    [
        ({"max_drop": 0.01}, 0.9561, 0.9460),
        ({"max_increase": 0.1}, 0.2, 0.3001),
        ({"max_drop_pct": 2}, 0.965, 0.9456),
    ],
)
def test_just_beyond_the_threshold_fails(rules, old, new):
    assert gate(rules, old, new).status == FAIL


# -- several rules --------------------------------------------------------------------------------------

def test_all_rules_on_a_kpi_apply_and_the_failing_one_decides():
    outcome = gate({"min": 0.9, "max_drop": 0.01}, 0.96, 0.93)
    assert [(r.rule, r.status) for r in outcome.rules] == [("min", PASS), ("max_drop", FAIL)]
    assert outcome.status == FAIL
    assert outcome.message == "fell by 0.0300, more than the 0.01 allowed"


def test_every_failing_rule_is_in_the_message():
    outcome = gate({"min": 0.9, "max_drop": 0.01}, 0.96, 0.85)
    assert outcome.status == FAIL
    assert outcome.message == "0.8500, below the minimum 0.9; fell by 0.1100, more than the 0.01 allowed"


def test_absolute_rule_fails_even_when_the_relative_one_passes():
    outcome = gate({"max": 50, "max_increase_pct": 10}, 55.0, 54.0)
    assert [(r.rule, r.status) for r in outcome.rules] == [("max", FAIL), ("max_increase_pct", PASS)]
    assert outcome.status == FAIL


# -- severity and verdict -------------------------------------------------------------------------------

def test_warn_severity_reports_a_failure_as_warn_and_never_blocks():
    outcome = gate({"max": 4, "severity": "warn"}, 1.8, 4.9)
    assert outcome.status == WARN
    assert outcome.severity == "warn"
    assert not outcome.blocking_failure
    assert verdict([outcome]) == PASS


def test_warn_severity_that_passes_is_a_pass():
    assert gate({"max": 4, "severity": "warn"}, 1.8, 2.0).status == PASS


def test_verdict_fails_on_any_blocking_failure_only():
    kpis = {
        "a": {"min": 0.9},
        "b": {"min": 0.9, "severity": "warn"},
        "c": {"max_drop": 0.1},
        "d": {"min": 0.9, "optional": True},
    }
    head = snap({"a": 0.95, "b": 0.5, "c": 0.5})
    outcomes = evaluate(config(kpis), head, None)
    assert [o.status for o in outcomes] == [PASS, WARN, NO_BASELINE, SKIPPED]
    assert verdict(outcomes) == PASS
    head.metrics[FILE]["a"] = 0.1
    assert verdict(evaluate(config(kpis), head, None)) == FAIL


def test_verdict_of_no_gates_passes():
    assert verdict([]) == PASS


def test_gates_come_in_mlgate_yaml_order():
    kpis = {"z": {"min": 0}, "a": {"min": 0}, "m": {"min": 0}}
    outcomes = evaluate(config(kpis), snap({"a": 1, "m": 1, "z": 1}), None)
    assert [o.kpi for o in outcomes] == ["z", "a", "m"]


# -- missing metrics -----------------------------------------------------------------------------------

def test_metric_only_in_the_baseline_fails_as_missing_at_the_head():
    base = snap({"m": 0.9, "other": 1})
    (outcome,) = evaluate(config({"m": {"min": 0.5}}), snap({"other": 1}), base)
    assert outcome.status == FAIL
    assert outcome.message == f"missing from {FILE} at the head"
    assert outcome.old == 0.9 and outcome.new is None


def test_missing_metric_that_is_optional_is_skipped():
    base = snap({"m": 0.9, "other": 1})
    (outcome,) = evaluate(config({"m": {"min": 0.5, "optional": True}}), snap({"other": 1}), base)
    assert outcome.status == SKIPPED
    assert verdict([outcome]) == PASS


def test_missing_metric_with_warn_severity_warns():
    base = snap({"m": 0.9, "other": 1})
    (outcome,) = evaluate(config({"m": {"min": 0.5, "severity": "warn"}}), snap({"other": 1}), base)
    assert outcome.status == WARN


def test_metric_nowhere_but_optional_is_skipped():
    (outcome,) = evaluate(config({"recall": {"min": 0.5, "optional": True}}), snap({"acc": 1}), None)
    assert outcome.status == SKIPPED
    assert "optional" in outcome.message


def test_metric_nowhere_is_a_config_error_naming_the_selector_and_the_known_keys():
    with pytest.raises(ConfigError) as err:
        evaluate(config({"recal": {"min": 0.5}}), snap({"recall": 1, "acc": 1}), None, source="proj/mlgate.yaml")
    message = str(err.value)
    assert message.startswith("proj/mlgate.yaml: kpis.recal: matches no metric (known: acc, recall)")
    assert "optional: true" in message
    assert "\n" not in message


def test_glob_matching_nothing_is_a_config_error():
    with pytest.raises(ConfigError, match=r"kpis\.slices\.\*\.recall: matches no metric"):
        evaluate(config({"slices.*.recall": {"min": 0.5}}), snap({"acc": 1}), None)


def test_metric_nowhere_while_a_head_file_failed_to_load_fails_the_gate_instead():
    head = snap({"acc": 1}, errors={"eval/other.json": "Expecting value: line 1 column 1"})
    (outcome,) = evaluate(config({"recall": {"min": 0.5}}), head, None)
    assert outcome.status == FAIL
    assert "eval/other.json" in outcome.message


def test_metric_whose_file_failed_to_load_at_the_head_fails_naming_the_error():
    base = snap({"m": 0.9})
    head = Snapshot(metrics={}, errors={FILE: "Expecting value: line 1 column 1 (char 0)"})
    (outcome,) = evaluate(config({"m": {"max_drop": 0.1}}), head, base)
    assert outcome.status == FAIL
    assert outcome.message == f"{FILE} failed to load: Expecting value: line 1 column 1 (char 0)"


# -- no baseline --------------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["max_drop", "max_drop_pct", "max_increase", "max_increase_pct"])
def test_relative_rule_without_a_baseline_is_no_baseline_never_pass(rule):
    (outcome,) = evaluate(config({"m": {rule: 1}}), snap({"m": 0.5}), None)
    assert outcome.status == NO_BASELINE
    assert outcome.rules[0].status == NO_BASELINE
    assert outcome.message.endswith("no baseline")
    assert not outcome.blocking_failure


def test_relative_rule_with_the_key_absent_from_the_baseline_is_no_baseline():
    outcome = gate({"max_drop": 0.01}, None, 0.5)
    assert outcome.status == NO_BASELINE
    assert outcome.message == "drop ≤ 0.01: not in the baseline"


def test_absolute_rule_still_judges_when_the_relative_one_has_no_baseline():
    (outcome,) = evaluate(config({"m": {"min": 0.9, "max_drop": 0.01}}), snap({"m": 0.5}), None)
    assert [(r.rule, r.status) for r in outcome.rules] == [("min", FAIL), ("max_drop", NO_BASELINE)]
    assert outcome.status == FAIL


# -- NaN, infinities, non-numbers, zero baselines --------------------------------------------------

@pytest.mark.parametrize("rules", [{"min": 0}, {"max": 1}, {"max_drop": 1}, {"max_increase_pct": 5}])
def test_nan_at_the_head_fails_every_rule(rules):
    outcome = gate(rules, 0.5, NAN)
    assert outcome.status == FAIL
    assert outcome.message == "NaN at the head"


def test_nan_at_the_head_under_warn_severity_warns():
    assert gate({"min": 0, "severity": "warn"}, 0.5, NAN).status == WARN


def test_nan_in_the_baseline_makes_relative_rules_no_baseline():
    outcome = gate({"max_drop_pct": 2}, NAN, 0.5)
    assert outcome.status == NO_BASELINE
    assert "not a number" in outcome.message


def test_nan_in_the_baseline_leaves_absolute_rules_judged():
    outcome = gate({"min": 0.9, "max_drop": 0.01}, NAN, 0.5)
    assert outcome.status == FAIL
    assert [(r.rule, r.status) for r in outcome.rules] == [("min", FAIL), ("max_drop", NO_BASELINE)]


@pytest.mark.parametrize(
    ("rules", "old", "new", "status"),
    [
        ({"min": 0.9}, 0.5, INF, PASS),
        ({"max": 50}, 0.5, INF, FAIL),
        ({"min": 0.9}, 0.5, -INF, FAIL),
        ({"max_drop": 0.01}, 0.9, -INF, FAIL),
        ({"max_drop": 0.01}, 0.9, INF, PASS),
        ({"max_drop": 0.01}, INF, INF, PASS),
        ({"max_drop": 0.01}, INF, 0.5, FAIL),  # an infinite baseline must not stretch the tolerance
        ({"max_drop_pct": 2}, 0.9, -INF, FAIL),
        ({"max_drop_pct": 2}, INF, 0.5, FAIL),
        ({"max_drop_pct": 2}, -INF, -INF, PASS),
        ({"max_increase": 1}, 5.0, INF, FAIL),
        ({"max_increase_pct": 10}, 5.0, INF, FAIL),
        ({"max_increase_pct": 10}, INF, 5.0, PASS),  # down from infinity is an improvement
        ({"max_increase_pct": 10}, INF, INF, PASS),
    ],
)
def test_infinities_get_a_clear_outcome(rules, old, new, status):
    outcome = gate(rules, old, new)
    assert outcome.status == status
    assert "nan" not in outcome.message.lower()


@pytest.mark.parametrize("value", ["0.95", True, None, [0.9], {"a": 1}, 10**400])
def test_non_numeric_head_value_fails_clearly(value):
    outcome = gate({"min": 0.5}, 0.9, value)
    assert outcome.status == FAIL
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "…"  # a long value is cut, not dropped
    assert outcome.message == f"value {shown} is not a number"


@pytest.mark.parametrize("value", ["0.95", True, [0.9]])
def test_non_numeric_baseline_value_is_no_baseline(value):
    outcome = gate({"max_drop": 0.01}, value, 0.9)
    assert outcome.status == NO_BASELINE
    assert outcome.message == f"drop ≤ 0.01: baseline value {value!r} is not a number"
    assert outcome.diff is None


@pytest.mark.parametrize(
    ("rules", "new", "status", "message"),
    [
        ({"max_drop_pct": 2}, 0.0, PASS, "baseline is 0: no drop"),
        ({"max_drop_pct": 2}, 0.3, PASS, "baseline is 0: no drop"),
        ({"max_drop_pct": 2}, -0.1, FAIL, "baseline is 0: any drop is an infinite percentage"),
        ({"max_increase_pct": 5}, -0.1, PASS, "baseline is 0: no rise"),
        ({"max_increase_pct": 5}, 0.1, FAIL, "baseline is 0: any rise is an infinite percentage"),
    ],
)
def test_zero_baseline_under_percent_rules(rules, new, status, message):
    outcome = gate(rules, 0.0, new)
    assert (outcome.status, outcome.message) == (status, message)
    assert outcome.pct is None


def test_zero_baseline_under_an_absolute_margin_is_ordinary():
    assert gate({"max_drop": 0.1}, 0.0, -0.05).status == PASS
    assert gate({"max_drop": 0.1}, 0.0, -0.5).status == FAIL


# -- selectors: globs, file:key, ambiguity -------------------------------------------------------------

def test_glob_makes_one_gate_per_matching_metric():
    head = snap({"slices.young.recall": 0.9, "slices.old.recall": 0.6, "slices.old.precision": 0.1, "acc": 1})
    outcomes = evaluate(config({"slices.*.recall": {"min": 0.7}}), head, None)
    assert [(o.key, o.status) for o in outcomes] == [("slices.old.recall", FAIL), ("slices.young.recall", PASS)]
    assert all(o.kpi == "slices.*.recall" for o in outcomes)
    assert [o.name for o in outcomes] == ["slices.old.recall", "slices.young.recall"]


def test_glob_includes_a_slice_that_vanished_at_the_head():
    base = snap({"slices.young.recall": 0.9, "slices.old.recall": 0.8})
    head = snap({"slices.young.recall": 0.9})
    outcomes = evaluate(config({"slices.*.recall": {"min": 0.7}}), head, base)
    assert [(o.key, o.status) for o in outcomes] == [("slices.old.recall", FAIL), ("slices.young.recall", PASS)]
    optional = evaluate(config({"slices.*.recall": {"min": 0.7, "optional": True}}), head, base)
    assert [(o.key, o.status) for o in optional] == [("slices.old.recall", SKIPPED), ("slices.young.recall", PASS)]


def test_file_key_selector_picks_the_file():
    head = Snapshot(metrics={"a/m.json": {"acc": 0.5}, "b/m.yaml": {"acc": 0.95}})
    base = Snapshot(metrics={"a/m.json": {"acc": 0.5}, "b/m.yaml": {"acc": 0.99}})
    (outcome,) = evaluate(config({"b/m.yaml:acc": {"max_drop": 0.01}}), head, base)
    assert (outcome.file, outcome.key, outcome.status) == ("b/m.yaml", "acc", FAIL)
    assert outcome.name == "b/m.yaml:acc"
    assert outcome.old == 0.99


def test_same_key_in_two_files_is_ambiguous():
    head = Snapshot(metrics={"a/m.json": {"acc": 0.5}, "b/m.yaml": {"acc": 0.95}})
    with pytest.raises(ConfigError) as err:
        evaluate(config({"acc": {"min": 0.5}}), head, None, source="mlgate.yaml")
    assert "mlgate.yaml: kpis.acc: ambiguous" in str(err.value)
    assert "'a/m.json:acc'" in str(err.value)


def test_ambiguity_counts_keys_known_only_in_the_baseline():
    head = Snapshot(metrics={"a/m.json": {"acc": 0.5}})
    base = Snapshot(metrics={"a/m.json": {"acc": 0.5}, "b/m.yaml": {"acc": 0.95}})
    with pytest.raises(ConfigError, match="ambiguous"):
        evaluate(config({"acc": {"min": 0.5}}), head, base)


# -- rule text ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("rule", "threshold", "text"),
    [
        ("min", 0.9, "≥ 0.9"),
        ("max", 50, "≤ 50"),
        ("max_drop", 0.01, "drop ≤ 0.01"),
        ("max_drop_pct", 2, "drop ≤ 2%"),
        ("max_increase", 3, "rise ≤ 3"),
        ("max_increase_pct", 10, "rise ≤ 10%"),
    ],
)
def test_describe_rule(rule, threshold, text):
    assert describe_rule(rule, threshold) == text


def test_outcome_round_trips_through_a_dict():
    from mlgate.gating.gates import GateOutcome

    outcome = gate({"min": 0.9, "max_drop": 0.01}, 0.96, 0.93)
    assert GateOutcome.from_dict(outcome.to_dict()) == outcome


def test_a_gate_whose_every_rule_a_judge_skipped_is_skipped_not_passed():
    from mlgate.gating.gates import RuleOutcome

    def judge(file, key, rule, threshold, kpi):
        return RuleOutcome(rule=rule, threshold=threshold, status=SKIPPED, message="slice x: 3 rows, not gated")

    cfg = parse_config("version: 1\nkpis:\n  acc: {min: 0.9, max_drop: 0.01}\n")
    head, base = Snapshot({"m.json": {"acc": 0.5}}), Snapshot({"m.json": {"acc": 0.95}})
    [outcome] = evaluate(cfg, head, base, judge=judge)
    assert outcome.status == SKIPPED and outcome.message == "slice x: 3 rows, not gated"


# -- messages say what happened, in the metric's own format ------------------------------------------

@pytest.mark.parametrize(
    ("rules", "old", "new", "message"),
    [
        ({"max_drop": 0.01}, 0.9650, 0.9790, "improved by 0.0140"),
        ({"max_drop": 0.01}, 0.9650, 0.9600, "fell by 0.0050, within the 0.01 allowed"),
        ({"max_drop": 0.01}, 0.9561, 0.9561 - 1.11e-16, "no change"),  # float noise below display precision
        ({"max_increase_pct": 200}, 4.5, 3.2, "fell 28.9%"),
        ({"max_increase_pct": 25}, 1.8, 4.9, "rose 172%, more than the 25% allowed"),
        ({"max_drop_pct": 2}, 0.9, 0.89, "fell 1.1%, within the 2% allowed"),
        ({"max_increase": 5}, 100, 103, "rose by 3, within the 5 allowed"),
        ({"min": 0.9}, None, 0.95, "0.9500, at least 0.9"),
        ({"max": 4}, None, 4.9, "4.9, above the maximum 4"),
    ],
)
def test_messages_say_what_happened(rules, old, new, message):
    assert gate(rules, old, new).message == message


def test_a_gated_metric_that_went_missing_suggests_a_similar_new_one():
    base = snap({"f1": 0.9, "acc": 0.8})
    (outcome,) = evaluate(config({"f1": {"min": 0.5}}), snap({"f1_score": 0.91, "acc": 0.8}), base)
    assert outcome.status == FAIL
    assert outcome.message == (f"missing from {FILE} at the head; did you mean 'f1_score', new at the head? "
                               "Rename the KPI in mlgate.yaml")


def test_a_comparison_metric_of_a_family_without_base_figures_has_no_baseline_not_a_config_error():
    cfg = parse_config("version: 1\nkpis:\n  model.typo: {max: 3}\n")
    head = Snapshot({"model": {"model.size_mb": 1.0}})
    with pytest.raises(ConfigError, match="kpis.model.typo: matches no metric"):  # with the base's figures: a typo
        evaluate(cfg, head, Snapshot({"model": {"model.size_mb": 1.0}}))
    cfg = parse_config("version: 1\nkpis:\n  model.latency_ratio: {max: 3}\n")
    [outcome] = evaluate(cfg, head, Snapshot({"m.json": {"acc": 1}}))  # the base has no model figures
    assert outcome.status == NO_BASELINE
    assert outcome.message == "not measured: the model.* figures against the base need the base's files"
