"""How a gate judged on main's history reads: past its margin, the noise forgives it or it does not, and the
report says which (history gates made through gates.evaluate, as in tests/unit/gating/test_history_judges)."""

from __future__ import annotations

import numpy as np

from mlgate.report.history_notes import history_reading, noise_statement
from mlgate.report.intervals import interval_cell
from tests.unit.gating.test_history_judges import NOISY, _gate

LEVEL = float(np.mean(NOISY))


def test_a_drop_past_the_margin_but_within_noise_says_so_in_the_row():
    gate = _gate("{max_drop: 0.002, confidence: 0.95}", NOISY, LEVEL - 0.004)
    (rule,) = gate.rules
    assert gate.status == "pass"
    assert "; the head is 0.0040 below it, beyond the 0.002 allowed, but within noise" in history_reading(gate, rule)
    assert interval_cell(gate) == "\u00a0(within\u00a0noise)"  # and the drop itself is within noise too


def test_a_drop_past_the_margin_and_the_noise_fails_and_says_both():
    gate = _gate("{max_drop_pct_from_best: 1, confidence: 0.95}", NOISY, LEVEL - 0.03)
    (rule,) = gate.rules
    assert gate.status == "fail"
    assert "below it, more than the 1% allowed and the noise" in history_reading(gate, rule)
    assert interval_cell(gate) == ""


def test_a_real_drop_within_the_margin_adds_nothing():
    gate = _gate("{max_drop: 0.02, confidence: 0.95}", NOISY, LEVEL - 0.012)  # beyond the noise, not the margin
    (rule,) = gate.rules
    assert gate.status == "pass" and rule.interval["significant"]
    assert history_reading(gate, rule).split(" · ")[0].endswith("; the head is 0.0120 below it")
    assert interval_cell(gate) == ""


def test_a_real_drop_the_noise_forgives_past_the_margin_is_not_called_within_noise_in_the_cell():
    gate = _gate("{max_drop: 0.01, confidence: 0.95}", NOISY, LEVEL - 0.014)  # the drop is real, its excess is not
    (rule,) = gate.rules
    assert gate.status == "pass" and rule.interval["significant"]
    assert "0.0140 below it, beyond the 0.01 allowed, but within noise" in history_reading(gate, rule)
    assert interval_cell(gate) == ""


def test_the_ratchet_s_noise_says_it_is_between_neighbouring_runs():
    # the two history gates of one metric state two estimates of its noise; the ratchet's names its own
    per_pr = _gate("{max_drop: 0.01, confidence: 0.95}", NOISY, LEVEL)
    ratchet = _gate("{max_drop_from_best: 0.01, confidence: 0.95}", NOISY, LEVEL)
    assert "history of 20 runs: noise ±" in history_reading(per_pr, per_pr.rules[0])
    assert "between neighbouring runs" not in history_reading(per_pr, per_pr.rules[0])
    assert "noise ±0.00" in history_reading(ratchet, ratchet.rules[0])
    assert " between neighbouring runs; a drop below " in history_reading(ratchet, ratchet.rules[0])


def test_the_noise_statement_repeats_why_a_rule_was_judged_on_the_number_alone():
    few = _gate("{max_drop: 0.0, confidence: 0.95}", NOISY[:6], NOISY[5] - 0.001)
    assert noise_statement(few, few.rules[0]) == "6 recorded runs, fewer than 8: judged on the number alone"
    off = _gate("{max_drop: 0.0, confidence: 0.95}", [], 0.89, base=0.9, ledger="false")
    assert noise_statement(off, off.rules[0]) == "no history read, baseline.ledger is false: judged on the number alone"


def test_the_trend_draws_a_noise_gate_s_line_where_a_run_would_fail_not_at_the_plain_threshold():
    from mlgate.report.render import render
    from tests.unit.report.test_report import make_result

    gate = _gate("{max_drop: 0.002, confidence: 0.95}", NOISY, LEVEL - 0.004)
    iv = gate.rules[0].interval
    limit = iv["reference"] - 0.002 - iv["detectable"]  # main's level, past the margin and the noise
    history = [[f"{i:07x}", v] for i, v in enumerate(NOISY)]
    report = render(make_result(gates=[gate], trend={f"{gate.file}:{gate.key}": history},
                                context={"pr_number": 3, "trend_ref": "main"}))
    assert f"· threshold {limit:.4f}" in report
    assert f"· threshold {gate.old - 0.002:.4f}" not in report  # the base run minus the margin: what a plain rule fails at
    assert "red line = the gate's threshold (for a gate judged on main's noise: main's level past the margin and the " \
           "noise, where a run fails)." in report
    plain = _gate("{max_drop: 0.002}", NOISY, LEVEL - 0.004)
    report = render(make_result(gates=[plain], trend={f"{plain.file}:{plain.key}": history},
                                context={"pr_number": 3, "trend_ref": "main"}))
    assert f"· threshold {plain.old - 0.002:.4f}" in report and "red line = the gate's threshold.\n" in report


def test_a_deterministic_history_says_it_has_no_noise_rather_than_noise_zero():
    steps = [0.9] * 10 + [0.92] * 6 + [0.915] * 4  # a pipeline with fixed seeds: each level repeats exactly
    drop = _gate("{max_drop: 0.0, confidence: 0.95}", steps, 0.914)
    assert drop.status == "fail"
    assert noise_statement(drop, drop.rules[0]) == ("history of 20 runs: no run-to-run noise (each level repeats "
                                                    "exactly), so any drop past the margin counts as it is")
    low = _gate("{min: 0.916, confidence: 0.95}", steps, 0.915)
    assert low.status == "fail"
    assert noise_statement(low, low.rules[0]).endswith("so the threshold counts as it is")
