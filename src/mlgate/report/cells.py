"""One cell of a table, as the report and the terminal both write it: a metric's number in its format, a
signed change with its better/worse word, a gate's rule, why it was skipped, its icon, a long name's prefix row."""

from __future__ import annotations

import math
import os
from typing import Any

from mlgate.gating import compare
from mlgate.gating.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, GateOutcome
from mlgate.gating.rules import describe_rule
from mlgate.report.intervals import interval_cell
from mlgate.text.markdown import code
from mlgate.text.metric_names import guess_higher_is_better
from mlgate.text.numbers import MINUS, NO_CHANGE, NumberFormat, number_format, percent

NBSP = "\u00a0"  # keeps a Δ ("−0.0420 worse") and a rule ("drop ≤ 0.01") on one line in a narrow table


_ICONS = {FAIL: "❌", WARN: "⚠️", PASS: "✅", NO_BASELINE: "➖", SKIPPED: "⏭️"}


def signed(size: float, f: NumberFormat, higher_is_better: bool | None) -> str:
    """A shift of level: '−0.0200 worse' (the sign is the change's; the word, by the gate's direction)."""
    word = judgement(size, higher_is_better)
    return f"{f.change(0.0, size)}{NBSP}{word}" if word else str(f.change(0.0, size))


NAME_CHARS = 24  # a longer KPI or metric name shows its common prefix once, in a row above (760 px)


def name_prefix(name: str, limit: int = NAME_CHARS) -> str:
    """The part of one long dotted name a table shows in a row of its own: all but its last two parts
    ('predictions.slice.' of 'predictions.slice.site=east.accuracy'), or the first of three; '' for a name
    short enough to show whole, or with too few parts to split."""
    parts = name.split(".")
    if len(name) <= limit or len(parts) < 3 or not all(parts):
        return ""
    return ".".join(parts[: len(parts) - 2 if len(parts) > 3 else 1]) + "."


def _shared(a: str, b: str) -> str:
    """The dotted prefix two names share: 'predictions.slice.' of '…slice.site=east.accuracy' and '…slice.x.f1'."""
    common = os.path.commonprefix([a, b])
    return common[: common.rfind(".") + 1]


def name_groups(names: list[Any], limit: int = NAME_CHARS) -> list[tuple[str, str]]:
    """For each name of a table, in order: the prefix to show in a row above it ('' for none, or where the row
    above already shows it) and the rest, which its row shows. Consecutive names sharing a dotted prefix form a
    group, split only when one of them is longer than `limit`; a long name alone loses its `name_prefix`.
    Group row and row together always read the whole name; nothing is cut."""
    names = [str(n) for n in names]
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(names):
        prefix = _shared(names[i], names[i + 1]) if i + 1 < len(names) else ""
        if prefix and i + 2 < len(names) and len(_shared(names[i + 1], names[i + 2])) > len(prefix):
            prefix = ""  # the next name belongs with the one after it
        end = i + 1
        while prefix and end < len(names) and names[end].startswith(prefix):
            end += 1
        group = names[i:end]
        prefix = prefix or name_prefix(names[i], limit)
        if not any(len(n) > limit for n in group) or any(n == prefix for n in group):
            prefix = ""
        out += [(prefix if k == 0 else "", n[len(prefix):]) for k, n in enumerate(group)]
        i = end
    return out


def kpi(name: Any) -> str:
    """A KPI's name as one code span, exactly as mlgate.yaml and the result JSON spell it (copied, it selects the
    same metric): no zero-width character inside, so it never wraps at its dots into two pills."""
    return code(name)


def fmt(row: Any) -> NumberFormat:
    """The number format of a gate's or a diff entry's metric, decided from its values on both sides."""
    values = (row.old, row.new) if isinstance(row, GateOutcome) else (row.get("old"), row.get("new"))
    return number_format(*values)


digits = fmt  # the name report templates written for mlgate 0.1 use


def num(value: Any, places: NumberFormat | int | None = None, clip: int | None = None) -> str:
    """A value as its metric reads everywhere: `places` is the metric's format (`fmt`), or a number of decimals.

    A metric's or a param's value goes through its format (integers as they are, to be copied); a count
    in prose or a section (no format given) reads with thousands separators: 12,480 rows.
    """
    if value is None:
        return "—"
    if isinstance(value, bool) or not compare.is_number(value):
        shown = " ".join(str(value).split())
        return code(shown if clip is None or len(shown) <= clip else shown[: clip - 1] + "…")
    if isinstance(places, NumberFormat):
        return places.value(value)
    if isinstance(value, int):
        return f"{value:,}".replace("-", MINUS)
    if isinstance(places, int):
        return NumberFormat("fixed", places).value(value)
    return number_format(value).value(value)


def delta(row: Any, places: NumberFormat | int | None = None, higher_is_better: bool | None = None) -> str:
    """'+0.0014 better', '+172% worse', '−0.0008 within noise', '±0' (no change, or float noise below the shown
    precision), 'same' / 'changed' (text values), '—' (a side missing).

    The sign is the sign of the change; the word after it is the judgement by the metric's direction (a gate's,
    or the one its rules imply, else `higher_is_better`, else a guess from the name), none when it is unknown. A
    gate with a percentage rule shows the change in percent, every other row in the metric's own unit: one
    convention a row.
    """
    if isinstance(row, GateOutcome):
        old, new = row.old, row.new
        direction = gate_direction(row)
        in_percent = any(r.rule.endswith("_pct") for r in row.rules)
        noise = bool(interval_cell(row))
    else:
        old, new = row.get("old"), row.get("new")
        direction = higher_is_better
        in_percent = noise = False
    f = places if isinstance(places, NumberFormat) else number_format(old, new)
    if compare.is_number(old) and compare.is_number(new):
        if math.isnan(new) or math.isnan(old):
            return "NaN at the head" if math.isnan(new) and not math.isnan(old) else (
                "NaN at the base" if math.isnan(old) and not math.isnan(new) else "NaN")
        diff = compare.numeric_diff(old, new)
        if diff is not None and math.isinf(diff):
            return _judged(("+" if diff > 0 else MINUS) + "∞", judgement(diff, direction))
    change = f.change(old, new)
    if change is None and old is not None and new is not None:  # text (a fingerprint, a schema): same or not
        return "same" if old == new else "changed"
    if change is None:
        return "—"
    if change == NO_CHANGE:
        return NO_CHANGE
    rel = compare.relative_change(old, new)
    body = percent(rel * 100) if in_percent and rel is not None else change
    return _judged(body, "within noise" if noise else judgement(compare.numeric_diff(old, new), direction))


def _judged(body: str, word: str) -> str:
    return f"{body}{NBSP}{word.replace(' ', NBSP)}" if word else body  # no-break: a Δ cell never wraps at 760 px


def judgement(diff: float | None, higher_is_better: bool | None) -> str:
    """'better' or 'worse' by the metric's direction; '' when the direction is unknown or nothing moved."""
    if diff is None or higher_is_better is None or diff == 0 or math.isnan(diff):
        return ""
    return "better" if (diff > 0) == higher_is_better else "worse"


def gate_direction(g: GateOutcome) -> bool | None:
    """Which way is better for a gate's metric: its KPI's direction, else the one its rules imply (a floor or a
    drop limit: higher; a ceiling or a rise limit: lower), else a guess from its name."""
    if g.higher_is_better is not None:
        return g.higher_is_better
    implied = {r.rule in ("min", "max_drop", "max_drop_pct") for r in g.rules
               if r.rule in ("min", "max", "max_drop", "max_drop_pct", "max_increase", "max_increase_pct")}
    return implied.pop() if len(implied) == 1 else guess_higher_is_better(g.key)


def direction(path: str, key: str, known: dict[str, bool | None]) -> bool | None:
    """A metric's direction: its KPI's when gated, else a guess from its name."""
    given = known.get(f"{path}:{key}")
    return given if given is not None else guess_higher_is_better(key)


def rule_text(gate: GateOutcome) -> str:
    """Each rule once: '≥ 0.9 · drop ≤ 0.01 (95 %) · warn'."""
    parts = []
    for rule in gate.rules:
        piece = describe_rule(rule.rule, rule.threshold)
        if rule.interval and rule.interval.get("confidence"):
            piece += f" ({rule.interval['confidence'] * 100:.10g} %)"
        if rule.status == NO_BASELINE:
            piece += " (no baseline)"
        parts.append(piece)
    if not parts:
        parts.append("present" if gate.status != SKIPPED else "optional")
    if gate.severity == "warn":
        parts.append("warn")
    return " · ".join(dict.fromkeys(p.replace(" ", NBSP) for p in parts))  # wraps between rules, never inside one


def skip_reason(gate: GateOutcome) -> str:
    """Why a gate was not judged, in a few words."""
    message = gate.message or ""
    if "not found in any metrics file" in message:
        return "optional: no metric matched"
    return message or "optional"


def seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def icon(status: str) -> str:
    return _ICONS.get(status, "")


def entry_status(entry: dict[str, Any]) -> str:
    return compare.entry_status(entry)


def finite(value: Any) -> float | None:
    if not compare.is_number(value) or not math.isfinite(value):
        return None
    return float(value)
