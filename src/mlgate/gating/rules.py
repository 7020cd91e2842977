"""The rule registry: every KPI rule (``min``, ``max_drop``, ``unchanged`` …) defined once.

Each rule says what it is (name, kind, the direction it implies, a description), how it reads in the
report's gate column, its plain check on two values, and how it is decided on a confidence interval
(``interval``; None = it cannot be, and config validation refuses ``confidence`` on it). Config
validation (mlgate.config.schema declares one ``Kpi`` field per rule, and a unit test holds those fields to this
table), the gates, the statistical decision (mlgate.stats.decision) and the report all read it: adding a rule
is a change here and a field on ``Kpi``.

No I/O, nothing heavy imported.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, Literal, TypeGuard

from mlgate.text.numbers import number_format

PASS, FAIL, NO_BASELINE = "pass", "fail", "no_baseline"
# Float noise must not flip a gate: 0.9561 - 0.9461 is 0.010000000000000009, which is a drop of 0.01.
TOLERANCE = 1e-9

# judged on the head alone | head against base | head equals base | head against the best recent level (the
# ratchet: decided by mlgate.gating.history from the default branch's ledger history, never by the plain check)
Kind = Literal["value", "change", "same", "best"]
Interval = Literal["head_min", "head_max", "diff_drop", "diff_rise"]


@dataclass(frozen=True)
class Rule:
    name: str
    kind: Kind
    better: Literal["higher", "lower"] | None  # the direction the rule implies for its metric
    description: str
    symbol: str  # the gate column: "≥ {t}"; {t} is the threshold
    interval: Interval | None  # how a confidence interval decides it; None: it cannot be
    percent: bool = False  # the threshold is a percentage of the base value
    flag: bool = False  # takes `true` (or the shorthand `key: name`) instead of a number

    @property
    def needs_base(self) -> bool:
        return self.kind != "value"

    def describe(self, threshold: Any) -> str:
        return self.symbol.format(t=_g(threshold) if not self.flag else "")

    def check(self, old: Any, new: Any, threshold: Any, have_base: bool) -> tuple[str, str]:
        """(status, message) of the plain comparison; the message says what happened."""
        if self.kind == "same":
            return _check_same(self, old, new, have_base)
        if not is_number(new):
            return FAIL, f"value {_show(new)} is not a number"
        if math.isnan(new):
            return FAIL, "NaN at the head"
        if self.kind == "best":  # reached only without a ledger history to take the best from
            return NO_BASELINE, f"{self.describe(threshold)}: no ledger history of the default branch"
        if self.kind == "value":
            shown = number_format(old, new).value(new)  # as the report's row shows it
            if self.name == "min":
                ok = new >= threshold
                return (PASS, f"{shown}, at least {_g(threshold)}") if ok else (FAIL, f"{shown}, below the minimum {_g(threshold)}")
            ok = new <= threshold
            return (PASS, f"{shown}, at most {_g(threshold)}") if ok else (FAIL, f"{shown}, above the maximum {_g(threshold)}")
        text = self.describe(threshold)
        if not have_base:
            return NO_BASELINE, f"{text}: no baseline"
        if old is None:
            return NO_BASELINE, f"{text}: not in the baseline"
        if not is_number(old) or math.isnan(old):
            return NO_BASELINE, f"{text}: baseline value {_show(old)} is not a number"
        return _check_change(self, float(old), float(new), float(threshold))


def _check_change(rule: Rule, old: float, new: float, threshold: float) -> tuple[str, str]:
    """The message says what happened, in the metric's own format (the report's row beside it):
    'improved by 0.0140', 'fell by 0.0175, more than the 0.01 allowed', 'fell 28.9%', 'no change'."""
    watch_drop = rule.better == "higher"
    worse = (old - new) if watch_drop else (new - old)  # positive = got worse
    if math.isinf(old) or math.isinf(new):
        worse = 0.0 if old == new else worse
    fmt = number_format(old, new)
    went = "fell" if new < old else "rose"
    t = _g(threshold)
    if not rule.percent:
        slack = TOLERANCE * (max(1.0, abs(old)) if math.isfinite(old) else 1.0)  # inf slack would pass anything
        ok = worse <= threshold + slack
        if abs(worse) <= slack or fmt.same(old, new):  # float noise below the shown precision is no change
            return (PASS if ok else FAIL), "no change"
        amount = fmt.amount(abs(new - old)) if math.isfinite(worse) else "∞"
        if worse < 0:
            return PASS, f"improved by {amount}"
        return (PASS if ok else FAIL), f"{went} by {amount}, {'within' if ok else 'more than'} the {t} allowed"
    word = "drop" if watch_drop else "rise"
    if old == 0:
        ok = worse <= 0
        return (PASS if ok else FAIL), f"baseline is 0: {'no ' + word if ok else f'any {word} is an infinite percentage'}"
    if math.isinf(old):  # a percentage of an infinite baseline is undefined (inf / inf)
        ok = worse <= 0
        return (PASS if ok else FAIL), f"baseline is {_g(old)}: {'no ' + word if ok else f'any {word} from it has no percentage'}"
    pct = worse / abs(old) * 100
    ok = pct <= threshold + TOLERANCE * 100
    if abs(pct) <= TOLERANCE * 100 or fmt.same(old, new):
        return (PASS if ok else FAIL), "no change"
    moved = f"{went} {_pct(abs(pct))}"
    if pct < 0:
        return PASS, moved
    return (PASS if ok else FAIL), f"{moved}, {'within' if ok else 'more than'} the {t}% allowed"


def _pct(value: float) -> str:
    return f"{value:.0f}%" if value >= 100 else f"{value:.1f}%"


def _check_same(rule: Rule, old: Any, new: Any, have_base: bool) -> tuple[str, str]:
    if not have_base:
        return NO_BASELINE, "unchanged: no baseline"
    if old is None:
        return NO_BASELINE, "unchanged: not in the baseline"
    if new == old or (is_number(new) and is_number(old) and math.isclose(new, old, rel_tol=TOLERANCE)):
        return PASS, "unchanged"
    return FAIL, f"changed from {_show(old)} to {_show(new)}"


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        Rule("min", "value", None, "the head's value is at least the threshold", "≥ {t}", "head_min"),
        Rule("max", "value", None, "the head's value is at most the threshold", "≤ {t}", "head_max"),
        Rule("max_drop", "change", "higher", "the value falls by at most the threshold", "drop ≤ {t}", "diff_drop"),
        Rule("max_drop_pct", "change", "higher", "the value falls by at most this percentage of the base",
             "drop ≤ {t}%", "diff_drop", percent=True),
        Rule("max_increase", "change", "lower", "the value rises by at most the threshold", "rise ≤ {t}", "diff_rise"),
        Rule("max_increase_pct", "change", "lower", "the value rises by at most this percentage of the base",
             "rise ≤ {t}%", "diff_rise", percent=True),
        Rule("max_drop_from_best", "best", "higher", "the value falls by at most the threshold below the best "
             "recent level on the default branch", "drop from best ≤ {t}", "diff_drop"),
        Rule("max_drop_pct_from_best", "best", "higher", "the value falls by at most this percentage below the "
             "best recent level on the default branch", "drop from best ≤ {t}%", "diff_drop", percent=True),
        Rule("max_increase_from_best", "best", "lower", "the value rises by at most the threshold above the best "
             "recent level on the default branch", "rise from best ≤ {t}", "diff_rise"),
        Rule("max_increase_pct_from_best", "best", "lower", "the value rises by at most this percentage above the "
             "best recent level on the default branch", "rise from best ≤ {t}%", "diff_rise", percent=True),
        Rule("unchanged", "same", None, "the head's value equals the base's (a schema, an interface)",
             "unchanged", None, flag=True),
    )
}
NAMES = tuple(RULES)


def describe_rule(rule: str, threshold: Any) -> str:
    """The gate column's text for a rule: ``drop ≤ 0.01``."""
    return RULES[rule].describe(threshold)


def is_number(value: Any) -> TypeGuard[float]:
    """A float, or an int within float range (math.isnan(10**400) raises OverflowError); never a bool."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= sys.float_info.max
    return isinstance(value, float)


def _g(value: Any) -> str:
    return f"{value:.4g}" if is_number(value) else str(value)


def _show(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else _g(value)
    return text if len(text) <= 60 else text[:57] + "…"
