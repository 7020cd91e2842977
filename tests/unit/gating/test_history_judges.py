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


def test_the_best_level_is_not_averaged_with_a_slide_the_head_continues():
    # 16 runs at 0.9 (noise about 0.0035), then three recorded runs sliding down 0.004 a step, and a head
    # 0.016 down. In main's history alone the slid runs are too few to be a level of their own, so its one
    # level (all 19 runs) is dragged down by them; with the head's run appended they part from the level, and
    # the best level is the mean of the runs before them (the first slid run, 0.896, is within noise of it).
    from mlgate.gating.history import best_levels, noise_model

    noise = [0.003, -0.004, 0.001, 0.005, -0.002, -0.005, 0.002, 0.0, -0.003, 0.004, -0.001, 0.002, 0.001,
             -0.003, 0.004, -0.002]
    slide = [0.9 + e for e in noise] + [0.9 - 0.004 * (i + 1) for i in range(3)]
    head = 0.9 - 0.016
    _, plain = noise_model(slide)
    assert [(p.start, p.end) for p in plain] == [(0, 19)]
    _, with_head = best_levels(slide, head)
    assert [(p.start, p.end) for p in with_head] == [(0, 17), (17, 19)]
    best = max(with_head, key=lambda s: s.level)
    assert best.level == pytest.approx(float(np.mean(slide[:17]))) and best.level > plain[0].level
    gate = _gate("{max_drop_from_best: 0.006, confidence: 0.95}", slide, head)
    record = gate.rules[0].interval
    assert (record["reference"], record["reference_runs"]) == (pytest.approx(best.level), 17)


def test_a_head_at_the_level_leaves_the_best_level_the_whole_history():
    from mlgate.gating.history import best_levels

    _, parts = best_levels(NOISY, float(np.mean(NOISY)))
    assert [(p.start, p.end) for p in parts] == [(0, len(NOISY))]


def test_one_lucky_last_run_is_not_a_best_level_of_its_own():
    # main's last run happens to be high, and the head is far below: with the head appended, the finder can
    # pair that last run with the head as a level; one run of main's is not a level, so it rejoins the one
    # before, and the best level is the mean of all main's runs, not that run's luck
    from mlgate.gating.history import best_levels

    history = [*NOISY[:-1], float(np.mean(NOISY)) + 0.008]
    head = float(np.mean(NOISY)) - 0.03
    _, parts = best_levels(history, head)
    assert [(p.start, p.end) for p in parts] == [(0, len(history))]
    gate = _gate("{max_drop_from_best: 0.02, confidence: 0.95}", history, head)
    record = gate.rules[0].interval
    assert record["reference_runs"] == len(history)
    assert record["reference"] == pytest.approx(float(np.mean(history)))
