"""KPI gates: pure evaluation of the rules in mlgate.yaml against the head and the baseline.

No I/O. Each KPI selector becomes one gate per metric it matches; each rule on it yields a RuleOutcome;
the gate's status is the worst of them, softened to ``warn`` when the KPI's severity is ``warn``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from mlgate.config.schema import Config, Kpi
from mlgate.errors import ConfigError
from mlgate.gating import compare
from mlgate.gating.rules import FAIL, NO_BASELINE, PASS, RULES
from mlgate.gating.selectors import match
from mlgate.gating.snapshot import Snapshot

WARN, SKIPPED = "warn", "skipped"
NOT_JUDGED = "not_judged"  # a rule on a metric that is missing

# judge(file, key, rule, threshold, kpi): a rule judged another way (on a confidence interval, see
# mlgate.families.predictions.family), or None for the plain comparison.
Judge = Callable[[str | None, str, str, float, Kpi], "RuleOutcome | None"]


@dataclass
class RuleOutcome:
    rule: str
    threshold: Any  # a number, or True for a flag rule (unchanged)
    status: str  # pass | fail | no_baseline
    message: str
    interval: dict[str, Any] | None = None  # set by statistical rules


@dataclass
class GateOutcome:
    kpi: str  # the selector as written in mlgate.yaml
    file: str | None
    key: str
    severity: str
    status: str  # pass | fail | warn | skipped | no_baseline
    message: str
    old: Any = None
    new: Any = None
    diff: float | None = None
    pct: float | None = None
    higher_is_better: bool | None = None
    rules: list[RuleOutcome] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.key if self.kpi == self.key or "*" in self.kpi or not self.file else self.kpi

    @property
    def blocking_failure(self) -> bool:
        return self.status == FAIL

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GateOutcome:
        data = dict(data)
        data["rules"] = [RuleOutcome(**r) for r in data.get("rules", [])]
        return cls(**data)


def evaluate(
    config: Config, head: Snapshot, base: Snapshot | None, *, source: str = "mlgate.yaml", judge: Judge | None = None
) -> list[GateOutcome]:
    """All gates, in mlgate.yaml order. Raises ConfigError for a selector that matches nothing anywhere.

    `judge` may take over a rule (statistical gates); where it returns None the plain comparison applies.
    """
    keys: dict[str, set[str]] = {}
    for side in (head, base):
        for path, values in (side.metrics if side else {}).items():
            keys.setdefault(path, set()).update(values)
    gates: list[GateOutcome] = []
    for selector, kpi in config.kpis.items():
        found = match(selector, keys, source=source)
        if not found:
            if kpi.optional:
                gates.append(_skipped(selector, kpi, "not found in any metrics file; optional"))
                continue
            if head.errors:
                failed = ", ".join(sorted(head.errors))
                gates.append(_missing(selector, None, selector, kpi, f"not found; metrics that failed to load: {failed}"))
                continue
            family = family_without_base(selector, head, base)
            if family:  # e.g. model.latency_ratio: measured against the base's model, which this run lacks
                gates.append(GateOutcome(
                    kpi=selector, file=None, key=selector, severity=kpi.severity, status=NO_BASELINE,
                    message=f"not measured: the {family}.* figures against the base need the base's files",
                    higher_is_better=kpi.higher_is_better, rules=_unjudged(kpi, "no baseline")))
                continue
            known = sorted(k for values in keys.values() for k in values)
            listing = ", ".join(known[:12]) + (" …" if len(known) > 12 else "")
            raise ConfigError(
                f"{source}: kpis.{selector}: matches no metric (known: {listing or 'none'}); "
                "fix the name, qualify it as 'file:key', or add 'optional: true'"
            )
        for path, key in found:
            gates.append(evaluate_one(selector, kpi, path, key, head, base, judge=judge))
    return gates


def family_without_base(selector: str, head: Snapshot, base: Snapshot | None) -> str | None:
    """The metric family a selector names (``model`` for ``model.latency_ratio``) when the head has that
    family's metrics and the base has none of them: a comparison metric could not be measured."""
    pattern = selector.rpartition(":")[2]
    prefix = pattern.split(".", 1)[0]
    if "." not in pattern or "*" in prefix:
        return None

    def has(snap: Snapshot | None) -> bool:
        return snap is not None and any(k.startswith(prefix + ".") for keys in snap.metrics.values() for k in keys)

    return prefix if has(head) and not has(base) else None


def evaluate_one(
    selector: str, kpi: Kpi, path: str, key: str, head: Snapshot, base: Snapshot | None, *, judge: Judge | None = None
) -> GateOutcome:
    head_values = head.metrics.get(path, {})
    if key not in head_values:
        if kpi.optional:
            return _skipped(selector, kpi, f"not in {path} at the head; optional", path, key)
        why = head.errors.get(path)
        reason = f"{path} failed to load: {why}" if why else f"missing from {path} at the head"
        new_keys = sorted(set(head_values) - set(base.metrics.get(path, {}) if base else ()))
        similar = [] if why else _similar(key, new_keys)
        if similar:
            reason += f"; did you mean {similar[0]!r}, new at the head? Rename the KPI in mlgate.yaml"
        return _missing(selector, path, key, kpi, reason, old=_base_value(base, path, key))
    new = head_values[key]
    old = _base_value(base, path, key)
    outcomes = [
        (judge and compare.is_number(new) and not math.isnan(new) and judge(path, key, rule, threshold, kpi))
        or _rule(rule, threshold, old, new, base is not None)
        for rule, threshold in kpi.rules()
    ]
    failed = [o for o in outcomes if o.status == FAIL]
    if failed:
        status = WARN if kpi.severity == "warn" else FAIL
        message = "; ".join(dict.fromkeys(o.message for o in failed))  # a NaN fails every rule alike
    elif all(o.status == SKIPPED for o in outcomes):  # a judge left every rule unjudged (a slice too small)
        status, message = SKIPPED, outcomes[0].message
    elif all(o.status == NO_BASELINE for o in outcomes):
        status, message = NO_BASELINE, outcomes[0].message
    else:
        status, message = PASS, "; ".join(dict.fromkeys(o.message for o in outcomes if o.status == PASS))
    diff = compare.numeric_diff(old, new)
    rel = compare.relative_change(old, new)
    return GateOutcome(
        kpi=selector, file=path, key=key, severity=kpi.severity, status=status, message=message,
        old=old, new=new, diff=diff, pct=None if rel is None else rel * 100,
        higher_is_better=kpi.higher_is_better, rules=outcomes,
    )


def not_judged(selector: str, kpi: Kpi, reason: str) -> GateOutcome:
    """A KPI this command cannot judge (a pipeline metric for compare-predictions): listed, never a pass."""
    return _skipped(selector, kpi, reason)


def verdict(gates: list[GateOutcome]) -> str:
    return FAIL if any(g.blocking_failure for g in gates) else PASS


def _base_value(base: Snapshot | None, path: str, key: str) -> Any:
    return None if base is None else base.metrics.get(path, {}).get(key)


def _skipped(selector: str, kpi: Kpi, message: str, path: str | None = None, key: str | None = None) -> GateOutcome:
    return GateOutcome(kpi=selector, file=path, key=key or selector, severity=kpi.severity, status=SKIPPED,
                       message=message, higher_is_better=kpi.higher_is_better, rules=_unjudged(kpi, message))


def _missing(selector: str, path: str | None, key: str, kpi: Kpi, message: str, old: Any = None) -> GateOutcome:
    status = WARN if kpi.severity == "warn" else FAIL
    return GateOutcome(kpi=selector, file=path, key=key, severity=kpi.severity, status=status, message=message,
                       old=old, higher_is_better=kpi.higher_is_better, rules=_unjudged(kpi, message))


def _unjudged(kpi: Kpi, message: str) -> list[RuleOutcome]:
    """The KPI's rules, kept on a gate whose metric is missing, so the report still shows what was asked."""
    return [RuleOutcome(rule=rule, threshold=threshold, status=NOT_JUDGED, message=message)
            for rule, threshold in kpi.rules()]


def _rule(rule: str, threshold: Any, old: Any, new: Any, have_base: bool) -> RuleOutcome:
    status, message = RULES[rule].check(old, new, threshold, have_base)
    return RuleOutcome(rule=rule, threshold=threshold, status=status, message=message)


def _similar(key: str, candidates: list[str]) -> list[str]:
    """New keys that look like a renamed `key`: one holds the other (f1 → f1_score), or they are close."""
    leaf = key.rsplit(".", 1)[-1].lower()
    holding = [c for c in candidates if leaf in c.lower() or c.rsplit(".", 1)[-1].lower() in leaf]
    return holding[:1] or difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)


def combine_judges(judges: Sequence[Judge | None]) -> Judge | None:
    """One judge asking each family's in turn; the first that decides a rule wins."""
    present = [j for j in judges if j is not None]
    if not present:
        return None

    def judge(file: str | None, key: str, rule: str, threshold: float, kpi: Any) -> Any:
        for one in present:
            outcome = one(file, key, rule, threshold, kpi)
            if outcome is not None:
                return outcome
        return None

    return judge
