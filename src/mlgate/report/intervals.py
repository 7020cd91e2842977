"""How a statistically judged rule reads in the report: report filters over ``RuleOutcome.interval``.

Everything here is built from numbers and fixed words (no user text), and is light to import (no
numpy). The interval record is written by ``mlgate.families.predictions.family.interval_record``.
"""

from __future__ import annotations

import math
from typing import Any

from mlgate.gating.gates import FAIL, GateOutcome, RuleOutcome
from mlgate.gating.rules import describe_rule
from mlgate.text.numbers import confidence_pct, fixed, interval_digits, number_format


def interval_cell(gate: GateOutcome) -> str:
    """' (within noise)' after the Δ of a gate whose change an interval could not tell from noise. (A change
    past a history rule's margin that the noise forgave is a real change: the row's reading says so.)"""
    for rule in gate.rules:
        iv = rule.interval
        if iv and iv.get("of") in ("diff", "history") and not iv.get("plain") and not iv.get("significant"):
            return "\u00a0(within\u00a0noise)"
    return ""


def interval_rules(gates: list[GateOutcome]) -> list[tuple[GateOutcome, RuleOutcome]]:
    """Every (gate, rule) judged on an interval, in the report's gate order."""
    return [(g, r) for g in gates for r in g.rules if r.interval and r.interval.get("of") in PREDICTION_KINDS]


PREDICTION_KINDS = ("head", "diff")  # records from per-example predictions; "history"/"best": mlgate.report.history_notes


def rule_label(rule: RuleOutcome) -> str:
    return describe_rule(rule.rule, rule.threshold)


def interval_reading(gate: GateOutcome, rule: RuleOutcome) -> str:
    """The reading in plain words, numbers in the metric's format:
    'fell by 0.0250 (95 % interval −0.0325 … −0.0170, 2,000 paired examples): more than the 0.01 allowed'."""
    iv = rule.interval or {}
    fmt = number_format(gate.old, gate.new)
    digits = fmt.decimals if fmt.kind == "fixed" else 4  # the table's decimals, unless they hide the interval's width
    if fixed(iv["low"], digits) == fixed(iv["high"], digits):
        digits = interval_digits(iv["low"], iv["high"], iv["value"])
    conf = f"{confidence_pct(iv['confidence'])} %"
    t = f"{rule.threshold:g}" + ("%" if rule.rule.endswith("_pct") else "")
    n = _examples(iv)
    if iv.get("of") == "head":
        where = f"{fixed(iv['value'], digits)} ({conf} interval {fixed(iv['low'], digits)} … {fixed(iv['high'], digits)}, {n})"
        bound = "minimum" if rule.rule == "min" else "maximum"
        if rule.status == FAIL:
            return f"{where}: {'below' if bound == 'minimum' else 'above'} the {bound} {t}"
        if iv.get("significant"):
            return f"{where}: {'above' if bound == 'minimum' else 'below'} the {bound} {t}"
        return f"{where}: within noise of the {bound} {t}"
    value = iv["value"]
    went = "fell" if value < 0 else ("rose" if value > 0 else "did not move")
    amount = "" if value == 0 else f" by {fixed(abs(value), digits)}"
    where = f"{went}{amount} ({conf} interval {fixed(iv['low'], digits, sign=True)} … {fixed(iv['high'], digits, sign=True)}, {n})"
    worse = (value < 0) == rule.rule.startswith("max_drop")
    if rule.status == FAIL:
        return f"{where}: more than the {t} allowed"
    if not iv.get("significant"):
        return f"{where}: within noise"
    if worse:
        return f"{where}: a real {'drop' if value < 0 else 'rise'}, within the {t} allowed"
    return f"{where}: a real improvement"


def _examples(iv: dict[str, Any]) -> str:
    if iv.get("of") == "head" or iv.get("method", "").startswith("fixed_base"):
        return f"{iv.get('n_head', 0):,} examples"
    if iv.get("paired"):
        return f"{iv.get('n_paired', 0):,} paired examples"
    return f"{iv.get('n_head', 0):,} examples against {iv.get('n_base', 0):,}"


def interval_details(rule: RuleOutcome) -> str:
    """How the interval was made, in a few words: 'resampling the examples; McNemar's test p < 0.0001'."""
    iv = rule.interval or {}
    method = str(iv.get("method") or "")
    how = "DeLong's method" if "delong" in method else "resampling the examples"
    if iv.get("test_text") and iv.get("p_value") is not None:
        how += f"; {iv['test_text']} p {_p(iv['p_value'])}"
    return how


def problem_text(gate: GateOutcome) -> str:
    """What went wrong, in plain words: an interval's reading where a failing rule has one, else the message."""
    from mlgate.text.markdown import text

    readings = [interval_reading(gate, r) for r in gate.rules
                if r.interval and r.interval.get("of") in PREDICTION_KINDS and r.status == FAIL]
    return "; ".join(readings) if readings else text(gate.message)


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
    "interval_reading": interval_reading,
    "problem_text": problem_text,
    "rule_label": rule_label,
}
