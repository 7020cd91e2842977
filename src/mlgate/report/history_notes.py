"""How a gate judged on the ledger history reads in the report: report filters over ``RuleOutcome.interval``
records of ``of`` = ``history`` (the noise band) or ``best`` (the ratchet), written by mlgate.gating.history;
and the same statement of the noise for the predictions-based gates, from the interval of their eval set.

Everything is built from numbers, commit ids and fixed words (no user text); light to import.
"""

from __future__ import annotations

from typing import Any, cast

from mlgate.gating.gates import GateOutcome, RuleOutcome
from mlgate.text.numbers import confidence_pct, number_format

HISTORY_KINDS = ("history", "best")


def history_rules(gates: list[GateOutcome]) -> list[tuple[GateOutcome, RuleOutcome]]:
    """Every (gate, rule) judged on the ledger history, in the report's gate order."""
    return [(g, r) for g in gates for r in g.rules if r.interval and r.interval.get("of") in HISTORY_KINDS]


def _word(rule: RuleOutcome) -> str:
    return "drop" if "drop" in rule.rule else ("rise" if "increase" in rule.rule else "change")


def _short(sha: Any) -> str:
    return f"`{str(sha)[:7]}`" if isinstance(sha, str) and sha.isalnum() else "?"


def noise_statement(gate: GateOutcome, rule: RuleOutcome) -> str:
    """'history of 20 runs: noise ±0.0040; a drop below 0.0110 cannot be told from noise (95 %)', or
    '6 recorded runs, fewer than 8: judged on the number alone'."""
    iv = rule.interval or {}
    runs = iv.get("runs", 0)
    if iv.get("plain"):
        if iv.get("confidence") is None:
            return f"history of {runs} run{'s' if runs != 1 else ''}, no confidence level: the best single run"
        if iv.get("said"):  # the judge's own words
            return str(iv["said"])
        return (f"{runs} recorded run{'s' if runs != 1 else ''}, fewer than {iv.get('min_history')}: "
                "judged on the number alone")  # a result written before the judge recorded them
    fmt = number_format(gate.old, gate.new, iv.get("reference"))
    conf = f"{confidence_pct(iv['confidence'])} %"
    if not iv.get("noise"):  # a deterministic pipeline: every level repeats to the last digit
        what = "the threshold" if rule.rule in ("min", "max") else f"any {_word(rule)} past the margin"
        return f"history of {runs} runs: no run-to-run noise (each level repeats exactly), so {what} counts as it is"
    between = " between neighbouring runs" if iv.get("of") == "best" else ""  # the ratchet's own estimate
    noise = f"history of {runs} runs: noise ±{fmt.amount(iv.get('noise', 0.0))}{between}"
    if rule.rule in ("min", "max"):
        bound = "minimum" if rule.rule == "min" else "maximum"
        return f"{noise}; a value within {fmt.amount(iv.get('detectable', 0.0))} of the {bound} cannot be told from it ({conf})"
    return f"{noise}; a {_word(rule)} below {fmt.amount(iv.get('detectable', 0.0))} cannot be told from noise ({conf})"


def reference_text(gate: GateOutcome, rule: RuleOutcome) -> str:
    """What the head was judged against: 'best level 0.9312, the mean of 6 runs `abc1234` … `def5678`, 4 entries
    back; the head is 0.0123 below it'."""
    iv = rule.interval or {}
    if "reference" not in iv:
        return ""
    fmt = number_format(gate.old, gate.new, iv["reference"])
    ref = fmt.value(iv["reference"])
    runs = iv.get("reference_runs", 1)
    if runs == 1:
        where = f"at {_short(iv.get('reference_from'))}"
    else:
        where = f"the mean of {runs} runs {_short(iv.get('reference_from'))} … {_short(iv.get('reference_to'))}"
    back = iv.get("entries_back", 0)
    if iv.get("of") == "best":
        what = "best run" if iv.get("plain") else "best level"
        ago = f", {back} ledger entr{'y' if back == 1 else 'ies'} before the base" if back else ", the latest"
        head = f"{what} {ref}, {where}{ago}" if runs > 1 else f"{what} {ref} {where}{ago}"
    else:
        head = f"against main's level {ref}, {where}"
    value = iv.get("value")
    if isinstance(value, int | float) and not isinstance(value, bool) and gate.new is not None:
        if fmt.same(iv["reference"], gate.new):
            head += "; the head is level with it"
        else:
            head += f"; the head is {fmt.amount(abs(value))} {'below' if value < 0 else 'above'} it"
        head += beyond_margin(rule)
    return head


def beyond_margin(rule: RuleOutcome) -> str:
    """', beyond the 2% allowed, but within noise (0.0066)' when a drop/rise rule's change passed its margin
    and the noise forgave it, ', more than the 2% allowed and the noise (0.0066)' when it failed: the judge's
    own words (mlgate.gating.history records them); '' within the margin."""
    words = (rule.interval or {}).get("past_margin")
    return f", {words}" if isinstance(words, str) and words else ""


def history_reading(gate: GateOutcome, rule: RuleOutcome) -> str:
    """The noise statement and the reference, in one line."""
    parts = [reference_text(gate, rule), noise_statement(gate, rule)]
    return " · ".join(p for p in parts if p)


def detectable_text(gate: GateOutcome, rule: RuleOutcome) -> str:
    """For a rule judged on per-example predictions: the smallest change its eval set can tell from noise,
    from the interval's half-width: 'a drop below 0.0123 cannot be told from noise with 1,000 examples'."""
    iv = rule.interval or {}
    low, high = iv.get("low"), iv.get("high")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high)):
        return ""
    half = (cast(float, high) - cast(float, low)) / 2  # both numbers: checked above
    fmt = number_format(gate.old, gate.new)
    n = iv.get("n_paired") or iv.get("n_head") or 0
    examples = f"{n:,} {'paired ' if iv.get('paired') else ''}examples"
    if iv.get("of") == "head":
        bound = "minimum" if rule.rule == "min" else "maximum"
        return f"{examples}: a value within {fmt.amount(half)} of the {bound} cannot be told from it"
    return f"{examples}: a {_word(rule)} below {fmt.amount(half)} cannot be told from noise"


FILTERS: dict[str, Any] = {
    "history_rules": history_rules,
    "history_reading": history_reading,
    "detectable_text": detectable_text,
}
