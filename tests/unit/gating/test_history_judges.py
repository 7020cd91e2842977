"""The history judges through gates.evaluate: the noise band, too little history, the ratchet (pure: ledger hits
made in memory; tests/integration/test_history_gates.py runs the same through `mlgate run` on a real ledger)."""

from __future__ import annotations

import numpy as np
import pytest

from mlgate.config.load import parse_config
from mlgate.edges.ledger import LedgerHit
from mlgate.gating import gates
from mlgate.gating.history import judges
from mlgate.gating.snapshot import Snapshot

FILE = "metrics.json"


def _hits(values, key="acc"):
    return [LedgerHit(f"{i + 1:040x}", len(values) - i, {"metrics": {FILE: {key: float(v)}}})
            for i, v in enumerate(values)]


def _gate(kpis: str, history, head: float, base: float | None = None, **baseline):
    extra = "baseline: {" + ", ".join(f"{k}: {v}" for k, v in baseline.items()) + "}\n" if baseline else ""
    cfg = parse_config(f"version: 1\n{extra}kpis:\n  acc: {kpis}\n", "mlgate.yaml")
    head_snap = Snapshot({FILE: {"acc": head}})
    base_snap = Snapshot({FILE: {"acc": history[-1] if base is None else base}})
    (gate,) = gates.evaluate(cfg, head_snap, base_snap, judge=judges(cfg, _hits(history), head_snap, base_snap, []))
    return gate


NOISY = list(0.9 + np.random.default_rng(0).normal(0, 0.004, 20))


def test_a_drop_within_the_noise_passes_where_the_plain_rule_fails():
    head = float(np.mean(NOISY)) - 0.004
    assert _gate("{max_drop: 0.0}", NOISY, head).status == "fail"
    gate = _gate("{max_drop: 0.0, confidence: 0.95}", NOISY, head)
    assert gate.status == "pass"
    assert "within noise" in gate.message


def test_a_drop_well_beyond_the_noise_fails():
    gate = _gate("{max_drop: 0.0, confidence: 0.95}", NOISY, float(np.mean(NOISY)) - 0.03)
    assert gate.status == "fail"
    assert gate.rules[0].interval["runs"] == 20


def test_a_higher_confidence_needs_a_larger_drop():
    head = float(np.mean(NOISY)) - 0.0065
    at_95 = _gate("{max_drop: 0.0, confidence: 0.95}", NOISY, head).rules[0].interval["detectable"]
    at_99 = _gate("{max_drop: 0.0, confidence: 0.99}", NOISY, head).rules[0].interval["detectable"]
    assert at_99 > at_95


def test_too_little_history_is_judged_on_the_number_alone():
    gate = _gate("{max_drop: 0.0, confidence: 0.95}", NOISY[:6], NOISY[5] - 0.001)
    assert gate.status == "fail"
    assert "6 recorded runs, fewer than 8: judged on the number alone" in gate.message


def test_min_history_is_configurable():
    gate = _gate("{max_drop: 0.0, confidence: 0.95}", NOISY[:6], NOISY[5] - 0.001, min_history=5)
    assert gate.rules[0].interval["plain"] is False


def test_a_rise_rule_on_a_lower_is_better_metric_watches_rises():
    loss = [0.2 + e for e in np.random.default_rng(4).normal(0, 0.01, 20)]
    assert _gate("{max_increase_pct: 0, confidence: 0.95}", loss, float(np.mean(loss)) + 0.08).status == "fail"
    assert _gate("{max_increase_pct: 0, confidence: 0.95}", loss, float(np.mean(loss)) - 0.08).status == "pass"


def test_min_with_confidence_fails_only_beyond_one_run_s_noise():
    assert _gate("{min: 0.9, confidence: 0.95}", NOISY, 0.899).status == "pass"
    assert _gate("{min: 0.9, confidence: 0.95}", NOISY, 0.88).status == "fail"


def test_the_plain_ratchet_compares_with_the_best_single_run():
    gate = _gate("{max_drop_from_best: 0.005}", NOISY, max(NOISY) - 0.006)
    assert gate.status == "fail"
    record = gate.rules[0].interval
    assert record["reference"] == max(NOISY)
    assert record["reference_from"] == f"{NOISY.index(max(NOISY)) + 1:040x}"


def test_the_ratchet_catches_a_slide_each_step_of_which_passes_the_per_pr_rule():
    slide = NOISY[:12] + [v - 0.004 * (i + 1) for i, v in enumerate(NOISY[12:16])]  # four steps down
    head = slide[-1] - 0.004
    gate = _gate("{max_drop: 0.01, max_drop_from_best: 0.01, confidence: 0.95}", slide, head, base=slide[-1])
    by_rule = {r.rule: r.status for r in gate.rules}
    assert by_rule == {"max_drop": "pass", "max_drop_from_best": "fail"}


def test_with_confidence_the_ratchet_uses_the_best_level_not_the_luckiest_run():
    head = float(np.mean(NOISY)) - 0.002
    assert _gate("{max_drop_from_best: 0.005}", NOISY, head).status == "fail"  # the luckiest run is far up
    gate = _gate("{max_drop_from_best: 0.005, confidence: 0.95}", NOISY, head)
    assert gate.status == "pass"
    assert gate.rules[0].interval["reference"] == pytest.approx(float(np.mean(NOISY)))


def test_a_nan_head_fails_the_ratchet():
    gate = _gate("{max_drop_from_best: 0.005}", NOISY, float("nan"))
    assert gate.status == "fail" and gate.message == "NaN at the head"


def test_the_best_level_stands_apart_from_a_slide_main_has_recorded():
    # 16 runs at 0.9 (noise about 0.0035), then four recorded runs 0.012 down (a merged regression), and a
    # head further down: the runs before the slide are the best level, the slid runs a level of their own
    from mlgate.gating.history import noise_model

    noise = [0.003, -0.004, 0.001, 0.005, -0.002, -0.005, 0.002, 0.0, -0.003, 0.004, -0.001, 0.002, 0.001,
             -0.003, 0.004, -0.002]
    slid = [0.9 + e for e in noise] + [0.888 + e for e in (0.001, -0.002, 0.002, -0.001)]
    _, parts = noise_model(slid)
    assert [(p.start, p.end) for p in parts] == [(0, 16), (16, 20)]
    gate = _gate("{max_drop_from_best: 0.006, confidence: 0.95}", slid, 0.884)
    record = gate.rules[0].interval
    assert (record["reference"], record["reference_runs"]) == (pytest.approx(float(np.mean(slid[:16]))), 16)
    assert gate.status == "fail"  # 0.016 below the best level: beyond the margin and the noise
    assert _gate("{max_drop: 0.006, confidence: 0.95}", slid, 0.884).status == "pass"  # main's level is 0.888


def test_the_head_never_moves_the_ratchet_s_reference():
    # the levels come from main's runs alone: a head far below cannot split main's last runs off as a level
    # of their own and make a best level of the rest (a reference the head moved would judge it against itself)
    history = [*NOISY[:14], *(v - 0.004 for v in NOISY[14:])]  # the last six a little low, by chance
    records = [_gate("{max_drop_from_best: 0.002, confidence: 0.95}", history, head).rules[0].interval
               for head in (float(np.mean(history)), float(np.mean(history)) - 0.012, float(np.mean(history)) - 0.05)]
    assert len({(r["reference"], r["reference_runs"], r["noise"]) for r in records}) == 1


def test_a_change_point_only_a_low_first_estimate_let_through_is_dropped():
    # the first spread (a median of a few differences) can come out low by chance, and its penalty then lets
    # pure noise split; the levels are found again with the spread about them when that is larger
    from mlgate.gating.history import noise_model
    from mlgate.stats.change_points import segments
    from mlgate.stats.noise import spread

    rng = np.random.default_rng(7)
    histories = [list(rng.normal(0, 1, 20)) for _ in range(1500)]
    first_split = [h for h in histories if len(segments(h, spread(h).sigma)) > 1]
    kept = [h for h in first_split if len(noise_model(h)[1]) > 1]
    assert len(first_split) >= 8  # about 1 % of pure-noise histories split on the first estimate
    assert len(kept) <= len(first_split) / 2  # the refit drops at least half of those spurious levels


def test_the_refit_keeps_a_real_step():
    from mlgate.gating.history import noise_model

    rng = np.random.default_rng(8)
    found = 0
    for _ in range(200):
        values = rng.normal(0, 1, 30)
        values[15:] += 4.0  # a real step of 4 σ at run 15
        noise, parts = noise_model(list(values))
        found += [p.start for p in parts] == [0, 15]
        assert noise.sigma < 1.5  # the step is a level, not noise
    assert found >= 0.9 * 200


def test_a_slide_in_progress_does_not_widen_the_ratchet_s_noise():
    # 17 runs at 0.9, then three recorded runs 1, 2 and 3 σ down, too few for a level of their own: the spread
    # about the one level's mean counts the slide as noise, the successive differences hardly do
    from mlgate.gating.history import noise_model
    from mlgate.stats.noise import within_levels

    sigma = 0.004
    z = np.random.default_rng(3).normal(0, 1, 17)
    runs = list(0.9 + sigma * (z - z.mean()) / z.std(ddof=1))  # exactly σ about their mean
    slid = [*runs, *(0.9 - k * sigma for k in (1, 2, 3))]
    _, parts = noise_model(slid)
    assert len(parts) == 1  # the slide is not yet a level the finder can tell apart
    record = _gate("{max_drop_from_best: 0.004, confidence: 0.95}", slid, 0.9 - 4 * sigma).rules[0].interval
    about_mean = within_levels(slid, []).sigma
    assert about_mean > 1.15 * within_levels(runs, []).sigma  # the slide inflates the spread about the mean
    assert record["noise"] < 0.9 * about_mean  # the ratchet's noise stays near the runs' own
    assert record["noise"] == pytest.approx(within_levels(runs, []).sigma, rel=0.35)


def test_with_the_ledger_off_a_confidence_rule_says_why_it_is_judged_on_the_number_alone():
    # baseline.ledger: false reads no history (run/gate.recent_history): the row must not blame "0 recorded runs"
    gate = _gate("{max_drop: 0.0, confidence: 0.95}", [], 0.89, base=0.9, ledger="false")
    assert gate.status == "fail"
    assert gate.message.endswith("; no history read, baseline.ledger is false: judged on the number alone")
    assert gate.rules[0].interval["said"] == "no history read, baseline.ledger is false: judged on the number alone"
