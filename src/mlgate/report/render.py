"""Render the Markdown report from a Result with Jinja2, inside a size budget.

Templates live in ``mlgate/report/templates`` (shipped in the wheel). The environment is sandboxed, every
filter is registered in ``_FILTERS`` below, and untrusted text (metric names, param values, branch
names) only enters the report through the ``code`` or ``text`` filters, which make it inert.

The budget: a PR comment holds at most 65,536 characters. When the full report is larger, parts are
trimmed least-important first (the rows of unchanged metrics, the changed metrics' rows past the first 200,
then the trend charts, then more metrics' rows, params rows, passing gate rows, failing ones only when they
alone overflow), whole rows at a time so no table is cut in half, and the report says what was left out.
Before any row goes, every piece of untrusted text is cut to ``CELL_CHARS`` characters, so one huge metric
name cannot empty a table.

A user's template (``report.template``) is the user's input: an error it raises at render time is a
``ConfigError`` naming the template and line; its files must resolve inside the repository (no
symlink out of it); and it is bounded: ``TEMPLATE_SECONDS`` of wall-clock time (``MLGATE_TEMPLATE_SECONDS``),
``OUTPUT_CHARS`` of output, ranges and repetitions as large as the sandbox allows.
"""

from __future__ import annotations

import math
import re
import signal
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.config import settings
from mlgate.config.load import check_template_dir
from mlgate.edges.paths import repository_root, require_inside
from mlgate.errors import ConfigError, MlgateError
from mlgate.families import FAMILIES
from mlgate.gating import compare
from mlgate.gating.gates import FAIL, SKIPPED, WARN, GateOutcome
from mlgate.report.cells import (
    delta,
    digits,
    direction,
    entry_status,
    finite,
    fmt,
    gate_direction,
    icon,
    kpi,
    name_groups,
    num,
    rule_text,
    seconds,
    signed,
    skip_reason,
)
from mlgate.report.charts import FILTERS as PLOT_FILTERS
from mlgate.report.charts import mermaid_xychart, sparkline, trend_range
from mlgate.report.history_notes import FILTERS as HISTORY_FILTERS
from mlgate.report.intervals import FILTERS as INTERVAL_FILTERS
from mlgate.report.marker import COMMENT_LIMIT, marker
from mlgate.report.verdict import heading, is_changed, table_gates
from mlgate.result import Result
from mlgate.text.markdown import code, cut_cells, text
from mlgate.text.numbers import number_format
from mlgate.text.safe import one_line

CELL_CHARS = 200  # untrusted text per cell once the report is over budget
OUTPUT_CHARS = 4 * 1024 * 1024  # what one render may produce before it is stopped
MIN_ROW_CHARS = 16  # the shortest table row, "| `a` | 1 | 2 |": more rows than limit // this can never fit
TEMPLATE_SECONDS = 20.0
TEMPLATE_SECONDS_ENV = "MLGATE_TEMPLATE_SECONDS"
_class_names: ContextVar[dict[str, str]] = ContextVar("class_names", default={})  # noqa: B039 - never changed: read only

_SOURCES = {
    "ledger": "metrics ledger",
    "git": "metrics committed to git",
    "dvc-cache": "metrics in the DVC cache",
    "dvc-remote": "metrics pulled from the DVC remote",
    "committed": "metrics committed at the base",  # result schema 1 and 2
    "reproduced": "base reproduced in a worktree",
    "files": "the champion's prediction log",
    "none": "none",
}
MAX_CHARTS_TRIMMED = 5


def report_marker(report_id: str, head_sha: str | None) -> str:
    return marker(report_id, head_sha[:7] if head_sha else None)




def render(result: Result, *, limit: int = COMMENT_LIMIT, template_dir: Path | None = None) -> str:
    """The report as Markdown, at most `limit` characters. A broken user template is a ConfigError."""
    result = publishable(result)
    if template_dir is not None:
        check_template_dir(template_dir)
    token = _class_names.set(class_names(result))
    try:
        with _time_limit(_template_seconds()):
            return _render(result, limit, template_dir)
    except MlgateError:
        raise
    except _OutOfTime:
        raise ConfigError(
            f"{template_dir or 'report template'}: report template still rendering after {_template_seconds():g} s;"
            f" make it do less work (or raise {TEMPLATE_SECONDS_ENV})"
        ) from None
    except Exception as exc:  # a user template may raise anything: it is the user's input
        if template_dir is None:
            raise  # our own template is broken: a bug, not the user's input
        raise ConfigError(
            f"{_where(exc, template_dir)}: report template failed: {type(exc).__name__}: "
            f"{one_line(' '.join(str(getattr(exc, 'message', None) or exc).split()))[:300]}; "
            "fix the template or remove report.template"
        ) from None
    finally:
        _class_names.reset(token)


def publishable(result: Result) -> Result:
    """The Result with each family section its section template cannot render dropped and said in a
    warning. Every render goes through it: a crafted section in an artifact is bad input, and a family's
    unexpected data costs its section, never the report (or the run)."""
    import dataclasses

    if not result.sections:
        return result
    env = _environment(None)
    context = _Rows(result).context({"metrics": 0, "params": 0, "gates": 0, "unchanged": 0, "charts": 0})
    kept, dropped = {}, []
    for key, section in result.sections.items():
        try:
            env.get_template(f"sections/{key}.md.j2").render(**context, s=section)
        except Exception as exc:  # noqa: BLE001 - whatever the data makes the template raise
            from jinja2 import TemplateNotFound

            if isinstance(exc, TemplateNotFound):
                kept[key] = section  # no template: the report skips it anyway
                continue
            dropped.append(f"the {one_line(key)} section was left out of the report: its data does not have the"
                           f" shape its template expects ({type(exc).__name__})")
        else:
            kept[key] = section
    if not dropped:
        return result
    return dataclasses.replace(result, sections=kept, warnings=(*result.warnings, *dropped))


def _where(exc: BaseException, template_dir: Path) -> str:
    """'templates/report.md.j2:3': the user's template file and line the error came from."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") and frame.lineno:
            return f"{frame.filename}:{frame.lineno}"
    name = getattr(exc, "filename", None)
    line = getattr(exc, "lineno", None)
    return f"{name or template_dir}{f':{line}' if line else ''}"


def _render(result: Result, limit: int, template_dir: Path | None) -> str:
    env = _environment(template_dir)
    template = env.get_template("report.md.j2")
    rows = _Rows(result, limit)
    # Least important first: long cells, the unchanged metrics' rows (their count stays), the changed metrics'
    # rows past the first 200 (gated ones first), the trend charts, then more metrics' rows, params' rows and
    # passing gates' rows.
    full: dict[str, int | None] = {"metrics": None, "params": None, "gates": None, "unchanged": None}
    plans: list[dict[str, int | None]] = [
        {**full, "charts": None, "cell": None},
        {**full, "charts": None},
        {**full, "unchanged": 0, "charts": None},
        {**full, "unchanged": 0, "metrics": 200, "charts": None},
        {**full, "unchanged": 0, "metrics": 200, "charts": MAX_CHARTS_TRIMMED},
        {**full, "unchanged": 0, "metrics": 200},
        {**full, "unchanged": 0, "metrics": 50, "params": 100},
        {**full, "unchanged": 0, "metrics": 10, "params": 30},
        {**full, "unchanged": 0, "metrics": 0, "params": 10, "gates": 200},
        {**full, "unchanged": 0, "metrics": 0, "params": 0, "gates": 50},
        {**full, "unchanged": 0, "metrics": 0, "params": 0, "gates": 10},
    ]
    text = ""
    tried: set[tuple[Any, ...]] = set()
    for plan in plans:
        same = (plan["metrics"], plan["params"], plan["gates"], plan["unchanged"] if rows.unchanged else None,
                plan.get("charts", 0) if rows.trends else None, plan.get("cell", CELL_CHARS))
        if same in tried:  # without trend charts, the chart plans render the same report: once is enough
            continue
        tried.add(same)
        with cut_cells(plan.get("cell", CELL_CHARS)):
            rendered = _bounded(template, rows.context(plan), user=template_dir is not None)
        if rendered is None:  # over OUTPUT_CHARS: as too long as it gets
            continue
        text = _tidy(rendered)
        if len(text) <= limit:
            return text
    # Still too long: only pathological text (huge names) gets here. Cut at a line boundary, say so.
    note = "\n\n_…report cut to fit the size limit; the full result is in the result JSON._\n"
    cut = text[: limit - len(note)]
    return cut[: max(cut.rfind("\n"), 0)] + note


def _bounded(template: Any, context: dict[str, Any], *, user: bool) -> str | None:
    """The template's output, or None when it passes OUTPUT_CHARS (a user template: a ConfigError)."""
    chunks: list[str] = []
    size = 0
    for chunk in template.generate(**context):
        size += len(chunk)
        if size > OUTPUT_CHARS:
            if user:
                raise ConfigError(
                    f"{template.filename or 'report template'}: report template produced more than"
                    f" {OUTPUT_CHARS:,} characters; a report is at most {COMMENT_LIMIT:,}: make it print less"
                )
            return None
        chunks.append(chunk)
    return "".join(chunks)


class _OutOfTime(Exception):
    """The template ran past its time."""


def _template_seconds() -> float:
    return settings.seconds(TEMPLATE_SECONDS_ENV, TEMPLATE_SECONDS, 3600, error=ConfigError)


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the render after ``seconds`` of wall-clock time (a timer signal; main thread only)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Rows:
    """Pre-sorted rows of the report; `context(plan)` trims them to a plan's row limits."""

    def __init__(self, result: Result, limit: int = COMMENT_LIMIT) -> None:
        self.result = result
        self.limit = limit
        self.gates = table_gates(result)
        self.skipped = [g for g in result.gates if g.status == SKIPPED]
        gated = {f"{g.file}:{g.key}" for g in result.gates if g.file}
        every = [(p, k, e) for p, keys in result.metrics.items() for k, e in keys.items()]
        # "All metrics": the gated ones first, then the others that moved; the unchanged ones apart, folded
        self.metrics = sorted((m for m in every if f"{m[0]}:{m[1]}" in gated or is_changed(m[2])),
                              key=lambda m: (m[0], f"{m[0]}:{m[1]}" not in gated))  # a file's gated ones first
        self.unchanged = [m for m in every if f"{m[0]}:{m[1]}" not in gated and not is_changed(m[2])]
        changed = compare.changed_only(result.params)
        self.params = [(p, k, e) for p, keys in changed.items() for k, e in keys.items()]
        self.directions = {f"{g.file}:{g.key}": gate_direction(g) for g in result.gates if g.file}
        trend = _trend_series(result)
        head_label = "this PR" if result.context.get("pr_number") else (result.head.short or "head")
        self.trends = _trend_rows(trend, self.gates, head_label, _trend_changes(result))
        self.trend_entries = max((len(points) for points in trend.values()), default=0)
        predictions = result.sections.get("predictions") if isinstance(result.sections, dict) else None
        n = predictions.get("n_head") if isinstance(predictions, dict) else None
        self.eval_n = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None
        self.noise_hint = noise_hint(self.gates, self.eval_n)

    def context(self, plan: dict[str, int | None]) -> dict[str, Any]:
        r = self.result
        # "No row limit" still stops where rows could no longer fit: thousands of metrics (a glob, a
        # generated metrics file) are not all rendered only to be cut by the next plan.
        ceiling = max(self.limit // MIN_ROW_CHARS, 1)
        plan = {k: (ceiling if v is None and k in ("metrics", "params", "gates", "unchanged") else v)
                for k, v in plan.items()}
        gates = _keep(self.gates, plan["gates"], keep=lambda g: g.status in (FAIL, WARN))
        charts = plan.get("charts", 0)
        trends = self.trends if charts is None else [dict(t, chart="") if i >= charts else t
                                                     for i, t in enumerate(self.trends)]
        return {
            "r": r,
            "marker": report_marker(r.report_id, r.head.sha),
            "gates": gates,
            "gate_names": name_groups([g.name for g in gates]),
            "skipped": self.skipped,
            "gates_omitted": len(self.gates) - len(gates),
            "problems_omitted": sum(1 for g in self.gates if g.status in (FAIL, WARN))
            - sum(1 for g in gates if g.status in (FAIL, WARN)),
            "metrics": self.metrics[: plan["metrics"]],
            "metric_names": [shown for path in dict.fromkeys(p for p, _, _ in self.metrics[: plan["metrics"]])
                             for shown in name_groups([k for p, k, _ in self.metrics[: plan["metrics"]] if p == path],
                                                      )],
            "metrics_total": len(self.metrics) + len(self.unchanged),
            "metrics_changed": len(self.metrics),
            "unchanged": self.unchanged[: plan.get("unchanged", ceiling)],
            "unchanged_total": len(self.unchanged),
            "heading": heading(r),
            "reading_notes": reading_notes(r),
            "warnings": other_warnings(r),
            "params": self.params[: plan["params"]],
            "params_total": len(self.params),
            "directions": self.directions,
            "base_label": (r.base.ref if r.base else None) or "base",
            "head_label": "this PR" if r.context.get("pr_number") else (r.head.ref or "head"),
            "source": _SOURCES.get(r.baseline.source) or text(r.baseline.source),
            "baseline_text": _baseline_text(r),
            "revisions": _revisions_text(r),
            "trends": trends,
            "charts": [t["chart"] for t in trends if t["chart"]],  # for report templates of mlgate 0.1
            "sparks": {f"{t['gate'].file}:{t['gate'].key}": t["spark"] for t in trends},
            "charts_total": sum(1 for t in self.trends if t["chart"]),
            "charts_shown": sum(1 for t in trends if t["chart"]),
            "trend_ref": " ".join(str(r.context.get("trend_ref") or "default branch").split()),
            "trend_entries": self.trend_entries,
            "pipeline": _pipeline_text(r),
            # two prediction logs, or a production sample: no pipeline ran
            "files_only": bool((not r.head.sha and r.base and not r.base.sha) or r.context.get("event") == "monitor"),
            "data_changes": _data_text(r),
            "class_names": _class_names.get(),
            "version": __version__,
            "problems": [g for g in gates if g.status in (FAIL, WARN)],
            "limit": self.limit,
            "eval_n": self.eval_n,
            "noise_hint": self.noise_hint,
        }


SMALL_EVAL_SET = 1000


def whole_set_metric(key: str) -> bool:
    """`predictions.accuracy` and the like: a metric of the whole evaluation set (not a slice's, health's …)."""
    return key.startswith("predictions.") and key.count(".") == 1


def noise_hint(gates: list[GateOutcome], n: int | None) -> str | None:
    """'143 test examples: one example moves a rate such as accuracy by 0.0070 (0.7 points); …' when plain gates
    judge predictions metrics of a small evaluation set, where one example can decide a drop gate."""
    if not n or n >= SMALL_EVAL_SET:
        return None
    plain = [g for g in gates if whole_set_metric(g.key) and not any(r.interval for r in g.rules)]
    if not plain:
        return None
    step = 1 / n
    names = ", ".join(code(g.name, False) for g in plain[:3]) + (" …" if len(plain) > 3 else "")
    return (f"{n:,} test examples: one example moves a rate such as accuracy by {step:.4f} "
            f"({step * 100:.1f} points), so {names} can pass or fail on noise; consider `confidence:` on "
            f"{'their KPIs' if len(plain) > 1 else 'its KPI'}.")


# -- the heading: what the run can claim -------------------------------------------------------------















# Warnings that change how the numbers read: the report puts them under the heading, not last.
_READING = re.compile(r": (unpaired: |paired by id on the )")


def reading_notes(r: Result) -> list[str]:
    """Notes a reviewer needs before the numbers, as Markdown: unpaired predictions, a baseline that is not the
    base's own recorded numbers (an older ledger entry)."""
    notes = [text(w) for w in r.warnings if _READING.search(w)]
    b = r.baseline
    if b.source == "ledger" and b.sha and b.distance:
        where = "the merge-base" if r.base_how == "merge-base" else "the base"
        notes.append(f"The baseline is the ledger entry for {code(b.sha[:7], False)}, {b.distance} commit"
                     f"{'s' if b.distance != 1 else ''} before {where}: what changed in between counts as this change.")
    return notes  # a reproduced base is said with the stale baselines (staleness.py), at the top


def other_warnings(r: Result) -> list[str]:
    return [w for w in r.warnings if not _READING.search(w)]




def repo_url(r: Result) -> str | None:
    """The repository's web address in CI (from the workflow run's link), else None."""
    run_url = r.links.get("run_url") or ""
    found = re.match(r"^(https://[^\s/]+/[\w.-]+/[\w.-]+)/actions/runs/\d+", run_url)
    return found.group(1) if found else None


def _revisions_text(r: Result) -> str:
    """'[`branch` @ `abc1234`](…) vs [`main` @ `def5678`](…) (merge-base) · [compare](…)', said plainly for one commit."""
    url = repo_url(r)

    files_only = not r.head.sha and r.base is not None and not r.base.sha  # two prediction logs, no commits

    monitor = r.context.get("event") == "monitor"  # mlgate monitor: a production sample, no commit at the head

    def rev(ref: str | None, sha: str | None, fallback: str) -> str:
        if files_only or (monitor and not sha):
            return code(ref or fallback, False)
        shown = f"{code(ref or fallback, False)} @ {code(sha[:7] if sha else 'workspace', False)}"
        return f"[{shown}]({url}/commit/{sha})" if url and sha else shown

    head = rev(r.head.ref, r.head.sha, "HEAD") + (" (uncommitted changes)" if r.head.dirty else "")
    if r.base is None:
        return f"{head} · nothing to compare with"
    if r.base.sha and r.base.sha == r.head.sha and not r.head.dirty:
        return f"{head} compared with itself: no changes to compare"
    out = f"{head} vs {rev(r.base.ref, r.base.sha, 'base')}" + (f" ({text(r.base_how)})" if r.base_how else "")
    if url and r.base.sha and r.head.sha:
        out += f" · [compare]({url}/compare/{r.base.sha}...{r.head.sha})"
    return out


def _baseline_text(r: Result) -> str:
    """'metrics ledger (entry for `abc1234`, 2 commits before the merge-base)' and the like."""
    b = r.baseline
    source = _SOURCES.get(b.source) or text(b.source)
    if b.source == "ledger" and b.sha:
        where = "the merge-base" if r.base_how == "merge-base" else "the base"
        n = b.distance
        before = f", {n} commit{'s' if n != 1 else ''} before {where}" if n else ""
        return f"{source} (entry for {code(b.sha[:7], False)}{before})"
    if b.sha and b.source in ("git", "dvc-cache", "dvc-remote") and "and" in b.detail:  # a mix of places
        return text(b.detail)
    return source


def _trend_series(r: Result) -> dict[str, list[tuple[str, Any]]]:
    """result.trend as {"file:key": [(label, value)]}; malformed parts (a hand-edited result) are dropped."""
    trend = r.trend if isinstance(r.trend, dict) else {}
    out: dict[str, list[tuple[str, Any]]] = {}
    for name, points in trend.items():
        if isinstance(points, list):
            kept = [(str(p[0]), p[1]) for p in points if isinstance(p, list | tuple) and len(p) == 2]
            if kept:
                out[str(name)] = kept
    return out


def _trend_changes(r: Result) -> dict[str, list[tuple[str, float]]]:
    """context["trend_changes"] as {"file:key": [(short sha, shift)]}; malformed parts are dropped."""
    found = r.context.get("trend_changes")
    out: dict[str, list[tuple[str, float]]] = {}
    for name, shifts in (found.items() if isinstance(found, dict) else ()):
        kept = [(str(s[0])[:7], float(s[1])) for s in shifts if isinstance(s, list | tuple) and len(s) == 2
                and compare.is_number(s[1]) and math.isfinite(s[1])] if isinstance(shifts, list) else []
        if kept:
            out[str(name)] = kept
    return out


def _trend_rows(trend: dict[str, list[tuple[str, Any]]], gates: list[GateOutcome], head_label: str,
                changes: dict[str, list[tuple[str, float]]] | None = None) -> list[dict[str, Any]]:
    """Per gated metric with a trend, in the table's order: its sparkline on the chart's scale, and the chart
    with the PR's value as the last, marked point and the gate's threshold as a line."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for g in gates:
        name = f"{g.file}:{g.key}"
        if name in seen or name not in trend:
            continue
        seen.add(name)
        history = trend[name]
        head = finite(g.new)
        threshold, margin = gate_threshold(g)
        values = [v for v in (finite(v) for _, v in history) if v is not None] + ([head] if head is not None else [])
        if not values:
            continue
        lo, hi = trend_range(values, threshold=threshold, margin=margin, name=g.key)
        line = sparkline([v for _, v in history], lo, hi)
        if head is not None:
            line += " " + sparkline([head], lo, hi)
        chart = mermaid_xychart(g.name, history, head=(head_label, head) if head is not None else None,
                                threshold=threshold, y_range=(lo, hi))
        f = number_format(g.old, g.new)
        shifts = [f"{code(sha, False)} ({signed(size, f, gate_direction(g))})" for sha, size in (changes or {}).get(name, [])]
        noisy = any(finite((r.interval or {}).get("limit")) is not None and not (r.interval or {}).get("plain")
                    for r in g.rules)  # a noise-widened limit drawn (gate_threshold)
        rows.append({"gate": g, "spark": line, "low": lo, "high": hi, "threshold": threshold, "chart": chart,
                     "changes": ", ".join(shifts), "noisy": noisy})
    return rows




def gate_threshold(g: GateOutcome) -> tuple[float | None, float | None]:
    """The value the gate lets the metric reach (the binding limit) and its allowed change, where it has them.
    A rule judged on main's history gives its own limit: main's level (or the best level) past the margin and
    the noise, where a head would fail (mlgate.gating.history)."""
    lower: list[float] = []
    upper: list[float] = []
    margins: list[float] = []
    old = finite(g.old)
    for rule in g.rules:
        t = rule.threshold
        iv = rule.interval or {}
        limit = finite(iv.get("limit")) if iv.get("of") in ("history", "best") else None
        if limit is not None:
            (lower if rule.rule == "min" or rule.rule.startswith("max_drop") else upper).append(limit)
            margin = finite(iv.get("margin"))
            if margin is not None:
                margins.append(margin)
        elif rule.rule == "min":
            lower.append(t)
        elif rule.rule == "max":
            upper.append(t)
        elif old is not None and rule.rule in ("max_drop", "max_increase", "max_drop_pct", "max_increase_pct"):
            allowed = t if rule.rule in ("max_drop", "max_increase") else abs(old) * t / 100
            margins.append(allowed)
            (lower if rule.rule.startswith("max_drop") else upper).append(
                old - allowed if rule.rule.startswith("max_drop") else old + allowed)
    threshold = max(lower) if lower else (min(upper) if upper else None)
    return threshold, (min(margins) if margins else None)




def _tidy(markdown: str) -> str:
    """At most one blank line in a row, one newline at the end."""
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"


def _keep(gates: list[GateOutcome], limit: int | None, keep: Any) -> list[GateOutcome]:
    if limit is None or len(gates) <= limit:
        return gates
    must = [g for g in gates if keep(g)]
    rest = [g for g in gates if not keep(g)]
    # Failing and warning rows go last, and only when they alone overflow (thousands of glob matches).
    return must[:limit] + rest[: max(0, limit - len(must))]


def _pipeline_text(r: Result) -> str:
    """'ran `train` (30 s), `evaluate` (8.1 s); `prepare` restored from the run-cache; 1 unchanged'."""
    if not r.reproduced:
        return "pipeline not reproduced (outputs used as they are)"
    ran = [s for s in r.stages if s["status"] == "ran"]
    restored = [s["name"] for s in r.stages if s["status"] == "restored"]
    unchanged = sum(1 for s in r.stages if s["status"] not in ("ran", "restored"))
    if not ran and not restored:
        return "pipeline up to date, no stage ran" if r.stages else "no stages"
    parts = []
    if ran:
        shown = ", ".join(f"{code(s['name'], False)} ({seconds(float(s.get('seconds') or 0))})" for s in ran[:6])
        parts.append("ran " + shown + (f" and {len(ran) - 6} more" if len(ran) > 6 else ""))
    if restored:
        names = ", ".join(code(n, False) for n in restored[:3]) + (f" and {len(restored) - 3} more" if len(restored) > 3 else "")
        parts.append(f"{names} restored from the run-cache")
    if unchanged:
        parts.append(f"{unchanged} unchanged")
    return "; ".join(parts)


MAX_MATCHED_CLASSES = 6  # up to 720 orderings of a confusion plot's labels are tried


def class_names(r: Result) -> dict[str, str]:
    """{'0': 'benign', '1': 'malignant'}: the names of the prediction classes, where the report holds both: the
    predictions' confusion matrix (codes) and a confusion plot (names) whose counts match it, on both sides,
    in exactly one order of the plot's labels. {} when they do not, or the match is ambiguous."""
    import itertools

    sections = r.sections if isinstance(r.sections, dict) else {}
    flips = (sections.get("predictions") or {}).get("flips") if isinstance(sections.get("predictions"), dict) else None
    confusion = flips.get("confusion") if isinstance(flips, dict) else None
    plots = (sections.get("plots") or {}).get("plots") if isinstance(sections.get("plots"), dict) else None
    if not isinstance(confusion, dict) or not isinstance(plots, list):
        return {}
    codes = confusion.get("classes")
    if not isinstance(codes, list) or not 2 <= len(codes) <= MAX_MATCHED_CLASSES:
        return {}
    found: set[tuple[str, ...]] = set()
    for plot in plots:
        cells: Any  # the plot's own: a bad shape is a TypeError, an IndexError or a KeyError below
        labels, cells = (plot.get("labels"), plot.get("cells")) if isinstance(plot, dict) else (None, None)
        if plot.get("kind") != "confusion" or not isinstance(labels, list) or len(labels) != len(codes):
            continue
        try:
            for order in itertools.permutations(range(len(labels))):  # order[i]: the plot's index of code i
                if all(cells[order[i]][order[j]] == [confusion["head"][i][j], confusion["base"][i][j]]
                       for i in range(len(codes)) for j in range(len(codes))):
                    found.add(tuple(str(labels[k]) for k in order))
        except (IndexError, KeyError, TypeError):
            continue
    if len(found) != 1:
        return {}
    names = dict(zip((str(c) for c in codes), found.pop()))
    return names if len(set(names.values())) == len(names) and names.keys() != set(names.values()) else {}


def class_name(value: Any) -> Any:
    """A prediction class by its name where the report knows it (`class_names`), else as it is."""
    return _class_names.get().get(str(value), value)


def _data_text(r: Result) -> str:
    """'`train` 426 → 341 rows (1 schema change), `test` 143 rows (new)': the datasets of the data family."""
    section = r.sections.get("data") if isinstance(r.sections, dict) else None
    datasets = section.get("datasets") if isinstance(section, dict) else None
    parts = []
    for d in datasets if isinstance(datasets, list) else []:
        rows = d.get("rows") if isinstance(d, dict) else None
        if not isinstance(rows, dict) or not isinstance(rows.get("head"), int):
            continue
        base = rows.get("base")
        count = (f"{num(base)} → {num(rows['head'])}" if isinstance(base, int) and base != rows["head"]
                 else f"{num(rows['head'])}{'' if isinstance(base, int) else ' (no base)'}")
        schema = d.get("schema_changes")
        n = len(schema) if isinstance(schema, list) else 0
        parts.append(f"{code(d.get('name'), False)} {count} rows" + (f" ({n} schema change{'s' if n != 1 else ''})"
                                                                      if n else ""))
    return ", ".join(parts)


# -- filters -----------------------------------------------------------------------------------------











































MOVED_P = 0.01  # a KS or chi-squared p-value below this: the column moved, whatever its PSI


def moved_columns(rows: Any, chance: Any) -> list[dict[str, Any]]:
    """The drift table's rows of columns that moved: a PSI above what two samples of one distribution reach at
    these sizes (`chance`; any PSI above zero when unknown), or a KS / chi-squared p-value below 0.01."""
    def moved(row: Any) -> bool:
        if not isinstance(row, dict):
            return False
        psi = row.get("psi")
        floor = chance if compare.is_number(chance) else 0.0
        if compare.is_number(psi) and psi > floor:
            return True
        return any(compare.is_number(row.get(k)) and row[k] < MOVED_P for k in ("ks_pvalue", "chi2_pvalue"))

    return [row for row in rows or [] if moved(row)]








_FILTERS = {
    "code": code,
    "kpi": kpi,
    "name_groups": name_groups,
    "text": text,
    "num": num,
    "digits": digits,
    "fmt": fmt,
    "delta": delta,
    "direction": direction,
    "skip_reason": skip_reason,
    "whole_set_metric": whole_set_metric,
    "rule_text": rule_text,
    "icon": icon,
    "seconds": seconds,
    "moved_columns": moved_columns,
    "class_name": class_name,
    "entry_status": entry_status,
    **INTERVAL_FILTERS,  # interval_cell, interval_rules, interval_details, rule_label
    **HISTORY_FILTERS,  # history_rules, history_reading, detectable_text
    **PLOT_FILTERS,  # plot_summary, plot_body, plots_fit
}


def _environment(template_dir: Path | None) -> Any:
    from jinja2 import BaseLoader, ChoiceLoader, DictLoader, FileSystemLoader, PackageLoader, StrictUndefined
    from jinja2.exceptions import SecurityError
    from jinja2.sandbox import SandboxedEnvironment

    class InsideLoader(FileSystemLoader):
        """The user's templates, refused when a file resolves (through a symlink) outside the repository."""

        def __init__(self, directory: Path) -> None:
            super().__init__(str(directory))
            self.directory = directory
            self.root = repository_root(directory)
            require_inside(self.root, directory, "report.template")

        def get_source(self, environment: Any, template: str) -> Any:
            candidate = self.directory / template
            if candidate.exists():
                require_inside(self.root, candidate, "report.template")
            return super().get_source(environment, template)

    class Sandbox(SandboxedEnvironment):
        """Jinja's sandbox, with repetition and powers bounded like its ranges."""

        intercepted_binops = frozenset({"*", "**"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            if operator == "**" and _number_like(left) and _number_like(right) and abs(right) > 1000:
                raise SecurityError(f"a power above 1000 is not allowed in a report template (got {right})")
            if operator == "*":
                for seq, times in ((left, right), (right, left)):
                    if isinstance(seq, str | list | tuple) and isinstance(times, int) \
                            and len(seq) * times > OUTPUT_CHARS:
                        raise SecurityError(f"repeating text or a list to more than {OUTPUT_CHARS:,} items is not"
                                            " allowed in a report template")
            return super().call_binop(context, operator, left, right)

    loaders: list[BaseLoader] = [InsideLoader(template_dir)] if template_dir else []
    added = [f for f in FAMILIES if f.template is not None]  # a registered family's section template
    if added:
        loaders.append(DictLoader({f"sections/{f.key}.md.j2": f.template.read_text(encoding="utf-8")
                                   for f in added if f.template is not None}))
    loaders.append(PackageLoader("mlgate.report", "templates"))
    env = Sandbox(
        loader=ChoiceLoader(loaders),
        autoescape=False,  # Markdown, not HTML: untrusted text goes through `code` / `text`
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(_FILTERS)
    for family in FAMILIES:  # a family's own filters, never in place of the report's
        env.filters.update({name: f for name, f in family.filters.items() if name not in _FILTERS})
    return env


def _bytecode_cache() -> Any:
    """Compiled templates, kept in a folder of the temp dir only this user may write (Jinja2 checks it):
    compiling costs more than the rest of rendering a report. Jinja2 keys an entry on the template's
    name and source only, not on the environment that compiled it, and the sandbox's checks are compiled
    into the code: so the file names carry a hash of this module (which sets up the environment) and of
    Jinja2's version, and code compiled by another mlgate or Jinja2 is never loaded."""
    import hashlib

    import jinja2

    stamp = hashlib.sha256(Path(__file__).read_bytes() + jinja2.__version__.encode()).hexdigest()[:16]
    return jinja2.FileSystemBytecodeCache(pattern=f"__mlgate_{stamp}_%s.cache")


def _number_like(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
