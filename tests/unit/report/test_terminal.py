"""terminal: the verdict table fits the terminal, in the report's order, each rule once."""

from __future__ import annotations

import re

import pytest
from test_report import HEAD_SHA, gate, make_result

from mlgate.gating.gates import FAIL, PASS
from mlgate.report.terminal import clip, verdict_table
from mlgate.result import Revision


@pytest.mark.parametrize("width", [60, 80, 100, 160])
def test_every_line_fits_the_terminal(width):
    long = gate("per_class.a_really_long_class_name_for_testing.recall_at_the_top_decile", FAIL, 0.9, 0.5,
                [("min", 0.7, FAIL)], message="0.5000, below the minimum 0.7")
    result = make_result(gates=[long, *make_result().gates])
    lines = verdict_table(result, width).splitlines()
    assert all(len(line) <= width for line in lines), [line for line in lines if len(line) > width]
    if width <= 100:  # the name cut in its middle, marked: its start and its end stay
        assert any(re.search(r" pe\S*…\S*decile ", line) for line in lines), lines


def test_rows_follow_the_reports_order_and_state_each_rule_once():
    lines = verdict_table(make_result(), 120).splitlines()
    marks = [line.split()[0] for line in lines[2:] if line.startswith("  ") and not line.startswith("  warning")]
    assert marks == ["FAIL", "warn", "n/a", "pass", "pass", "skip"]
    accuracy = next(line for line in lines if " accuracy " in line)
    assert accuracy.endswith("−0.0175 worse   drop 0.0175 > 0.01")  # the failing rule's message, not the rules again
    f1 = next(line for line in lines if " f1 " in line)
    assert f1.endswith("+0.0005 better  ≥ 0.9")
    assert "  skip  slices.*.recall: optional: no metric matched" in lines


def test_comparing_a_commit_with_itself_is_said_plainly():
    result = make_result(base=Revision(ref="main", sha=HEAD_SHA))
    assert "  head feature/deeper-trees @ 3f2a9c1 compared with itself: no changes" in verdict_table(result, 100)


def test_clip_cuts_at_a_word_and_marks_the_cut():
    assert clip("fell by 0.0175, more than the 0.01 allowed", 20, at_word=True) == "fell by 0.0175…"
    assert clip("short", 20) == "short"
    assert clip("abcdefghij", 5) == "abcd…"


def test_long_names_keep_their_end_and_distinct_rows_stay_distinct_at_100_columns():
    columns = ["mean_radius", "mean_area", "mean_perimeter", "worst_radius", "worst_area", "worst_perimeter",
               "radius_error", "area_error", "texture_error", "mean_texture", "worst_texture"]
    names = [f"data.test.reference_drift.{c}.psi" for c in columns]
    names += [f"predictions.slice.site={s}.accuracy" for s in ("north", "south", "west")]
    gates = [gate(n, PASS, 0.91, 0.92, [("max_drop", 0.02, PASS)], message="ok drop within the 0.02 allowed")
             for n in names]
    lines = verdict_table(make_result(gates=gates, verdict="pass"), 100).splitlines()
    rows = [line for line in lines if line.startswith("  pass  ")]
    shown = [row.split()[1] for row in rows]
    assert len(rows) == len(names) and len(set(shown)) == len(names), shown  # no two rows read alike
    assert all(len(line) <= 100 for line in lines)
    for name, cut in zip(names, shown):
        assert cut == name or ("…" in cut and name.endswith(cut.split("…")[-1])), (name, cut)  # the end kept
    assert any(cut.endswith("=south.accuracy") for cut in shown)


def test_names_that_differ_only_in_the_middle_still_read_apart():
    from mlgate.report.terminal import short_names

    names = [f"model.layer_{i}.weights_norm_of_the_attention_block_output" for i in (1, 2, 3)]
    shown = short_names(names, 24)
    assert len(set(shown.values())) == 3 and all(len(v) <= 24 for v in shown.values()), shown
    assert all(f"_{i}." in shown[n] for i, n in zip((1, 2, 3), names)), shown


def test_the_verdict_line_of_a_run_without_mlgate_yaml_is_not_a_pass():
    from test_report import no_config_result

    lines = verdict_table(no_config_result(), 100).splitlines()
    assert lines[0] == "mlgate: no mlgate.yaml: 1 metric better and 2 worse by their names' direction, 1 more changed"
    assert "PASS" not in lines[0]


def test_the_verdict_line_of_a_run_whose_gates_were_not_judged_is_not_a_pass():
    from mlgate.gating.gates import NO_BASELINE

    result = make_result(verdict="pass", gates=[gate("roc_auc", NO_BASELINE, None, 0.99, [("max_drop", 1, NO_BASELINE)])])
    assert verdict_table(result, 100).splitlines()[0] == "mlgate: NOT JUDGED — no KPI gate judged: 1 without a baseline"


def test_the_verdict_line_of_an_errored_run_says_error():
    result = make_result(verdict="error", error="eval/metrics.json: cannot be read at the head")
    assert verdict_table(result, 100).splitlines()[0] == "mlgate: ERROR — the run could not be completed"


def test_a_long_verdict_line_wraps_at_a_word_and_keeps_its_counts() -> None:
    """In a narrow terminal the verdict's counts are not cut off: the line wraps at a word, indented."""
    from mlgate.report.verdict import verdict_line

    r = make_result(config_path=None, gates=[], verdict="pass")
    verdict = f"mlgate: {verdict_line(r)}"
    assert len(verdict) > 60  # the case this test is about
    lines = verdict_table(r, width=60).splitlines()
    wrapped = [lines[0]] + [line for line in lines[1:] if line.startswith("  ") and not line.startswith("  head")][:1]
    assert " ".join(w.strip() for w in wrapped).startswith(verdict)
    assert all(len(line) <= 60 for line in lines[:2]) and "…" not in lines[0]


def test_a_change_within_noise_reads_whole_at_100_columns():
    # the history gates' gate from a real evaluation: its Δ cell is "−0.1% within noise", kept whole
    from tests.unit.gating.test_history_judges import NOISY, _gate

    judged = _gate("{max_drop_pct: 2, confidence: 0.95}", NOISY, NOISY[-1] * 0.997)
    row = next(line for line in verdict_table(make_result(gates=[judged]), 100).splitlines() if " acc " in line)
    assert re.search(r"  −0\.\d% within noise  drop ≤ 2% \(95 %\)$", row), row
