"""report: the Markdown report rendered from a Result — golden file, escaping, size budget, order.

Regenerate the golden file after an intended change with ``MLGATE_UPDATE_GOLDEN=1 pytest tests/unit/report/test_report.py``
and review the diff.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

from mlgate.edges.ci_context import SUMMARY_LIMIT_BYTES as SUMMARY_LIMIT
from mlgate.errors import ConfigError
from mlgate.gating.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, GateOutcome, RuleOutcome
from mlgate.report.cells import NBSP, num
from mlgate.report.cells import delta as _delta
from mlgate.report.marker import COMMENT_LIMIT
from mlgate.report.render import CELL_CHARS, report_marker
from mlgate.report.render import render as render_exact
from mlgate.result import Baseline, Result, Revision
from mlgate.run.staleness import describe
from mlgate.text.markdown import code, text


def render(*args, **kwargs) -> str:
    """The report with its no-break spaces read as spaces, for assertions on content (the goldens keep them)."""
    return render_exact(*args, **kwargs).replace(NBSP, " ")


def delta(*args, **kwargs) -> str:
    return _delta(*args, **kwargs).replace(NBSP, " ")


def read(golden: Path) -> str:
    return golden.read_text(encoding="utf-8").replace(NBSP, " ")

GOLDEN = Path(__file__).parent / "golden" / "report.md"
HEAD_SHA = "3f2a9c1" + "4" * 33
BASE_SHA = "a81d0e4" + "5" * 33


def gate(kpi, status, old, new, rules, *, key=None, severity="fail", message="", higher=True, file="eval/metrics.json"):
    numbers = isinstance(old, int | float) and isinstance(new, int | float)
    diff = new - old if numbers else None
    pct = None if diff is None or old == 0 else diff / abs(old) * 100
    return GateOutcome(
        kpi=kpi, file=file, key=key or kpi, severity=severity, status=status, message=message or status,
        old=old, new=new, diff=diff, pct=pct, higher_is_better=higher,
        rules=[RuleOutcome(rule, threshold, rule_status, "") for rule, threshold, rule_status in rules],
    )


def make_result(**overrides) -> Result:
    """A run like the design's example report, with known values."""
    gates = [
        gate("f1", PASS, 0.9650, 0.9655, [("min", 0.90, PASS)]),
        gate("latency_p95_ms", PASS, 2.1, 2.0, [("max_increase_pct", 10, PASS)], higher=False),
        gate("accuracy", FAIL, 0.9561, 0.9386, [("min", 0.9, PASS), ("max_drop", 0.01, FAIL)],
             message="drop 0.0175 > 0.01"),
        gate("model_size_mb", WARN, 1.8, 4.9, [("max", 4, FAIL)], severity="warn", message="4.9 > 4",
             higher=False, file="eval/model.yaml"),
        gate("roc_auc", NO_BASELINE, None, 0.99, [("max_drop_pct", 1, NO_BASELINE)],
             message="drop ≤ 1%: not in the baseline"),
        GateOutcome(kpi="slices.*.recall", file=None, key="slices.*.recall", severity="fail", status=SKIPPED,
                    message="not found in any metrics file; optional"),
    ]
    values = dict(
        verdict="fail",
        head=Revision(ref="feature/deeper-trees", sha=HEAD_SHA),
        base=Revision(ref="main", sha=BASE_SHA),
        base_how="merge-base",
        baseline=Baseline("committed", "metrics committed at a81d0e4", BASE_SHA, 0),
        gates=gates,
        metrics={
            "eval/metrics.json": {
                "accuracy": {"old": 0.9561, "new": 0.9386, "diff": 0.9386 - 0.9561},
                "f1": {"old": 0.9650, "new": 0.9655, "diff": 0.9655 - 0.9650},
                "latency_p95_ms": {"old": 2.1, "new": 2.0, "diff": 2.0 - 2.1},
                "n_test": {"old": 114, "new": 114, "diff": 0},
                "roc_auc": {"old": None, "new": 0.99},
                "brier": {"old": 0.05, "new": None},
                "loss": {"old": 0.2, "new": math.nan, "diff": math.nan},
            },
            "eval/model.yaml": {
                "model_size_mb": {"old": 1.8, "new": 4.9, "diff": 4.9 - 1.8},
                "n_params": {"old": 1_250_000, "new": 3_400_000, "diff": 2_150_000},
            },
        },
        params={
            "params.yaml": {
                "train.max_depth": {"old": 4, "new": 12, "diff": 8},
                "train.n_estimators": {"old": 100, "new": 300, "diff": 200},
                "train.criterion": {"old": "gini", "new": "entropy"},
                "train.seed": {"old": 42, "new": 42, "diff": 0},
            }
        },
        errors={"head": {}},
        warnings=["baseline eval/extra.json at a81d0e4: missing (the file does not exist)"],
        stages=[
            {"name": "prepare", "status": "restored", "seconds": 0.0},
            {"name": "train", "status": "ran", "seconds": 30.2},
            {"name": "evaluate", "status": "ran", "seconds": 8.1},
        ],
        reproduced=True,
        duration_s=41.2,
        links={"run_url": "https://github.com/OWNER/REPO/actions/runs/123"},
        context={"pr_number": 17, "hypothesis": "deeper trees improve recall on small tumours."},
        created_at="2026-01-01T00:00:00+00:00",
    )
    values.update(overrides)
    return Result(**values)


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def cells(row: str) -> list[str]:
    """A table row's cells, splitting on pipes that GFM does not treat as escaped."""
    return re.split(r"(?<!\\)\|", row)[1:-1]


def assert_tables_whole(markdown: str) -> None:
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") or line.endswith("|"):
            assert line.startswith("|") and line.endswith("|"), f"half a table row: {line[:80]!r}"
        if line.startswith("|---"):
            header = lines[i - 1]
            width = len(cells(header))
            assert len(cells(line)) == width
            for row in lines[i + 1 :]:
                if not row.startswith("|"):
                    break
                assert len(cells(row)) == width, f"row has {len(cells(row))} cells, header {width}: {row[:80]!r}"
    assert len(re.findall(r"<details[ >]", markdown)) == markdown.count("</details>")


# -- golden ---------------------------------------------------------------------------------------------

def test_report_matches_the_golden_file():
    rendered = render_exact(make_result())
    if os.environ.get("MLGATE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN.read_text(encoding="utf-8")


def test_golden_report_shape():
    """What the golden file must show, so a regenerated golden cannot silently lose it."""
    report = read(GOLDEN)
    lines = report.splitlines()
    assert lines[0] == report_marker("default", HEAD_SHA) == "<!-- mlgate:report id=default head=3f2a9c1 -->"
    # the heading counts the rows the table shows (the skipped KPI is listed apart, with why)
    assert lines[1] == "## ❌ mlgate — 1 of 5 KPI gates failed"
    assert len([r for r in table_rows(report.split("<details")[0])[2:]]) == 5
    assert "⏭️ Not judged: `slices.*.recall` (optional: no metric matched)." in report
    # commits and the comparison are links in CI
    assert (f"[`feature/deeper-trees` @ `3f2a9c1`](https://github.com/OWNER/REPO/commit/{HEAD_SHA}) vs "
            f"[`main` @ `a81d0e4`](https://github.com/OWNER/REPO/commit/{BASE_SHA}) (merge-base) · "
            f"[compare](https://github.com/OWNER/REPO/compare/{BASE_SHA}...{HEAD_SHA})") in report
    assert "baseline: metrics committed at the base · 41 s" in report
    # what changed, right after the gates and their failures: the stages that ran, named with their time
    assert "**What changed:** ran `train` (30 s), `evaluate` (8.1 s); `prepare` restored from the run-cache" in report
    assert report.index("- ❌ `accuracy`") < report.index("**What changed:**") < report.index("Params changed")
    assert report.index("Params changed") < report.index("All metrics") < report.index("Warnings (1)")
    assert "| | KPI | main | this PR | Δ | gate |" in report
    # narrow rows: value, value, the signed change and its judgement, each rule once
    assert "| ❌ | `accuracy` | 0.9561 | 0.9386 | −0.0175 worse | ≥ 0.9 · drop ≤ 0.01 |" in report
    assert "| ⚠️ | `model_size_mb` | 1.8 | 4.9 | +3.1 worse | ≤ 4 · warn |" in report
    assert "| ✅ | `latency_p95_ms` | 2.1 | 2.0 | −4.8% better | rise ≤ 10% |" in report  # smaller is better
    assert "| ➖ | `roc_auc` | — | 0.9900 | — | drop ≤ 1% (no baseline) |" in report
    assert "> **Hypothesis:** deeper trees improve recall on small tumours." in report
    assert "<details open><summary>Params changed (3)</summary>" in report  # train.seed did not change; ≤ 5: open
    assert "| `train.criterion` | `gini` | `entropy` |" in report
    assert "<details><summary>All metrics (9: 8 changed or gated, 1 unchanged)</summary>" in report
    # one column for file and metric: each file's row heads its metrics
    assert "| metric | main | this PR | Δ |" in report and "| 📄 `eval/model.yaml` | | | |" in report
    assert "| `n_params` | 1250000 | 3400000 | +2150000 |" in report  # no direction in its name: no word
    assert "| `model_size_mb` | 1.8 | 4.9 | +3.1 worse |" in report  # direction from its KPI
    # the unchanged metric is folded apart, after the ones that moved
    assert "<details><summary>1 unchanged</summary>" in report
    assert "| `n_test` <sub>`eval/metrics.json`</sub> | 114 |" in report
    assert report.index("`n_params`") < report.index("`n_test`")
    assert "| `loss` | 0.2000 | NaN | NaN at the head |" in report
    assert "[workflow run](https://github.com/OWNER/REPO/actions/runs/123)" in report
    assert_tables_whole(report)


def test_failures_sort_first_then_warnings_then_no_baseline_then_passes_then_skipped():
    report = render(make_result())
    icons = [cells(row)[0].strip() for row in table_rows(report.split("<details")[0])[2:]]
    assert icons == ["❌", "⚠️", "➖", "✅", "✅"]  # skipped ones are listed under the table, with why


def test_problems_are_listed_under_the_table():
    report = render(make_result())
    assert "- ❌ `accuracy`: drop 0.0175 &gt; 0.01" in report
    assert "- ⚠️ `model_size_mb`: 4.9 &gt; 4" in report


def test_passing_report_header():
    result = make_result(verdict="pass", gates=[g for g in make_result().gates if g.status in (PASS, SKIPPED)])
    assert render(result).splitlines()[1] == "## ✅ mlgate — all 2 KPI gates passed"


def test_no_baseline_is_said_plainly():
    result = make_result(base=None, base_how=None, baseline=Baseline("none", "no base commit"), verdict="pass",
                         gates=[gate("roc_auc", NO_BASELINE, None, 0.99, [("max_drop_pct", 1, NO_BASELINE)])])
    report = render(result)
    assert "> **No baseline** (no base commit): only absolute gates" in report
    assert report.index("> **No baseline**") < report.index("| | KPI |")  # read before the numbers
    assert "## ➖ mlgate — no KPI gate judged: 1 without a baseline" in report  # nothing checked: no ✅


def test_without_gates_the_report_says_how_to_add_them():
    report = render(make_result(gates=[], verdict="pass"))
    assert "_No KPI gates are configured: add some under `kpis:` in `mlgate.yaml`._" in report
    assert report.splitlines()[1] == "## ➖ mlgate — no KPI gates configured"  # nothing was checked: no ✅


def test_an_errored_run_has_its_own_heading_and_no_table_of_judged_gates():
    result = make_result(verdict="error", error="eval/metrics.json: cannot be read at the head: not JSON")
    report = render(result)
    lines = report.splitlines()
    assert lines[1] == "## ⛔ mlgate — the run could not be completed"  # not a pass's ⚠️, not a ✅
    assert "> **The head could not be judged:** eval/metrics.json: cannot be read at the head: not JSON" in report
    head = report.split("<details")[0]
    assert "| | KPI |" not in report and "| ❌ |" not in head and "| ✅ |" not in head  # no gate judged below it
    assert "- ❌ `accuracy`" not in report and "Not judged:" not in report
    assert "_No gate was judged: a run that could not be completed is not a verdict on its numbers (6 KPI gates" \
           " in the result JSON)" in report
    assert "**What changed:**" in report and "Warnings (1)" in report  # the rest of the report still helps


def test_a_pass_with_a_warning_keeps_its_warning_heading():
    warned = [g for g in make_result().gates if g.status in (PASS, WARN)]
    assert render(make_result(verdict="pass", gates=warned)).splitlines()[1].startswith("## ⚠️ mlgate — all 3")


def no_config_result(**overrides) -> Result:
    metrics = {"eval/metrics.json": {
        "accuracy": {"old": 0.90, "new": 0.92},  # better by its name
        "recall": {"old": 0.80, "new": 0.70},  # worse
        "loss": {"old": 0.30, "new": 0.40},  # worse: a loss rose
        "n_rows": {"old": 100, "new": 120},  # changed, no direction in its name
        "f1": {"old": 0.85, "new": 0.85},  # unchanged
        "precision": {"old": 0.9561, "new": 0.9561 + 1e-12},  # float noise: unchanged
    }}
    return make_result(**{"config_path": "", "gates": [], "verdict": "pass", "metrics": metrics, **overrides})


def test_without_mlgate_yaml_the_heading_counts_better_and_worse_and_the_changes_come_first():
    report = render(no_config_result())
    lines = report.splitlines()
    assert lines[1] == "## 📊 mlgate — no mlgate.yaml: 1 metric better and 2 worse by their names' direction, 1 more changed"
    assert "✅" not in report
    table = report.index("| metric | main | this PR | Δ |")
    assert table < report.index("**What changed:**") < report.index("Params changed")  # open, first
    assert "<details><summary>All metrics" not in report  # shown once, unfolded
    assert "| `accuracy` | 0.9000 | 0.9200 | +0.0200 better |" in report
    assert "| `loss` | 0.3000 | 0.4000 | +0.1000 worse |" in report
    assert "| `n_rows` | 100 | 120 | +20 |" in report
    assert "<details><summary>2 unchanged</summary>" in report
    assert report.index("`n_rows`") < report.index("2 unchanged") < report.index("`precision`")
    assert "better/worse by the metric's name (no KPI says)" in report


@pytest.mark.parametrize(("metrics", "expected"), [
    ({}, "no mlgate.yaml: no metrics to compare"),
    ({"m.json": {"f1": {"old": 0.5, "new": 0.5}}}, "no mlgate.yaml: no metric changed (1 compared)"),
    ({"m.json": {"n": {"old": 1, "new": 2}, "k": {"old": 1, "new": 3}}}, "no mlgate.yaml: 2 metrics changed"),
])
def test_the_no_config_heading_says_what_it_could_compare(metrics, expected):
    assert render(no_config_result(metrics=metrics)).splitlines()[1] == f"## 📊 mlgate — {expected}"


def test_warnings_that_change_how_numbers_read_sit_under_the_heading():
    unpaired = ("eval/predictions.csv: unpaired: only 40 rows pair by id, fewer than 50% of head (114) or base (143);"
                " the two sides are compared as independent samples")
    result = make_result(warnings=[unpaired, "the DVC cache was not pushed: offline"],
                         baseline=Baseline("ledger", "ledger entry", BASE_SHA, 3))
    report = render(result)
    notes = report.index("> ⚠️ eval/predictions.csv: unpaired: only 40 rows pair by id")
    assert notes < report.index("| | KPI |")
    assert report.index("> ⚠️ The baseline is the ledger entry for `a81d0e4`, 3 commits before the merge-base") < \
        report.index("| | KPI |")
    assert "Warnings (1)" in report and report.count("unpaired: only 40 rows") == 1  # said once, where it matters
    baseline = Baseline("reproduced", "reproduced a81d0e4 in a worktree", BASE_SHA)
    stale = describe(baseline, age_days=None, max_age_days=14, behind=None, tip=None)
    reproduced = render(make_result(baseline=baseline, context={"stale_baseline": stale}))
    line = reproduced.index("> ⚠️ **Stale baseline:** the baseline had to be reproduced")
    assert line < reproduced.index("| | KPI |") and "not deterministic" in reproduced
    assert reproduced.count("reproduced (") == 1  # said once


# -- escaping -----------------------------------------------------------------------------------------------

HOSTILE = [
    "a|b",
    "`tick` ``double``",
    "<img src=x onerror=alert(1)>",
    "<!-- hide the rest",
    "**bold** _em_ [link](https://evil.invalid) ![img](x)",
    "@octocat and @org/team",
    "${{ secrets.GITHUB_TOKEN }}",
    "# heading\n- list\r\n> quote",
    "</details><details>",
    "ends with a backslash \\",
]


ZERO_WIDTH = "[\u200b\u200c\u200d\u2060\ufeff]"


def strip_code_spans(line: str) -> str:
    """The line with every CommonMark code span removed (a backtick run up to the next run of equal length)."""
    return re.sub(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", "", line)


def assert_inert(line: str) -> None:
    prose = strip_code_spans(line)
    prose = re.sub(r"\[[^\[\]]*\]\(https://github\.com/OWNER/REPO/[\w./-]*\)", "", prose)  # our own links
    assert "<" not in prose.replace("<sub>", "").replace("</sub>", "").replace("<details>", "").replace("<details open>", "").replace(
        "</details>", "").replace("<summary>", "").replace("</summary>", ""), line
    assert not re.search(r"(?<![\w\\])@\w", prose), line  # a would-be @mention (GitHub: not after a letter) sits in code
    assert "${{" not in prose, line
    ours = ("**Hypothesis:**", "**No baseline**", "**What changed:**", "**The head could not be judged:**")
    for word in ours:
        prose = prose.replace(word, "")
    assert not re.search(r"(?<!\\)\*\*", prose), line
    assert not re.search(r"(?<!\\)\[", prose.replace("[workflow run]", "")), line


@pytest.mark.parametrize("hostile", HOSTILE)
def test_untrusted_text_is_inert_everywhere_it_appears(hostile):
    gates = [gate(hostile, FAIL, 0.5, 0.4, [("min", 0.9, FAIL)], message=f"value {hostile!r} is odd", file=hostile)]
    result = make_result(
        head=Revision(ref=f"feature/{hostile}", sha=HEAD_SHA),
        base=Revision(ref=f"main{hostile}", sha=BASE_SHA),
        gates=gates,
        metrics={hostile: {hostile: {"old": 0.5, "new": hostile}}},
        params={"params.yaml": {hostile: {"old": hostile, "new": 1}}},
        warnings=[hostile],
        stages=[{"name": hostile, "status": "restored", "seconds": 0.0}],
        context={"pr_number": 3, "hypothesis": hostile, "title_prefix": hostile},
    )
    report = render(result)
    assert_tables_whole(report)
    assert not re.search(ZERO_WIDTH, report)  # inert by escaping and code spans, never by invisible characters
    # Line breaks in untrusted text never start a new Markdown block.
    assert "\n- list" not in report and "\n# heading" not in report and "\n> quote" not in report
    for line in report.splitlines()[1:]:  # line 0 is our own HTML comment marker
        assert_inert(line)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "`plain`"),
        ("a|b", "`a\\|b`"),
        ("has `tick`", "`` has `tick` ``"),
        ("``", "``` `` ```"),
        ("two\nlines", "`two lines`"),
        ("@user <b>", "`@user <b>`"),
    ],
)
def test_code_filter(value, expected):
    assert code(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain words", "plain words"),
        ("<b>&", "&lt;b&gt;&amp;"),
        ("**x** _y_", "\\*\\*x\\*\\* \\_y\\_"),
        ("a|b", "a\\|b"),
        ("@octocat", "`@octocat`"),  # in a code span GitHub links no mention; copied, it reads as written
        ("ask @org/team-a, mail a@b.example", "ask `@org/team-a`, mail a@b.example"),
        ("${{ x }}", "$\\{\\{ x \\}\\}"),
        ("[l](u)", "\\[l\\](u)"),  # no link without its brackets; parentheses stay readable
        ("line\nbreak", "line break"),
    ],
)
def test_text_filter(value, expected):
    assert text(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        (0.9561, "0.9561"),
        (-0.0175, "−0.0175"),
        (1234.5, "1234.5"),
        (12_345_678.0, "12345678"),
        (1.5e12, "1.500e+12"),
        (0.00001234, "0.00001234"),
        (0.0, "0.0000"),
        (3, "3"),
        (-1_250_000, "−1,250,000"),  # a count in prose; a metric's or param's value goes through its format
        (math.nan, "NaN"),
        (math.inf, "∞"),
        (-math.inf, "−∞"),
        (True, "`True`"),
        ("n/a", "`n/a`"),
    ],
)
def test_num_filter(value, expected):
    assert num(value) == expected


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"old": 0.9561, "new": 0.9386, "diff": 0.9386 - 0.9561}, "−0.0175"),  # a fraction: no percentage
        ({"old": 1.8, "new": 4.9, "diff": 4.9 - 1.8}, "+3.1"),  # one convention a row: the metric's unit
        ({"old": 1.0, "new": 1.0, "diff": 0.0}, "±0"),
        ({"old": 0.9561, "new": 0.9561 - 1.11e-16, "diff": -1.11e-16}, "±0"),  # float noise is no change
        ({"old": 0, "new": 2, "diff": 2}, "+2"),  # no percentage of a zero baseline
        ({"old": 1000.0, "new": 1000.5, "diff": 0.5}, "+0.5"),  # below 0.1 %: no percentage
        ({"old": None, "new": 1.0}, "—"),
        ({"old": 1.0, "new": math.nan, "diff": math.nan}, "NaN at the head"),
        ({"old": math.nan, "new": 1.0, "diff": math.nan}, "NaN at the base"),
        ({"old": 1.0, "new": math.inf, "diff": math.inf}, "+∞"),
    ],
)
def test_delta_filter(entry, expected):
    assert delta(entry) == expected


@pytest.mark.parametrize(
    ("entry", "higher", "expected"),
    [
        ({"old": 0.30, "new": 0.20}, False, "−0.1000 better"),  # a loss fell: the sign is the change's, the word the judgement
        ({"old": 0.30, "new": 0.40}, False, "+0.1000 worse"),
        ({"old": 0.90, "new": 0.80}, True, "−0.1000 worse"),
        ({"old": 0.90, "new": 0.95}, None, "+0.0500"),  # no direction known: no word
        ({"old": 1.0, "new": math.inf}, True, "+∞ better"),
    ],
)
def test_delta_says_better_or_worse_apart_from_the_sign(entry, higher, expected):
    assert delta(entry, None, higher) == expected
    assert "▲" not in delta(entry, None, higher) and "▼" not in delta(entry, None, higher)


@pytest.mark.parametrize(
    ("rules", "old", "new", "expected"),
    [
        ([("max", 0.15, PASS)], 0.0587, 0.0464, "−0.0123 better"),  # a ceiling: lower is better (ECE)
        ([("min", 0.25, FAIL)], 0.3732, 0.2405, "−0.1327 worse"),  # a floor: higher is better (a class share)
        ([("max_increase_pct", 200, PASS)], 0.1096, 0.1008, "−8.0% better"),  # a percentage rule: in percent
    ],
)
def test_every_judged_gate_row_gets_a_judgement_from_its_rules(rules, old, new, expected):
    g = gate("data.train.target.share_min", PASS, old, new, rules, higher=None)
    assert delta(g) == expected


def test_marker_refuses_an_unsafe_report_id_and_is_short():
    from mlgate.errors import InputError

    with pytest.raises(InputError, match="report-id 'my report --> <b>' is not valid"):
        report_marker("my report --> <b>", HEAD_SHA)
    assert report_marker("model-a", None) == "<!-- mlgate:report id=model-a head= -->"  # no commit yet: no sha


# -- size budget -----------------------------------------------------------------------------------------

def big_result(n_metrics: int = 5_000, n_params: int = 2_000, n_gates: int = 5, fail_every: int = 3) -> Result:
    metrics = {
        f"eval/part{p}.json": {
            f"slices.segment_{i:05d}.recall": {"old": 0.5, "new": 0.5 + i / 1e6, "diff": i / 1e6}
            for i in range(p, n_metrics, 4)
        }
        for p in range(4)
    }
    params = {"params.yaml": {f"grid.param_{i:05d}": {"old": i, "new": i + 1, "diff": 1} for i in range(n_params)}}
    gates = [
        gate(f"kpi_{i}", FAIL if i % fail_every == 0 else PASS, 0.9, 0.8,
             [("min", 0.85, FAIL if i % fail_every == 0 else PASS)])
        for i in range(n_gates)
    ]
    return make_result(gates=gates, metrics=metrics, params=params)


def test_five_thousand_metrics_and_two_thousand_params_fit_a_comment():
    report = render(big_result())
    assert len(report) <= COMMENT_LIMIT
    assert_tables_whole(report)
    # a change below the shown precision (0.5 → 0.50004) is no change: those rows are counted, not listed
    assert "<details><summary>All metrics (5000: 4949 changed or gated, 51 unchanged)</summary>" in report
    assert "_51 unchanged metrics not listed, to fit the comment; all are in the result JSON._" in report
    assert "<details><summary>Params changed (2000)</summary>" in report
    shown_metrics = len([r for r in table_rows(report) if "`segment_" in r])
    shown_params = len([r for r in table_rows(report) if "`grid.param_" in r])
    assert f"_{4949 - shown_metrics} more changed metrics not shown to fit the comment; see the result JSON._" in report
    assert f"_{2000 - shown_params} more changed params not shown; see the result JSON._" in report
    # every gate is still there, failures first
    gate_rows = [r for r in table_rows(report) if re.match(r"\| (❌|✅) \| `kpi_", r)]
    assert len(gate_rows) == 5
    assert [r.startswith("| ❌") for r in gate_rows] == [True, True, False, False, False]
    assert report.rstrip().endswith("</sub>")


def test_rows_that_could_never_fit_the_limit_are_not_rendered_at_all():
    from mlgate.report.render import MIN_ROW_CHARS, _Rows

    rows = _Rows(big_result(n_metrics=40_000, n_params=30_000, n_gates=10_000), limit=COMMENT_LIMIT)
    unlimited = rows.context({"metrics": None, "params": None, "gates": None})

    ceiling = COMMENT_LIMIT // MIN_ROW_CHARS
    assert (len(unlimited["metrics"]), len(unlimited["params"]), len(unlimited["gates"])) == (ceiling,) * 3
    assert unlimited["metrics_total"] == 40_000 and unlimited["problems_omitted"] == 0  # failures kept first
    report = render(big_result(n_metrics=40_000, n_params=10))
    shown = len([r for r in table_rows(report) if "`segment_" in r])
    assert f"_{40_000 - 51 - shown} more changed metrics not shown to fit the comment; see the result JSON._" in report


def test_the_budget_drops_unchanged_rows_before_trend_charts():
    """A comment with hundreds of unchanged metrics and trend charts: the unchanged rows go (their count
    stays), every chart and every changed metric stays."""
    metrics = {"eval/metrics.json": {f"stable.metric_{i:04d}.value_at_a_long_name": {"old": 0.5, "new": 0.5}
                                     for i in range(1_500)}}
    base = trend_result()
    metrics["eval/metrics.json"].update(base.metrics["eval/metrics.json"])
    full = render(trend_result(metrics=metrics), limit=SUMMARY_LIMIT)
    assert len(full) > COMMENT_LIMIT and full.count("stable.metric_") == 1500  # over the comment's budget
    report = render(trend_result(metrics=metrics))
    assert len(report) <= COMMENT_LIMIT
    assert report.count("xychart-beta") == full.count("xychart-beta") > 0  # no chart dropped
    assert "stable.metric_" not in report
    assert "_1501 unchanged metrics not listed, to fit the comment; all are in the result JSON._" in report
    assert "| `accuracy` | 0.9561 | 0.9386 | −0.0175 worse |" in report  # the changed ones stay
    assert_tables_whole(report)


def test_the_job_summary_limit_keeps_everything():
    report = render(big_result(), limit=SUMMARY_LIMIT)
    assert len(report) <= SUMMARY_LIMIT
    assert "not shown" not in report
    assert len([r for r in table_rows(report) if "segment_" in r]) == 5000
    assert_tables_whole(report)


def test_thousands_of_passing_gates_are_trimmed_but_failures_stay():
    report = render(big_result(n_metrics=10, n_params=10, n_gates=5_000, fail_every=50))
    assert len(report) <= COMMENT_LIMIT
    assert_tables_whole(report)
    failing = [r for r in table_rows(report) if r.startswith("| ❌")]
    assert len(failing) == 100  # every failing gate (i % 50 == 0) is shown
    assert table_rows(report)[2].startswith("| ❌ | `kpi_0` |")
    shown = len([r for r in table_rows(report) if re.match(r"\| (❌|✅) \| `kpi_", r)])
    assert f"_{5000 - shown} passing gates not shown to fit the comment; all are in the result JSON._" in report


def test_thousands_of_failing_gates_are_trimmed_and_say_so():
    gates = [gate(f"slice_{i:05d}", FAIL, 0.9, 0.5, [("min", 0.7, FAIL)], message="0.5 < 0.7") for i in range(5_000)]
    report = render(make_result(gates=gates))
    assert len(report) <= COMMENT_LIMIT
    assert_tables_whole(report)
    shown = len([r for r in table_rows(report) if r.startswith("| ❌")])
    assert 0 < shown < 5_000
    assert (f"_{5000 - shown} gates not shown to fit the comment ({5000 - shown} of them failing or warning); "
            "all are in the result JSON._") in report
    assert report.rstrip().endswith("</sub>")  # the footer survives


def test_one_huge_metric_name_is_trimmed_and_no_failing_gate_row_is_lost():
    """Issue 9, item 6: a 100,000-character name used to empty the gates table under "4 of 5 failed"."""
    huge = "x" * 100_000
    gates = [gate(huge, FAIL, 0.9, 0.5, [("min", 0.7, FAIL)])]
    gates += [gate(f"kpi{i}", FAIL, 0.9, 0.5, [("min", 0.7, FAIL)]) for i in range(3)]
    gates += [gate("fine", PASS, 0.9, 0.95, [("min", 0.7, PASS)])]
    report = render(make_result(gates=gates, verdict="fail"))
    assert len(report) <= COMMENT_LIMIT
    assert "4 of 5 KPI gates failed" in report
    rows = [line for line in report.splitlines() if line.startswith("| ❌ |") or line.startswith("| ✅ |")]
    assert len(rows) == 5, report[:3000]
    assert "`" + "x" * (CELL_CHARS - 1) + "…`" in rows[0]
    for name in ("kpi0", "kpi1", "kpi2", "fine"):
        assert any(f"`{name}`" in row for row in rows)
    for line in report.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")


def test_a_report_within_budget_keeps_long_names_whole():
    name = "y" * 500
    report = render(make_result(gates=[gate(name, FAIL, 0.9, 0.5, [("min", 0.7, FAIL)])], verdict="fail"))
    assert f"`{name}`" in report


# -- user templates ----------------------------------------------------------------------------------------

def test_a_user_template_can_override_a_block(tmp_path):
    (tmp_path / "report.md.j2").write_text(
        '{% extends "base.md.j2" %}\n{% block footer %}\n\nOwned by {{ r.head.ref | code }}.\n{% endblock %}\n'
    )
    report = render(make_result(), template_dir=tmp_path)
    assert report.endswith("\nOwned by `feature/deeper-trees`.\n")
    assert "| ❌ | `accuracy` |" in report


def test_a_user_template_cannot_reach_python_internals(tmp_path):
    (tmp_path / "report.md.j2").write_text('{% extends "base.md.j2" %}\n{% block footer %}{{ r.__class__.__mro__ }}{% endblock %}\n')
    with pytest.raises(ConfigError) as err:
        render(make_result(), template_dir=tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'report.md.j2'}:2: report template failed: SecurityError: ")
    assert "\n" not in str(err.value)


def test_a_broken_user_template_names_file_and_line(tmp_path):
    (tmp_path / "report.md.j2").write_text('{% extends "base.md.j2" %}\n{% block footer %}\n{% if %}{% endblock %}\n')
    with pytest.raises(ConfigError) as err:
        render(make_result(), template_dir=tmp_path)
    assert str(err.value).startswith(f"{tmp_path / 'report.md.j2'}:3: report template failed: TemplateSyntaxError: ")


def test_a_missing_template_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="report.template: .* is not a directory"):
        render(make_result(), template_dir=tmp_path / "nope")


# -- the trend: the PR as the last marked point, the threshold as a line ---------------------------------

GOLDEN_TREND = Path(__file__).parent / "golden" / "report_trend.md"


def trend_result(**overrides) -> Result:
    history = ["1111111", "2222222", "3333333", "4444444", "5555555"]
    return make_result(**{
        "trend": {
            "eval/metrics.json:accuracy": [[sha, v] for sha, v in zip(history, [0.951, 0.958, 0.958, 0.951, 0.9561])],
            "eval/metrics.json:f1": [[sha, v] for sha, v in zip(history, [0.96, 0.965, None, 0.965, 0.965])],
        },
        "context": {"pr_number": 17, "trend_ref": "main"},
        **overrides,
    })


def test_trend_report_matches_the_golden_file():
    rendered = render_exact(trend_result())
    if os.environ.get("MLGATE_UPDATE_GOLDEN") == "1":
        GOLDEN_TREND.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN_TREND.read_text(encoding="utf-8")


def test_trend_shows_the_pr_point_the_threshold_and_the_scale():
    report = read(GOLDEN_TREND)
    assert "<details><summary>Trend on <code>main</code>: each KPI over the last 5 ledger entries, then this PR</summary>" in report
    # accuracy: drop ≤ 0.01 from 0.9561 → threshold 0.9461; min 0.9 is looser, so the drop binds
    assert "`accuracy` <code>" in report and "· threshold 0.9461" in report
    spark = re.search(r"`accuracy` <code>(\S+) (\S)</code> scale (\S+) … (\S+);", report)
    assert spark, report
    line, pr, low, high = spark.groups()
    assert len(line) == 5 and len(pr) == 1
    assert float(high.replace("−", "-")) - float(low.replace("−", "-")) >= 0.04  # four margins: noise reads as noise
    chart = report[report.index("```mermaid", report.index("`accuracy` <code>")):]
    chart = chart[: chart.index("```\n", 10) + 4]
    assert '"this PR"' in chart and "    bar [" in chart and chart.count("    line [") == 2
    assert "0.9461, 0.9461" in chart  # the threshold line
    assert "Chart: blue line = ledger entries, orange bar = this PR, red line = the gate's threshold." in report


# -- one number format, decided per metric from both sides ---------------------------------------------

GOLDEN_NUMBERS = Path(__file__).parent / "golden" / "report_numbers.md"


def numbers_result(accuracy: tuple[float, float], recall: tuple[float, float]) -> Result:
    """The cases reviewers saw read differently: decimals per run, 1 vs 1.0000, float noise, separators."""
    acc = gate("accuracy", PASS, *accuracy, [("max_drop", 0.01, PASS)])
    rec = gate("recall", PASS, *recall, [("min", 0.9, PASS)])
    noise = gate("precision", PASS, 0.9561, 0.9561 - 1.11e-16, [("max_drop", 0.01, PASS)])
    size = gate("model_size_mb", PASS, 4.5, 3.2, [("max_increase_pct", 200, PASS)], higher=False)
    return make_result(
        verdict="pass",
        gates=[acc, rec, noise, size],
        metrics={"eval/metrics.json": {
            "accuracy": {"old": accuracy[0], "new": accuracy[1], "diff": accuracy[1] - accuracy[0]},
            "recall": {"old": recall[0], "new": recall[1], "diff": recall[1] - recall[0]},
            "precision": {"old": 0.9561, "new": 0.9561 - 1.11e-16, "diff": -1.11e-16},
            "n_rows": {"old": 20170428, "new": 20170429, "diff": 1},
        }},
        params={"params.yaml": {"data.rows": {"old": 20170428, "new": 20170429, "diff": 1}}},
        warnings=[],
    )


def test_numbers_report_matches_the_golden_file():
    rendered = render_exact(numbers_result((0.965, 0.979), (1.0, 0.9667)))
    if os.environ.get("MLGATE_UPDATE_GOLDEN") == "1":
        GOLDEN_NUMBERS.write_text(rendered, encoding="utf-8")
    assert rendered == GOLDEN_NUMBERS.read_text(encoding="utf-8")


def test_a_metric_reads_with_the_same_decimals_in_every_run_and_in_its_message():
    one = render(numbers_result((0.965, 0.979), (1.0, 1.0)))
    two = render(numbers_result((0.9650, 0.9231), (1.0, 0.9667)))
    assert "| ✅ | `accuracy` | 0.9650 | 0.9790 | +0.0140 better | drop ≤ 0.01 |" in one
    assert "| ✅ | `accuracy` | 0.9650 | 0.9231 | −0.0419 worse | drop ≤ 0.01 |" in two
    assert "| ✅ | `recall` | 1.0000 | 1.0000 | ±0 | ≥ 0.9 |" in one
    assert "| ✅ | `recall` | 1.0000 | 0.9667 | −0.0333 worse | ≥ 0.9 |" in two
    # float noise below the shown precision is no change, with no word
    assert "| ✅ | `precision` | 0.9561 | 0.9561 | ±0 | drop ≤ 0.01 |" in one
    assert "−1.110e−16" not in one and "e-16" not in one
    # a smaller model is better: said so, in percent as its rule is
    assert "| ✅ | `model_size_mb` | 4.5 | 3.2 | −28.9% better | rise ≤ 200% |" in one
    # integers without thousands separators, in params and metrics alike
    assert "| `data.rows` | 20170428 | 20170429 |" in one and "20,170,428" not in one


# -- what else a reviewer looks for ----------------------------------------------------------------------

def predictions_gate(status=PASS, interval=None):
    g = gate("predictions.accuracy", status, 0.958, 0.951, [("max_drop", 0.01, status)], file="eval/predictions.csv")
    if interval:
        g.rules[0].interval = interval
    return g


def test_a_small_eval_set_is_named_beside_its_metrics_with_a_noise_hint():
    result = make_result(gates=[predictions_gate()], sections={"predictions": {"n_head": 143, "n_base": 143}})
    report = render(result)
    assert "| ✅ | `predictions.accuracy` <sub>n=143</sub> | 0.9580 | 0.9510 | −0.0070 worse | drop ≤ 0.01 |" in report
    assert ("> 143 test examples: one example moves a rate such as accuracy by 0.0070 (0.7 points), so "
            "`predictions.accuracy` can pass or fail on noise; consider `confidence:` on its KPI.") in report


def test_no_noise_hint_for_a_large_set_or_a_gate_judged_on_an_interval():
    big = render(make_result(gates=[predictions_gate()], sections={"predictions": {"n_head": 5000}}))
    assert "<sub>n=5000</sub>" in big and "consider `confidence:`" not in big
    interval = {"of": "diff", "value": -0.007, "low": -0.02, "high": 0.005, "confidence": 0.95, "significant": False,
                "paired": True, "n_paired": 143, "n_head": 143, "n_base": 143, "method": "paired_counts"}
    judged = render(make_result(gates=[predictions_gate(interval=interval)], sections={"predictions": {"n_head": 143}}))
    assert "consider `confidence:`" not in judged
    assert "| −0.0070 within noise | drop ≤ 0.01 (95 %) |" in judged  # the interval's judgement, not the sign's


def test_comparing_a_commit_with_itself_is_said_plainly():
    report = render(make_result(base=Revision(ref="main", sha=HEAD_SHA), links={}))
    assert "`feature/deeper-trees` @ `3f2a9c1` compared with itself: no changes to compare" in report
    assert f"`{HEAD_SHA[:7]}` vs" not in report


def test_without_a_workflow_run_there_are_no_links():
    report = render(make_result(links={}))
    assert "`feature/deeper-trees` @ `3f2a9c1` vs `main` @ `a81d0e4` (merge-base) · baseline" in report
    assert "](" not in report


def test_params_changed_is_folded_when_it_has_more_than_five_rows():
    params = {"params.yaml": {f"p{i}": {"old": i, "new": i + 1, "diff": 1} for i in range(6)}}
    assert "<details><summary>Params changed (6)</summary>" in render(make_result(params=params))


@pytest.mark.parametrize(("rules", "old", "expected"), [
    ([("min", 0.9, PASS)], 0.95, (0.9, None)),
    ([("min", 0.9, PASS), ("max_drop", 0.01, PASS)], 0.95, (pytest.approx(0.94), 0.01)),  # the binding limit
    ([("max_drop_pct", 2, PASS)], 0.5, (pytest.approx(0.49), pytest.approx(0.01))),
    ([("max", 50, PASS), ("max_increase_pct", 200, PASS)], 1.8, (pytest.approx(5.4), pytest.approx(3.6))),
    ([("unchanged", True, PASS)], 3.0, (None, None)),  # a flag rule draws no line
    ([("max_drop", 0.01, NO_BASELINE)], None, (None, None)),
])
def test_the_trend_threshold_is_the_limit_the_gate_lets_the_metric_reach(rules, old, expected):
    from mlgate.report.render import gate_threshold

    assert gate_threshold(gate("m", PASS, old, 0.9, rules)) == expected


def test_a_change_and_a_rule_never_wrap_inside_a_narrow_table():
    report = render_exact(make_result())
    row = next(line for line in report.splitlines() if line.startswith("| ❌ | `accuracy`"))
    assert f"| −0.0175{NBSP}worse | ≥{NBSP}0.9 · drop{NBSP}≤{NBSP}0.01 |" in row  # breaks only between rules


def test_long_kpi_names_stay_one_copyable_span_and_text_values_are_cut_in_the_table():
    slice_gate = gate("predictions.slice.site=east.accuracy", FAIL, 0.97, 0.95, [("max_drop", 0.02, FAIL)],
                      file="eval/predictions.csv")
    fingerprint = gate("model.interface", PASS, "30 inputs #beabd89d · classes 0,1", "30 inputs #beabd89d · classes 0,1",
                       [("unchanged", True, PASS)], file="model")
    report = render(make_result(gates=[slice_gate, fingerprint, gate("f1", PASS, 0.9, 0.91, [("min", 0.5, PASS)])],
                                sections={"predictions": {"n_head": 143}}))
    # a long name in one code span, no zero-width character; alone in the table, its prefix in a row above it
    assert "| | `predictions.slice.` | | | | |\n| ❌ | `site=east.accuracy` |" in report  # no n: a slice has its own
    assert "| `30 inputs #be…` | `30 inputs #be…` |" in report  # 14 characters; whole in All metrics
    assert "| ✅ | `f1` |" in report
    assert "consider `confidence:`" not in report  # the hint is for the whole set's metrics only


def test_no_template_puts_a_markdown_code_span_in_a_details_summary():
    """GitHub renders a <summary> line as HTML, not Markdown: a `code span` there shows its backticks."""
    templates = Path(__file__).resolve().parents[3] / "src" / "mlgate" / "report" / "templates"
    assert len(list(templates.rglob("*.j2"))) >= 2  # the folder the report is rendered from
    offending = []
    for path in sorted(templates.rglob("*.j2")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for summary in re.findall(r"<summary>(.*?)</summary>", line):
                if "| code" in summary or "`" in summary:
                    offending.append(f"{path.relative_to(templates)}:{number}")
    assert offending == []


def test_long_dotted_names_show_their_common_prefix_once_and_read_whole():
    from mlgate.report.cells import name_groups

    names = ["data.train.rows", "data.train.target.share_min", "accuracy",
             "predictions.slice.site=south.accuracy", "predictions.slice.site=west.accuracy",
             "predictions.health.distinct_labels", "model.latency_ratio"]
    groups = name_groups(names)
    assert groups == [("data.train.", "rows"), ("", "target.share_min"), ("", "accuracy"),
                      ("predictions.slice.", "site=south.accuracy"), ("", "site=west.accuracy"),
                      ("predictions.", "health.distinct_labels"), ("", "model.latency_ratio")]
    shown, prefix = [], ""
    for group, rest in groups:  # a group row and its rows always read the whole name
        prefix = group or (prefix if shown and shown[-1].startswith(prefix) and prefix else "")
        shown.append(prefix + rest if prefix and (prefix + rest) in names else rest)
    assert shown == names
    assert all(len(rest) <= 24 for _, rest in groups)


def test_a_gate_table_of_long_names_uses_no_zero_width_character_and_stays_whole():
    names = ["predictions.slice.site=south.accuracy", "predictions.slice.site=west.accuracy"]
    report = render_exact(make_result(gates=[gate(n, PASS, 0.9, 0.91, [("max_drop", 0.02, PASS)]) for n in names]))
    assert not re.search(ZERO_WIDTH, report)
    assert "| | `predictions.slice.` | | | | |\n| ✅ | `site=south.accuracy` |" in report
    assert_tables_whole(report)


def class_sections(head, base, labels=("benign", "malignant")):
    cells = [[[head[i][j], base[i][j]] for j in range(2)] for i in range(2)]
    return {
        "predictions": {"flips": {"paired": True, "right_to_wrong": 1, "wrong_to_right": 0, "right_to_wrong_ids": ["7"],
                                  "wrong_to_right_ids": [],
                                  "confusion": {"classes": [0, 1], "head": head, "base": base,
                                                "diff": [[h - b for h, b in zip(hr, br)] for hr, br in zip(head, base)]}},
                        "calibration": {"positive": 1, "bins": 2, "head": {"brier": 0.1, "ece": 0.1, "table": []}}},
        "plots": {"plots": [{"id": "eval/plots/confusion.csv", "kind": "confusion", "template": "confusion",
                             "title": "Confusion matrix", "status": "changed", "labels": list(labels), "cells": cells,
                             "normalized": False, "classes_hidden": 0, "shifts": [], "x_label": "predicted",
                             "head_total": sum(map(sum, head)), "base_total": sum(map(sum, base)),
                             "y_label": "actual"}], "changed": 1, "total": 1, "images_changed": []},
    }


def test_each_class_has_one_name_where_the_report_holds_the_mapping():
    from mlgate.report.render import class_names

    result = make_result(sections=class_sections([[87, 3], [7, 46]], [[89, 1], [5, 48]]))
    assert class_names(result) == {"0": "benign", "1": "malignant"}
    report = render(result)
    assert "| actual ＼ predicted | `benign` | `malignant` |" in report and "| **malignant** | 7 (+2) | 46 (−2) |" in report
    assert "probability of `malignant`" in report
    assert "· classes `0` = `benign`, `1` = `malignant` (the confusion plot's counts match the predictions')" in report
    # the plot's labels in the other order still match the same way
    swapped = class_sections([[87, 3], [7, 46]], [[89, 1], [5, 48]])
    swapped["plots"]["plots"][0].update(labels=["malignant", "benign"],
                                        cells=[[[46, 48], [7, 5]], [[3, 1], [87, 89]]])
    assert class_names(make_result(sections=swapped)) == {"0": "benign", "1": "malignant"}


@pytest.mark.parametrize(("head", "base"), [
    ([[50, 5], [5, 50]], [[50, 5], [5, 50]]),  # symmetric counts: either order matches, so no name is sure
    ([[87, 3], [7, 46]], [[80, 3], [7, 53]]),  # the plot's counts are not the predictions': not the same classes
])
def test_no_class_names_when_the_mapping_is_not_certain(head, base):
    from mlgate.report.render import class_names

    sections = class_sections(head, [[50, 5], [5, 50]])
    sections["predictions"]["flips"]["confusion"]["base"] = base
    assert class_names(make_result(sections=sections)) == {}
    assert "probability of `1`" in render(make_result(sections=sections))



def test_without_mlgate_yaml_a_direction_is_read_wherever_the_name_says_it():
    # dvclive's roc_auc.test names its metric before the split (mlgate init reads it so); camelCase is words too
    metrics = {"eval/metrics.json": {"roc_auc.test": {"old": 0.90, "new": 0.80}, "valLoss": {"old": 0.3, "new": 0.2},
                                     "test.step": {"old": 1, "new": 2}}}
    report = render(no_config_result(metrics=metrics))
    assert report.splitlines()[1] == ("## 📊 mlgate — no mlgate.yaml: 1 metric better and 1 worse by their names' "
                                      "direction, 1 more changed")
    assert "| `roc_auc.test` | 0.9000 | 0.8000 | −0.1000 worse |" in report
    assert "| `valLoss` | 0.3000 | 0.2000 | −0.1000 better |" in report


def test_a_tiny_percentage_change_keeps_its_first_digit_beside_its_word():
    # avg_prec.train 0.99989 -> 0.99979 under max_drop_pct: "0.0% worse" would read as no change called worse
    tiny = gate("avg_prec.train", PASS, 0.99989, 0.99979, [("max_drop_pct", 2, PASS)])
    report = render(make_result(gates=[tiny]))
    assert "| ✅ | `avg_prec.train` | 0.9999 | 0.9998 | −0.01% worse |" in report
