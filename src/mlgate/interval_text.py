"""How a statistically judged rule reads in the report: report filters over ``RuleOutcome.interval``.

Everything here is built from numbers and fixed words (no user text), and is light to import (no
numpy). The interval record is written by ``mlgate.families.predictions.interval_record``.
"""

from __future__ import annotations


import math
from typing import Any

from mlgate.gates import GateOutcome, RuleOutcome, describe_rule
from mlgate.number_text import confidence_pct, fixed, interval_digits


def interval_cell(gate: GateOutcome) -> str:
    """' [−0.0251, −0.0102] (95 %), significant' after the Δ of a gate whose drop/rise rule has an interval."""
    for rule in gate.rules:
        iv = rule.interval
        if iv and iv.get("of") == "diff":
            digits = interval_digits(iv["low"], iv["high"], iv["value"])
            word = "significant" if iv.get("significant") else "within noise"
            return (f" [{fixed(iv['low'], digits, sign=True)}, {fixed(iv['high'], digits, sign=True)}]"
                    f" ({confidence_pct(iv['confidence'])} %), {word}")
    return ""


def interval_rules(gates: list[GateOutcome]) -> list[tuple[GateOutcome, RuleOutcome]]:
    """Every (gate, rule) judged on an interval, in the report's gate order."""
    return [(g, r) for g in gates for r in g.rules if r.interval]


def rule_label(rule: RuleOutcome) -> str:
    return describe_rule(rule.rule, rule.threshold)


def interval_details(rule: RuleOutcome) -> str:
    """'paired bootstrap (multinomial counts) · McNemar exact p = 0.0004 · 5,000 paired'."""
    iv = rule.interval or {}
    parts = [str(iv.get("method_text") or iv.get("method") or "")]
    if iv.get("test_text") and iv.get("p_value") is not None:
        parts.append(f"{iv['test_text']} p {_p(iv['p_value'])}")
    if iv.get("of") == "head":
        parts.append(f"{iv.get('n_head', 0):,} rows")
    elif iv.get("paired"):
        parts.append(f"{iv.get('n_paired', 0):,} paired")
    elif iv.get("method", "").startswith("fixed_base"):
        parts.append(f"{iv.get('n_head', 0):,} head rows")
    else:
        parts.append(f"unpaired: {iv.get('n_head', 0):,} head and {iv.get('n_base', 0):,} base rows")
    return " · ".join(p for p in parts if p)


def _p(p: float) -> str:
    if not isinstance(p, (int, float)) or math.isnan(p):
        return "= —"
    if p < 0.0001:
        return "< 0.0001"
    return f"= {p:.2g}" if p < 0.01 else f"= {p:.2f}"


FILTERS: dict[str, Any] = {
    "interval_cell": interval_cell,
    "interval_rules": interval_rules,
    "interval_details": interval_details,
    "rule_label": rule_label,
}
