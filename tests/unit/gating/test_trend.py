"""The trend: sparklines, the Mermaid xychart, and the KPI series taken from ledger hits."""

from __future__ import annotations

import math
import re

import pytest

from mlgate.edges.ledger import LedgerHit
from mlgate.gating.trend import kpi_series
from mlgate.report.charts import BLOCKS, FLAT, GAP, mermaid_xychart, sparkline, trend_range

# Mermaid's xychart lexer: numbers have no exponent, strings have no escapes.
MERMAID_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$")
COMMENT_BUDGET = 65_536


def sha(i: int) -> str:
    return f"{i:040x}"


def chart_parts(block: str) -> dict[str, str]:
    """The chart's statements by keyword, after checking the fence and the header."""
    lines = block.rstrip("\n").split("\n")
    assert lines[0] == "```mermaid" and lines[-1] == "```" and lines[2] == "xychart-beta"
    assert lines[1].startswith("%%{init:") and lines[1].endswith("}%%")  # the line's colour, nothing else
    body = [ln.strip() for ln in lines[3:-1]]
    assert all("`" not in ln for ln in body)
    return {ln.split(" ", 1)[0]: ln.split(" ", 1)[1] for ln in body}


def numbers(text: str) -> list[float]:
    tokens = [t.strip() for t in text.strip("[]").split(",")]
    assert all(MERMAID_NUMBER.match(t) for t in tokens), tokens
    return [float(t) for t in tokens]


def y_axis_range(text: str) -> tuple[float, float]:
    low, high = text.rsplit(" ", 3)[-3], text.rsplit(" ", 1)[-1]
    assert text.rsplit(" ", 2)[-2] == "-->"
    assert MERMAID_NUMBER.match(low) and MERMAID_NUMBER.match(high)
    return float(low), float(high)


def categories(x_axis: str) -> list[str]:
    inside = x_axis[x_axis.index("[") + 1 : x_axis.rindex("]")]
    items = [item.strip() for item in inside.split(",")]
    assert all(item.startswith('"') and item.endswith('"') and item.count('"') == 2 for item in items)
    return [item.strip('"') for item in items]


# ---- sparkline -------------------------------------------------------------------------------


def test_sparkline_scales_from_lowest_to_highest_block() -> None:
    line = sparkline([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    assert line == BLOCKS
    assert sparkline([0.5, 0.1, 0.9]) == BLOCKS[4] + BLOCKS[0] + BLOCKS[-1]


def test_sparkline_shows_missing_values_as_gaps_in_place() -> None:
    line = sparkline([0.1, None, math.nan, 0.3, math.inf])
    assert line == BLOCKS[0] + GAP + GAP + BLOCKS[-1] + GAP


def test_values_too_large_for_a_charts_arithmetic_are_gaps_not_a_crash() -> None:
    huge = -1.4980776123852633e308  # finite, but any span or padding around it overflows (found by hypothesis)
    assert sparkline([0.5, huge, 0.6, 10**400]) == BLOCKS[0] + GAP + BLOCKS[-1] + GAP
    chart = mermaid_xychart("acc", [("a1", 0.5), ("b2", huge)], head=("this PR", 0.6), threshold=-huge)
    assert "line [0.5, 0.6]" in chart and "e+308" not in chart
    assert trend_range([0.5, huge, 0.6], threshold=huge, margin=huge) == trend_range([0.5, 0.6])


def test_sparkline_of_a_flat_series_is_a_level_row() -> None:
    assert sparkline([0.93, 0.93, 0.93]) == FLAT * 3
    assert sparkline([2.0]) == FLAT


def test_sparkline_of_nothing_plottable() -> None:
    assert sparkline([]) == ""
    assert sparkline([None, math.nan]) == GAP * 2


# ---- mermaid_xychart -------------------------------------------------------------------------


def test_chart_with_one_point_is_a_bar_inside_the_axis_range() -> None:
    block = mermaid_xychart("accuracy", [("abc1234", 0.9561)], "accuracy")
    parts = chart_parts(block)
    assert "line" not in parts
    assert numbers(parts["bar"]) == [0.9561]
    assert categories(parts["x-axis"]) == ["abc1234"]
    low, high = y_axis_range(parts["y-axis"])
    assert low < 0.9561 < high


def test_chart_with_two_points_is_a_line_labelled_by_commit() -> None:
    parts = chart_parts(mermaid_xychart("f1", [("aaaaaaa", 0.96), ("bbbbbbb", 0.97)], "f1"))
    assert numbers(parts["line"]) == [0.96, 0.97]
    assert categories(parts["x-axis"]) == ["aaaaaaa", "bbbbbbb"]
    low, high = y_axis_range(parts["y-axis"])
    assert low < 0.96 and high > 0.97
    assert parts["title"] == '"f1"'


def test_chart_with_thirty_points_numbers_the_axis_and_names_the_ends() -> None:
    points = [(sha(i)[:7], 0.90 + 0.001 * i) for i in range(30)]
    block = mermaid_xychart("accuracy on main", points, "accuracy")
    parts = chart_parts(block)
    assert numbers(parts["line"]) == pytest.approx([v for _, v in points])
    assert categories(parts["x-axis"]) == [str(i) for i in range(1, 31)]
    assert points[0][0] in parts["x-axis"] and points[-1][0] in parts["x-axis"]
    low, high = y_axis_range(parts["y-axis"])
    assert low < 0.90 and high > 0.929
    # Several KPIs' charts fit the sticky-comment budget with room for the rest of the report.
    assert len(block) * 10 < COMMENT_BUDGET // 2


def test_chart_leaves_out_missing_points_and_is_empty_when_none_remain() -> None:
    parts = chart_parts(mermaid_xychart("m", [("a", 1.0), ("b", None), ("c", math.nan), ("d", 3.0)], "m"))
    assert numbers(parts["line"]) == [1.0, 3.0]
    assert categories(parts["x-axis"]) == ["a", "d"]
    assert mermaid_xychart("m", [("a", None), ("b", math.nan)], "m") == ""
    assert mermaid_xychart("m", [], "m") == ""


def test_chart_escapes_quotes_backticks_and_newlines_in_text() -> None:
    block = mermaid_xychart('acc "best" ```\nx-axis [evil] %% c', [("a1", 1.0), ('b"2', 2.0)], 'y "label"')
    parts = chart_parts(block)
    assert parts["title"].count('"') == 2 and parts["title"].startswith('"acc ')
    assert "%%" not in block.split("\n", 2)[2]  # no user text can open a directive; line 1 is our own theme
    assert categories(parts["x-axis"]) == ["a1", "b'2"]
    assert parts["y-axis"].count('"') == 2
    assert block.count("\n") == 8  # fence, theme, header, 4 statements, fence


def test_chart_of_a_flat_series_has_a_non_empty_range() -> None:
    parts = chart_parts(mermaid_xychart("flat", [("a", 0.5), ("b", 0.5), ("c", 0.5)], "v"))
    low, high = y_axis_range(parts["y-axis"])
    assert low < 0.5 < high
    parts = chart_parts(mermaid_xychart("zeros", [("a", 0.0), ("b", 0.0)], "v"))
    low, high = y_axis_range(parts["y-axis"])
    assert low <= 0.0 < high


def test_chart_keeps_tiny_and_huge_values_distinct_without_exponents() -> None:
    parts = chart_parts(mermaid_xychart("t", [("a", 0.9561001), ("b", 0.9561002)], "t"))
    values = numbers(parts["line"])
    assert values[0] < values[1]
    low, high = y_axis_range(parts["y-axis"])
    assert low < values[0] and high > values[1]
    parts = chart_parts(mermaid_xychart("t", [("a", 2e-9), ("b", 3.5e12)], "t"))
    assert numbers(parts["line"]) == [2e-9, 3.5e12]


def test_chart_axis_stays_non_negative_for_non_negative_data() -> None:
    parts = chart_parts(mermaid_xychart("loss", [("a", 0.01), ("b", 0.5)], "loss"))
    low, _ = y_axis_range(parts["y-axis"])
    assert low == 0.0
    parts = chart_parts(mermaid_xychart("delta", [("a", -1.0), ("b", 1.0)], "delta"))
    low, high = y_axis_range(parts["y-axis"])
    assert low < -1.0 and high > 1.0


# ---- kpi_series ------------------------------------------------------------------------------


def hit(i: int, metrics: object) -> LedgerHit:
    return LedgerHit(sha(i), 0, {"metrics": metrics})


def test_kpi_series_reads_exact_keys_bare_keys_and_marks_missing() -> None:
    hits = [
        hit(1, {"eval/metrics.json:accuracy": 0.9}),
        hit(2, {"eval/metrics.json:f1": 0.8}),
        hit(3, {"eval/metrics.json:accuracy": math.nan}),
        hit(4, {"eval/metrics.json:accuracy": "high"}),
        hit(5, "not a mapping"),
        hit(6, {"a.json:accuracy": 0.1, "b.json:accuracy": 0.2}),
        hit(7, {"eval/metrics.json:accuracy": 1}),
    ]
    assert kpi_series(hits, "eval/metrics.json:accuracy") == [
        (sha(1)[:7], 0.9), (sha(2)[:7], None), (sha(3)[:7], None), (sha(4)[:7], None),
        (sha(5)[:7], None), (sha(6)[:7], None), (sha(7)[:7], 1.0),
    ]  # fmt: skip
    bare = kpi_series(hits, "accuracy")
    assert bare[0] == (sha(1)[:7], 0.9)
    assert bare[5] == (sha(6)[:7], None)  # ambiguous: two files name it
    assert kpi_series(hits[5:6], "b.json:accuracy") == [(sha(6)[:7], 0.2)]


def test_series_feeds_sparkline_and_chart() -> None:
    hits = [hit(i, {"m.json:auc": 0.8 + i / 100}) for i in range(3)]
    points = kpi_series(hits, "auc")
    assert sparkline([v for _, v in points]) == BLOCKS[0] + BLOCKS[4] + BLOCKS[-1]
    assert categories(chart_parts(mermaid_xychart("auc", points, "auc"))["x-axis"]) == [sha(i)[:7] for i in range(3)]


# ---- the trend answers "is this pull request out of line?" ---------------------------------------



def test_one_test_example_of_noise_draws_as_noise_on_the_gates_scale() -> None:
    # 143 test examples: accuracy moves in steps of 1/143 ≈ 0.007; the gate allows a drop of 0.01.
    values = [0.951, 0.958, 0.958, 0.951, 0.951, 0.951, 0.958]
    assert len(set(sparkline(values))) == 2 and sparkline(values)[0] == BLOCKS[0]  # own min..max: █▁██▁▁▁█
    lo, hi = trend_range(values, threshold=0.948, margin=0.01, name="accuracy")
    assert hi - lo >= 0.04  # at least four margins tall
    line = sparkline(values, lo, hi)
    levels = {BLOCKS.index(c) for c in line}
    assert max(levels) - min(levels) <= 2  # one example apart: neighbouring blocks, not bottom and top


def test_a_bounded_metric_stays_inside_0_and_1_and_the_threshold_is_on_the_scale() -> None:
    lo, hi = trend_range([0.999, 1.0, 1.0], threshold=0.99, margin=0.01, name="recall")
    assert hi == 1.0 and lo <= 0.99  # never "recall up to 1.001"
    lo, hi = trend_range([0.5, 0.52], threshold=0.3, name="f1")
    assert lo <= 0.3 <= hi


def test_a_non_negative_metric_gets_no_negative_axis() -> None:
    lo, hi = trend_range([0.001, 0.002], margin=0.01, name="loss")
    assert lo == 0.0 and hi >= 0.04


def test_chart_marks_the_pr_as_the_last_point_and_draws_the_threshold() -> None:
    history = [("aaaaaaa", 0.95), ("bbbbbbb", 0.955), ("ccccccc", 0.951)]
    block = mermaid_xychart("accuracy", history, head=("this PR", 0.94), threshold=0.941, y_range=(0.92, 0.97))
    lines = block.rstrip("\n").split("\n")
    assert lines[1] == ('%%{init: {"xyChart": {"height": 320}, "themeVariables": {"xyChart": '
                        '{"plotColorPalette": "#fb8f44, #0969da, #cf222e"}}}}%%')
    body = [ln.strip() for ln in lines[3:-1]]
    assert body[0] == 'title "accuracy"'
    assert categories(body[1]) == ["aaaaaaa", "bbbbbbb", "ccccccc", "this PR"]
    assert body[2] == "y-axis 0.92 --> 0.97"  # no axis label repeating the title
    bar, history_line, threshold = (numbers(b.split(" ", 1)[1]) for b in body[3:6])
    assert body[3].startswith("bar ") and bar == [0.87, 0.87, 0.87, 0.94]  # only the PR's bar shows (the rest below the axis)
    assert history_line == [0.95, 0.955, 0.951, 0.94]
    assert threshold == [0.941] * 4
