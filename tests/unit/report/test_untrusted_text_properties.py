"""Property-based: arbitrary text wherever untrusted text enters mlgate never becomes a workflow command,
never breaks an error onto a second line, and never crashes (exit 70).

The places: metric keys and values, params, branch names, PR titles and bodies, selector names, event
payloads, result files. The GitHub runner splits the log on CR and LF and takes a line whose text (after
leading blanks) starts with `::` for a command; the lines mlgate means to write are listed in `OURS`.
"""

from __future__ import annotations

import io
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlgate.config.load import parse_config
from mlgate.edges import ci_context as workflow
from mlgate.errors import InputError, MlgateError
from mlgate.gating.gates import FAIL, PASS, WARN, GateOutcome, RuleOutcome
from mlgate.publish.github.context import GitHubContext
from mlgate.report.render import COMMENT_LIMIT, publishable, render
from mlgate.report.terminal import verdict_table
from mlgate.result import Baseline, Result, Revision
from mlgate.text.safe import one_line, safe_line

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NASTY = ["\n::error title=pwn::x", "\r::add-mask::y", "\r\n::stop-commands::z", "\u2028::warning::w", "\x85::notice::n",
         "::set-output name=verdict::pass", "%0A::error::e", "|", "`", "<script>", "@octocat", "${{ secrets.T }}",
         "\x00", "\x1b[31m", "\u202e", "  ::error::indented", "\ud800"]
texts = st.one_of(
    st.text(max_size=60),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=10), st.sampled_from(NASTY), st.text(max_size=10)),
)
values = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), texts, st.none(), st.booleans())
OURS = re.compile(r"::(?:error|warning|notice) title=mlgate[^:,]*::")


def runner_lines(text: str) -> list[str]:
    return [line.lstrip() for line in re.split(r"\r\n|\r|\n", text)]


def assert_no_command(text: str, allowed: re.Pattern[str] | None = None) -> None:
    for line in runner_lines(text):
        if line.startswith("::"):
            assert allowed is not None and allowed.match(line), line


def assert_one_line(message: str) -> None:
    assert len(message.splitlines()) <= 1, message
    assert not re.search(r"[\r\n\u2028\u2029\x85\x0b\x0c\x1c-\x1e]", message), message


# -- the one safe line ---------------------------------------------------------------------------------------

@SETTINGS
@given(texts)
def test_safe_line_is_one_line_that_is_never_a_command(text):
    line = safe_line(text)
    assert_one_line(line)
    assert not line.lstrip().startswith("::")
    assert_one_line(one_line(text))


@SETTINGS
@given(texts, texts)
def test_an_annotation_is_exactly_one_line_whatever_its_message_and_title(message, title):
    out = io.StringIO()
    workflow.warning(message, title=title, stream=out)
    written = out.getvalue()
    assert written.endswith("\n") and len(written[:-1].splitlines()) == 1
    assert runner_lines(written[:-1])[0].startswith("::warning")


# -- the Result: terminal table and comment ------------------------------------------------------------------

def gate(name: str, new, status: str, message: str) -> GateOutcome:
    return GateOutcome(kpi=name, file="m.json", key=name, severity="fail", status=status, message=message,
                       old=0.5, new=new, diff=None, pct=None, higher_is_better=True,
                       rules=(RuleOutcome("min", 0.9, status, message),))


@st.composite
def results(draw) -> Result:
    names = draw(st.lists(texts, min_size=1, max_size=4))
    gates = tuple(gate(n, draw(values), draw(st.sampled_from([PASS, FAIL, WARN])), draw(texts)) for n in names)
    metrics = {draw(texts): {n: {"old": 0.5, "new": draw(values)} for n in names}}
    params = {"params.yaml": {draw(texts): {"old": draw(values), "new": draw(values)}}}
    context = {"title": draw(texts), "hypothesis": draw(texts), "pr_number": 7, "trend_ref": draw(texts)}
    trend = {f"m.json:{names[0]}": [[draw(texts), 0.5], [draw(texts), 0.6]]}
    return Result(
        verdict=draw(st.sampled_from(["pass", "fail"])), head=Revision(ref=draw(texts), sha="a" * 40),
        base=Revision(ref=draw(texts), sha="b" * 40), base_how="merge-base",
        baseline=Baseline("git", draw(texts), "b" * 40, 0), gates=gates, metrics=metrics, params=params,
        warnings=tuple(draw(st.lists(texts, max_size=2))), context=context, trend=trend,
    )


@SETTINGS
@given(results())
def test_the_verdict_table_has_one_line_per_gate_and_no_command(result):
    table = verdict_table(result)
    assert_no_command(table)
    assert len(table.splitlines()) == 2 + len(result.gates) + len(result.warnings)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(results())
def test_the_comment_never_has_a_line_starting_with_a_command_and_fits(result):
    report = render(result)
    assert len(report) <= COMMENT_LIMIT
    assert_no_command(report)
    for line in report.splitlines():
        if line.startswith("|"):
            assert line.endswith("|"), line  # no untrusted text split a table row


# -- bad input: an InputError/ConfigError of one line, never anything else -------------------------------------

@SETTINGS
@given(st.text(max_size=300))
def test_any_mlgate_yaml_text_is_a_config_or_one_line_error(text):
    try:
        parse_config(text)
    except MlgateError as exc:
        assert exc.exit_code == 2
        assert_one_line(str(exc))


@SETTINGS
@given(st.dictionaries(texts, st.dictionaries(st.sampled_from(["min", "max", "max_drop", "severity", "optional", "zz"]),
                                              values, max_size=3), max_size=3))
def test_any_selectors_and_rules_are_a_config_or_one_line_error(kpis):
    text = json.dumps({"version": 1, "kpis": kpis}, allow_nan=True)  # JSON is YAML
    try:
        parse_config(text.replace("NaN", ".nan").replace("-Infinity", "-.inf").replace("Infinity", ".inf"))
    except MlgateError as exc:
        assert exc.exit_code == 2
        assert_one_line(str(exc))


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)),
    max_leaves=12,
)
SHA = "c" * 40


@st.composite
def payloads(draw) -> tuple[str, dict]:
    event = draw(st.sampled_from(["pull_request", "push", "workflow_run", "workflow_dispatch"]))
    pr = {"number": draw(st.one_of(st.integers(), json_values)), "title": draw(texts), "body": draw(texts),
          "head": draw(st.one_of(st.just({"sha": SHA, "ref": draw(texts)}), json_values)),
          "base": {"sha": SHA, "ref": draw(st.one_of(texts, json_values))}}
    payload = {
        "pull_request": pr,
        "workflow_run": {"head_sha": SHA, "head_branch": draw(st.one_of(texts, json_values)),
                         "pull_requests": draw(st.one_of(st.just([pr]), json_values))},
        "repository": draw(st.one_of(st.just({"default_branch": draw(texts)}), json_values)),
        "after": draw(st.one_of(st.just(SHA), json_values)), "before": draw(json_values),
    }
    return event, payload


@SETTINGS
@given(payloads())
def test_any_event_payload_is_a_context_or_one_line_input_error(tmp_path_factory, case):
    event, payload = case
    path = tmp_path_factory.mktemp("event") / "event.json"
    path.write_text(json.dumps(payload))
    environ = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": "o/r",
               "GITHUB_SHA": SHA, "GITHUB_REF": "refs/heads/main"}
    try:
        ctx = GitHubContext.from_env(environ)
    except InputError as exc:
        assert_one_line(str(exc))
        return
    for text in (ctx.head_ref, ctx.base_ref, ctx.default_branch):
        assert text is None or isinstance(text, str)
    ctx.comparison_base()


GOOD = Result(verdict="pass", head=Revision(ref="f", sha=SHA), base=None, base_how=None, baseline=Baseline(),
              gates=(gate("acc", 0.95, PASS, "ok"),), metrics={}, params={}).to_dict()
PARTS = sorted(GOOD)


@SETTINGS
@given(st.sampled_from(PARTS), json_values, st.one_of(st.none(), st.sampled_from(["head", "baseline"])), texts)
def test_any_damaged_result_file_is_a_result_or_one_line_input_error(part, value, inner, key):
    data = json.loads(json.dumps(GOOD))
    if part == "schema_version":
        part = "gates"
    if inner is not None:
        data[inner] = {**data[inner], key: value}
    else:
        data[part] = value
    try:
        result = publishable(Result.from_dict(data))  # as `mlgate ci --mode publish` reads an artifact
    except InputError as exc:
        assert_one_line(str(exc))
        return
    render(result)  # what was accepted can be published
    verdict_table(result)


@SETTINGS
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-10**500, max_value=10**500))
def test_any_number_in_a_result_renders(value):
    result = Result(verdict="fail", head=Revision(ref="f", sha=SHA), base=None, base_how=None, baseline=Baseline(),
                    gates=(gate("acc", value, FAIL, "x"),), metrics={"m.json": {"acc": {"old": 1, "new": value}}},
                    params={})
    assert "`acc`" in render(result)
    assert "acc" in verdict_table(result)


def test_json_nested_too_deeply_is_a_one_line_input_error(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "event.json").write_text('{"a": ' + deep + "}")
    (tmp_path / "result.json").write_text('{"schema_version": 3, "verdict": "pass", "metrics": ' + deep + "}")
    environ = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
               "GITHUB_REPOSITORY": "o/r", "GITHUB_SHA": SHA}
    for read in (lambda: GitHubContext.from_env(environ), lambda: Result.read(tmp_path / "result.json")):
        try:
            read()
        except InputError as exc:
            assert "nested too deeply" in str(exc)
            assert_one_line(str(exc))
        else:
            raise AssertionError("a 100,000-deep document was accepted")


@SETTINGS
@given(st.sampled_from(["predictions", "model", "data"]), json_values)
def test_any_family_section_in_a_result_file_is_published_or_one_line_input_error(family, section):
    data = json.loads(json.dumps(GOOD))
    data["sections"] = {family: section}
    try:
        result = publishable(Result.from_dict(data))  # as `mlgate ci --mode publish` reads an artifact
    except InputError as exc:
        assert_one_line(str(exc))
        return
    render(result)
