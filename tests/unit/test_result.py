"""result: the versioned Result JSON — strict JSON, lossless round trip, refusal of other schema versions."""

from __future__ import annotations

import json
import math

import pytest

from mlgate import __version__
from mlgate.errors import EXIT_BAD_INPUT, InputError
from mlgate.gating.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, GateOutcome, RuleOutcome
from mlgate.result import SCHEMA_VERSION, Baseline, Result, Revision

INF, NAN = math.inf, math.nan


def outcome(status: str, name: str = "m", **kw) -> GateOutcome:
    return GateOutcome(kpi=name, file="eval/m.json", key=name, severity=kw.pop("severity", "fail"), status=status,
                       message=kw.pop("message", status), **kw)


def make_result(gates: list[GateOutcome] | None = None, **kw) -> Result:
    values = {
        "verdict": "fail",
        "head": Revision(ref="feature/x", sha="3f2a9c1" + "0" * 33, dirty=True),
        "base": Revision(ref="main", sha="a81d0e4" + "1" * 33),
        "base_how": "merge-base",
        "baseline": Baseline("committed", "metrics committed at a81d0e4", "a81d0e4" + "1" * 33, 0),
        "gates": gates if gates is not None else [],
        "metrics": {},
        "params": {},
    }
    values.update(kw)
    return Result(**values)


def nonfinite_result() -> Result:
    gates = [
        GateOutcome(
            kpi="accuracy", file="eval/m.json", key="accuracy", severity="fail", status=FAIL, message="value is NaN",
            old=0.95, new=NAN, diff=NAN, pct=NAN, higher_is_better=True,
            rules=[RuleOutcome("min", 0.9, FAIL, "value is NaN"), RuleOutcome("max_drop", 0.01, FAIL, "value is NaN")],
        ),
        GateOutcome(
            kpi="loss", file="eval/m.json", key="loss", severity="warn", status=WARN, message="rise inf% > 10%",
            old=0.2, new=INF, diff=INF, pct=INF, higher_is_better=False,
            rules=[RuleOutcome("max_increase_pct", 10.0, FAIL, "rise inf% > 10%", interval={"low": -1.0, "high": 2.0})],
        ),
        GateOutcome(kpi="slices.*.recall", file=None, key="slices.*.recall", severity="fail", status=SKIPPED,
                    message="optional"),
    ]
    return make_result(
        gates,
        metrics={"eval/m.json": {
            "accuracy": {"old": 0.95, "new": NAN, "diff": NAN},
            "loss": {"old": 0.2, "new": INF, "diff": INF},
            "floor": {"old": -INF, "new": -INF, "diff": 0.0},
            "label": {"old": "a", "new": "b"},
            "added": {"old": None, "new": 3},
        }},
        params={"params.yaml": {"train.lr": {"old": 0.1, "new": 0.2, "diff": 0.1}, "train.tag": {"old": None, "new": "x"}}},
        errors={"head": {"eval/other.json": "Expecting value"}},
        warnings=["baseline eval/other.json at a81d0e4: missing"],
        stages=[{"name": "train", "status": "ran", "seconds": 1.5}],
        reproduced=True,
        duration_s=12.3,
        links={"run_url": "https://example.invalid/run/1"},
        context={"pr_number": 7, "hypothesis": "deeper trees"},
        created_at="2026-01-01T00:00:00+00:00",
    )


def strict_loads(text: str):
    def refuse(token: str):
        raise AssertionError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def test_json_is_strict_with_nonfinite_values_as_strings():
    data = strict_loads(nonfinite_result().to_json())
    accuracy, loss, _ = data["gates"]
    assert (accuracy["new"], accuracy["diff"], accuracy["pct"]) == ("NaN", "NaN", "NaN")
    assert (loss["new"], loss["diff"], loss["pct"]) == ("Infinity", "Infinity", "Infinity")
    floor = data["metrics"]["eval/m.json"]["floor"]
    assert (floor["old"], floor["new"]) == ("-Infinity", "-Infinity")
    assert data["schema_version"] == SCHEMA_VERSION == 3
    assert data["mlgate_version"] == __version__


def test_round_trip_through_json_is_lossless(tmp_path):
    original = nonfinite_result()
    path = tmp_path / "out" / "mlgate-result.json"
    original.write(path)
    back = Result.read(path)
    assert back.to_dict() == original.to_dict()
    assert back.to_json() == original.to_json()
    accuracy, loss, skipped = back.gates
    assert math.isnan(accuracy.new) and math.isnan(accuracy.diff) and math.isnan(accuracy.pct)
    assert loss.new == INF and loss.pct == INF
    assert back.metrics["eval/m.json"]["floor"]["old"] == -INF
    assert back.metrics["eval/m.json"]["label"] == {"old": "a", "new": "b"}
    assert isinstance(back.head, Revision) and back.head.dirty and back.head.short == "3f2a9c1"
    assert isinstance(back.baseline, Baseline) and back.baseline.source == "committed"
    assert isinstance(loss.rules[0], RuleOutcome) and loss.rules[0].interval == {"low": -1.0, "high": 2.0}
    assert skipped.file is None
    assert back.context == {"pr_number": 7, "hypothesis": "deeper trees"}


def test_round_trip_without_a_base():
    original = make_result(base=None, base_how=None, baseline=Baseline("none", "no base commit"), verdict="pass")
    back = Result.from_dict(json.loads(original.to_json()))
    assert back.base is None and back.baseline.source == "none"
    assert back == original


def test_text_that_looks_like_nan_outside_value_fields_stays_text():
    result = make_result(warnings=["NaN"], context={"title": "Infinity"})
    back = Result.from_dict(json.loads(result.to_json()))
    assert back.warnings == ("NaN",) and back.context == {"title": "Infinity"}


def test_an_unknown_top_level_field_is_refused_like_a_nested_one():
    data = json.loads(make_result().to_json())
    data["something_new"] = {"x": 1}
    with pytest.raises(InputError) as err:
        Result.from_dict(data)
    assert str(err.value).startswith("not a valid mlgate result: something_new: unexpected key;")


def test_a_lone_surrogate_escaped_in_the_json_is_one_line_of_bad_input(tmp_path):
    """JSON may escape half a surrogate pair ("\\ud800"); read back, that is no Unicode text (found by hypothesis)."""
    path = tmp_path / "result.json"
    path.write_text(make_result().to_json().replace('"sections": {}', '"sections": {"model": "\\ud800"}'))
    assert '"\\ud800"' in path.read_text()
    with pytest.raises(InputError) as err:
        Result.read(path)
    assert "sections.model: text that is not valid Unicode (a lone surrogate)" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("version", [4, 0, "1", None, True])
def test_other_schema_versions_are_refused(version):
    data = json.loads(make_result().to_json())
    data["schema_version"] = version
    with pytest.raises(InputError) as err:
        Result.from_dict(data)
    assert str(err.value) == (
        f"result schema_version {version!r} is not supported by mlgate {__version__} (reads 1, 2, 3); "
        "re-run 'mlgate run' with this version"
    )
    assert err.value.exit_code == EXIT_BAD_INPUT


def test_read_refuses_a_missing_a_corrupt_and_a_foreign_file(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(InputError, match="no such result file; run 'mlgate run' first"):
        Result.read(missing)
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text('{"verdict": ')
    with pytest.raises(InputError, match=r"corrupt\.json: not a readable mlgate result"):
        Result.read(corrupt)
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"verdict": "pass"}')
    with pytest.raises(InputError, match=r"foreign\.json: not an mlgate result \(no schema_version\)"):
        Result.read(foreign)
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2]")
    with pytest.raises(InputError, match="not an mlgate result"):
        Result.read(listing)


def test_write_to_an_impossible_path_is_an_input_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InputError, match="cannot write"):
        make_result().write(blocker / "result.json")


# -- summaries --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("statuses", "verdict", "headline", "status_text"),
    [
        ([], "pass", "no KPI gates configured", "no KPI gates configured"),
        ([PASS], "pass", "1 KPI gate passed", "1/1 KPI gates passed"),
        ([PASS, PASS, SKIPPED], "pass", "all 2 KPI gates passed", "2/2 KPI gates passed"),
        ([PASS, WARN], "pass", "all 2 KPI gates passed, 1 with a warning", "2/2 KPI gates passed"),
        ([FAIL, PASS, WARN, SKIPPED], "fail", "1 of 3 KPI gates failed", "2/3 KPI gates passed"),
        ([FAIL], "fail", "1 of 1 KPI gate failed", "0/1 KPI gates passed"),
        # a gate without a baseline was not judged, so it never counts as passed
        ([NO_BASELINE], "pass", "no KPI gate judged: 1 without a baseline", "no KPI gate judged: 1 without a baseline"),
        ([PASS, NO_BASELINE], "pass", "1 of 2 KPI gates passed, 1 without a baseline",
         "1/2 KPI gates passed, 1 without a baseline"),
        ([SKIPPED, SKIPPED], "pass", "no KPI gate applied (2 skipped)", "no KPI gate applied (2 skipped)"),
        ([PASS], "error", "the run could not be completed", "the run could not be completed"),
    ],
)
def test_headline_and_status_description(statuses, verdict, headline, status_text):
    result = make_result([outcome(s, f"m{i}") for i, s in enumerate(statuses)], verdict=verdict)
    assert result.headline() == headline
    assert result.status_description() == status_text


def test_a_status_without_mlgate_yaml_claims_no_pass():
    result = make_result([], verdict="pass", config_path="")
    assert result.status_description() == "no mlgate.yaml: nothing gated (the report compares the metrics)"


def test_failed_and_judged_gates():
    result = make_result([outcome(FAIL, "a"), outcome(SKIPPED, "b"), outcome(WARN, "c")])
    assert [g.key for g in result.failed_gates] == ["a"]
    assert [g.key for g in result.judged_gates] == ["a", "c"]
    assert result.count(WARN) == 1


def test_a_version_1_result_is_still_read():
    """Version 1 (before trends and statistical intervals) reads as a version 2 result with those empty."""
    data = json.loads(make_result().to_json())
    data["schema_version"] = 1
    data.pop("trend", None)
    for gate in data["gates"]:
        for rule in gate["rules"]:
            rule.pop("interval", None)
    old = Result.from_dict(data)
    assert old.trend == {} and all(r.interval is None for g in old.gates for r in g.rules)
    assert [g.to_dict() for g in old.gates] == [g.to_dict() for g in make_result().gates]
    assert old.verdict == make_result().verdict


@pytest.mark.parametrize("part, value, expected", [
    ("metrics", {"eval/m.json": {"acc": 5}}, "metrics.eval/m.json.acc: expected a mapping, got 5"),
    ("trend", {"eval/m.json:acc": [["abc1234", 0.9], 7]}, "trend.eval/m.json:acc.1: expected a list, got 7"),
    ("sections", {"plots": [1]}, "sections.plots: expected a mapping, got [1]"),
    ("stages", [{"name": "train"}], "stages.0.status: required key is missing"),
])
def test_a_malformed_part_names_the_keys_down_to_the_problem(part, value, expected):
    data = make_result().to_dict()
    data[part] = value
    with pytest.raises(InputError) as err:
        Result.from_dict(data)
    assert str(err.value).startswith(f"not a valid mlgate result: {expected}; ")


@pytest.mark.parametrize("key, value", [("diff", True), ("higher_is_better", 1), ("status", 5)])
def test_a_gate_field_of_the_wrong_type_is_refused_not_coerced(key, value):
    data = make_result([outcome(PASS)]).to_dict()
    data["gates"][0][key] = value
    with pytest.raises(InputError) as err:
        Result.from_dict(data)
    assert f"not a valid mlgate result: gates.0.{key}: expected " in str(err.value)
    assert f", got {value!r}; " in str(err.value)
