"""Whatever main's ledger holds for a metric, the history judges decide or say why not, and the report renders
it: property tests over odd histories (a recorded value may be any JSON a run wrote, or a hostile note).

Each example builds ledger hits in memory (the same LedgerHit objects the ledger returns), judges one gate
through `gates.evaluate` as `mlgate run` does, then renders the report; nothing may raise, every number a
judge records is finite, and a failing gate's head really is past the limit it records."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlgate.config.load import parse_config
from mlgate.edges.ledger import LedgerHit
from mlgate.gating import gates
from mlgate.gating.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN
from mlgate.gating.history import judges
from mlgate.gating.snapshot import Snapshot
from mlgate.report.render import render
from tests.unit.report.test_report import make_result

FILE = "metrics.json"
RULES = ["{max_drop: 0.01, confidence: 0.95}", "{max_drop_pct: 2, confidence: 0.99}",
         "{max_increase: 0.5, confidence: 0.95}", "{min: 0.5, confidence: 0.95}", "{max: 10, confidence: 0.9}",
         "{max_drop_from_best: 0.02, confidence: 0.95}", "{max_increase_pct_from_best: 5, confidence: 0.95}",
         "{max_drop_from_best: 0.0}", "{max_drop: 0, max_drop_from_best: 0.01, confidence: 0.95}"]

recorded = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e-12, max_value=1e-12), st.floats(min_value=1e8, max_value=1e12),
    st.integers(-10**20, 10**20), st.sampled_from([10**400, -10**400]), st.booleans(), st.none(), st.text(max_size=4),
    st.sampled_from([0.9, 0.9, 0.9, 0.91, 0.95]),  # quantised and constant stretches, as a fixed seed gives
)
head_value = st.one_of(st.floats(allow_nan=False, allow_infinity=False, width=32), st.sampled_from([0.0, 0.9, -1.0]))


def _limit_side(rule: str, limit: float, new: float) -> bool:
    """The head is on the failing side of the recorded limit (or at it, within float tolerance)."""
    slack = 1e-9 * max(1.0, abs(limit))
    low = rule == "min" or rule.startswith("max_drop")
    return new <= limit + slack if low else new >= limit - slack


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=st.lists(recorded, min_size=0, max_size=30), head=head_value, base=st.one_of(st.none(), recorded),
       rules=st.sampled_from(RULES), window=st.integers(3, 30), min_history=st.integers(3, 30))
def test_any_history_is_judged_or_said_why_and_renders(history, head, base, rules, window, min_history):
    min_history = min(min_history, window)
    config = parse_config(f"version: 1\nbaseline: {{window: {window}, min_history: {min_history}}}\n"
                          f"kpis:\n  acc: {rules}\n", "mlgate.yaml")
    hits = [LedgerHit(f"{i + 1:040x}", len(history) - i, {"metrics": {FILE: {"acc": v}}})
            for i, v in enumerate(history)][-window:]
    head_snap = Snapshot({FILE: {"acc": head}})
    base_snap = None if base is None else Snapshot({FILE: {"acc": base}})
    (gate,) = gates.evaluate(config, head_snap, base_snap, judge=judges(config, hits, head_snap, base_snap, []))
    assert gate.status in (PASS, FAIL, WARN, NO_BASELINE, SKIPPED)
    for rule in gate.rules:
        iv = rule.interval or {}
        for key in ("noise", "detectable", "reference", "limit", "low", "high", "margin"):
            value = iv.get(key)
            assert value is None or (isinstance(value, float | int) and math.isfinite(value)), (key, iv)
        if rule.status == FAIL and iv.get("limit") is not None:
            assert _limit_side(rule.rule, iv["limit"], head), (rule, iv)
    report = render(make_result(gates=[gate], trend={f"{FILE}:acc": [[h.sha[:7], h.entry["metrics"][FILE]["acc"]]
                                                                     for h in hits]}))
    assert report.startswith("<!-- mlgate:report")
