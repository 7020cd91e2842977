"""terminal: the verdict table fits the terminal, in the report's order, each rule once."""

from __future__ import annotations

import re

import pytest

from mlgate.gates import FAIL, PASS
from mlgate.result import Revision
from mlgate.terminal import clip, verdict_table
from test_report import HEAD_SHA, gate, make_result


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
