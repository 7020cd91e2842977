"""Render the Markdown report from a Result with Jinja2, inside a size budget.

Templates live in ``mlgate/templates`` (shipped in the wheel). The environment is sandboxed, every
filter is registered in ``_FILTERS`` below, and untrusted text (metric names, param values, branch
names) only enters the report through the ``code`` or ``text`` filters, which make it inert.

The budget: a PR comment holds at most 65,536 characters. When the full report is larger, parts are
trimmed least-important first (the trend charts, then all-metrics rows, then params rows, then passing
gate rows, failing ones only when they alone overflow), whole rows at a time so no table is cut in
half, and the report says what was left out. Before any row goes, every piece of untrusted text is cut
to ``CELL_CHARS`` characters, so one huge metric name cannot empty a table.

A user's template (``report.template``) is the user's input: an error it raises at render time is a
``ConfigError`` naming the template and line; its files must resolve inside the repository (no
symlink out of it); and it is bounded: ``TEMPLATE_SECONDS`` of wall-clock time (``MLGATE_TEMPLATE_SECONDS``),
``OUTPUT_CHARS`` of output, ranges and repetitions as large as the sandbox allows.
"""

from __future__ import annotations

import math
import os
import re
import signal
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from mlgate import __version__, compare
from mlgate.errors import ConfigError, MlgateError
from mlgate.marker import COMMENT_LIMIT, marker
from mlgate.paths import repository_root, require_inside
from mlgate.safe_text import one_line, printable
from mlgate.direction import guess_higher_is_better
from mlgate.number_text import MINUS, NO_CHANGE, NumberFormat, mark, number_format, percent
from mlgate.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, GateOutcome, describe_rule
from mlgate.interval_text import FILTERS as INTERVAL_FILTERS
from mlgate.history_text import FILTERS as HISTORY_FILTERS
from mlgate.plots.markdown import FILTERS as PLOT_FILTERS
from mlgate.result import Result
from mlgate.trend import mermaid_xychart, sparkline, trend_range

CELL_CHARS = 200  # untrusted text per cell once the report is over budget
OUTPUT_CHARS = 4 * 1024 * 1024  # what one render may produce before it is stopped
MIN_ROW_CHARS = 16  # the shortest table row, "| `a` | 1 | 2 |": more rows than limit // this can never fit
TEMPLATE_SECONDS = 20.0
TEMPLATE_SECONDS_ENV = "MLGATE_TEMPLATE_SECONDS"
_cell_chars: ContextVar[int | None] = ContextVar("cell_chars", default=None)
NBSP = "\u00a0"  # keeps a Δ ("▼ −0.0420") and a rule ("drop ≤ 0.01") on one line in a narrow table

_ORDER = {FAIL: 0, WARN: 1, NO_BASELINE: 2, PASS: 3, SKIPPED: 4}
_ICONS = {FAIL: "❌", WARN: "⚠️", PASS: "✅", NO_BASELINE: "➖", SKIPPED: "⏭️"}
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


def check_template_dir(template_dir: Path, source: str = "mlgate.yaml") -> None:
    """report.template must be a folder (else Jinja's loader silently falls back to the built-in report)."""
    if not template_dir.is_dir():
        raise ConfigError(f"{source}: report.template: {template_dir} is not a directory; "
                          "point it at a directory holding report.md.j2, or remove the key")


def render(result: Result, *, limit: int = COMMENT_LIMIT, template_dir: Path | None = None) -> str:
    """The report as Markdown, at most `limit` characters. A broken user template is a ConfigError."""
    result = publishable(result)
    if template_dir is not None:
        check_template_dir(template_dir)
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
    except Exception as exc:  # noqa: BLE001 - a user template may raise anything: it is the user's input
        if template_dir is None:
            raise  # our own template is broken: a bug, not the user's input
        raise ConfigError(
            f"{_where(exc, template_dir)}: report template failed: {type(exc).__name__}: "
            f"{one_line(' '.join(str(getattr(exc, 'message', None) or exc).split()))[:300]}; "
            "fix the template or remove report.template"
        ) from None


def publishable(result: Result) -> Result:
    """The Result with each family section its section template cannot render dropped and said in a
    warning. Every render goes through it: a crafted section in an artifact is bad input, and a family's
    unexpected data costs its section, never the report (or the run)."""
    import dataclasses

    if not result.sections:
        return result
    env = _environment(None)
    context = _Rows(result).context({"metrics": 0, "params": 0, "gates": 0, "charts": 0})
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
    plans = [
        {"metrics": None, "params": None, "gates": None, "charts": None, "cell": None},
        {"metrics": None, "params": None, "gates": None, "charts": None},  # long cells are cut first
        {"metrics": None, "params": None, "gates": None, "charts": MAX_CHARTS_TRIMMED},  # then the charts
        {"metrics": None, "params": None, "gates": None},
        {"metrics": 200, "params": None, "gates": None},
        {"metrics": 50, "params": 100, "gates": None},
        {"metrics": 10, "params": 30, "gates": None},
        {"metrics": 0, "params": 10, "gates": 200},
        {"metrics": 0, "params": 0, "gates": 50},
        {"metrics": 0, "params": 0, "gates": 10},
    ]
    text = ""
    tried: set[tuple[Any, ...]] = set()
    for plan in plans:
        same = (plan["metrics"], plan["params"], plan["gates"], plan.get("charts", 0) if rows.trends else None,
                plan.get("cell", CELL_CHARS))
        if same in tried:  # without trend charts, the chart plans render the same report: once is enough
            continue
        tried.add(same)
        token = _cell_chars.set(plan.get("cell", CELL_CHARS))
        try:
            rendered = _bounded(template, rows.context(plan), user=template_dir is not None)
        finally:
            _cell_chars.reset(token)
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
    raw = os.environ.get(TEMPLATE_SECONDS_ENV, "").strip()
    try:
        seconds = float(raw) if raw else TEMPLATE_SECONDS
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= 3600:
        raise ConfigError(f"{TEMPLATE_SECONDS_ENV}={one_line(raw)!r}: expected seconds above 0 and at most 3600,"
                          f" e.g. {TEMPLATE_SECONDS_ENV}=20")
    return seconds


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
        self.metrics = [(p, k, e) for p, keys in result.metrics.items() for k, e in keys.items()]
        changed = compare.changed_only(result.params)
        self.params = [(p, k, e) for p, keys in changed.items() for k, e in keys.items()]
        self.directions = {f"{g.file}:{g.key}": g.higher_is_better for g in result.gates if g.file}
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
        plan = {k: (ceiling if v is None and k in ("metrics", "params", "gates") else v) for k, v in plan.items()}
        gates = _keep(self.gates, plan["gates"], keep=lambda g: g.status in (FAIL, WARN))
        charts = plan.get("charts", 0)
        trends = self.trends if charts is None else [dict(t, chart="") if i >= charts else t
                                                     for i, t in enumerate(self.trends)]
        return {
            "r": r,
            "marker": report_marker(r.report_id, r.head.sha),
            "gates": gates,
            "skipped": self.skipped,
            "gates_omitted": len(self.gates) - len(gates),
            "problems_omitted": sum(1 for g in self.gates if g.status in (FAIL, WARN))
            - sum(1 for g in gates if g.status in (FAIL, WARN)),
            "metrics": self.metrics[: plan["metrics"]],
            "metrics_total": len(self.metrics),
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


def table_gates(result: Result) -> list[GateOutcome]:
    """The gates the report's table shows, in its order: failures, warnings, no baseline, passes (skipped apart)."""
    return sorted((g for g in result.gates if g.status != SKIPPED), key=lambda g: _ORDER.get(g.status, 9))


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
        head = _finite(g.new)
        threshold, margin = gate_threshold(g)
        values = [v for v in (_finite(v) for _, v in history) if v is not None] + ([head] if head is not None else [])
        if not values:
            continue
        lo, hi = trend_range(values, threshold=threshold, margin=margin, name=g.key)
        line = sparkline([v for _, v in history], lo, hi)
        if head is not None:
            line += " " + sparkline([head], lo, hi)
        chart = mermaid_xychart(g.name, history, head=(head_label, head) if head is not None else None,
                                threshold=threshold, y_range=(lo, hi))
        f = number_format(g.old, g.new)
        shifts = [f"{code(sha, False)} ({_signed(size, f, g.higher_is_better)})" for sha, size in (changes or {}).get(name, [])]
        rows.append({"gate": g, "spark": line, "low": lo, "high": hi, "threshold": threshold, "chart": chart,
                     "changes": ", ".join(shifts)})
    return rows


def _signed(size: float, f: NumberFormat, higher_is_better: bool | None) -> str:
    """A shift of level: '▼ −0.0200' (its mark by the metric's direction, when known)."""
    sign = mark(size, higher_is_better)
    return f"{sign}{NBSP}{f.change(0.0, size)}" if sign else str(f.change(0.0, size))


def gate_threshold(g: GateOutcome) -> tuple[float | None, float | None]:
    """The value the gate lets the metric reach (the binding limit) and its allowed change, where it has them."""
    lower, upper, margins = [], [], []
    old = _finite(g.old)
    for rule in g.rules:
        t = rule.threshold
        if rule.rule == "min":
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


def _finite(value: Any) -> float | None:
    if not compare.is_number(value) or not math.isfinite(value):
        return None
    return float(value)


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


# -- filters -----------------------------------------------------------------------------------------

def code(value: Any, table: bool = True) -> str:
    """Untrusted text as an inline code span: nothing inside is Markdown, HTML or a mention.

    In a table cell a `|` would end the cell even inside a code span, so it is escaped there only.
    """
    text = _fit(" ".join(str(value).split()))
    if table:
        text = text.replace("|", "\\|")
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fit(text: str) -> str:
    """Untrusted text cut to the budget's cell size (when the report is over budget)."""
    text = printable(text)
    limit = _cell_chars.get()
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


LONG_NAME = 24


def kpi(name: Any) -> str:
    """A KPI's name as a code span that may wrap after its dots when it is long (a zero-width space after each
    dot), so a slice metric's name does not push the table past 760 px; short names stay whole to copy."""
    out = code(name)
    return out.replace(".", ".\u200b") if len(str(name)) > LONG_NAME else out


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")  # enough to stop emphasis, code, links, tables


def text(value: Any) -> str:
    """Untrusted text as inert Markdown prose: specials escaped, HTML and @mentions disarmed."""
    s = _fit(" ".join(str(value).split()))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("@", "@\u200b")


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
    """'▲ +0.0014', '▼ +172%', '±0' (no change, or float noise below display precision), '—' (nothing to compare).

    ▲/▼: better/worse by the metric's direction (a gate's, else `higher_is_better`, else a guess from the
    name); no mark when the direction is unknown. A gate with a percentage rule shows the change in
    percent; an "All metrics" row adds the percentage for numbers above 1.
    """
    if isinstance(row, GateOutcome):
        old, new = row.old, row.new
        direction = row.higher_is_better if row.higher_is_better is not None else guess_higher_is_better(row.key)
        in_percent = any(r.rule.endswith("_pct") for r in row.rules)
        extra_pct = False
    else:
        old, new = row.get("old"), row.get("new")
        direction = higher_is_better
        in_percent = False
        extra_pct = True
    f = places if isinstance(places, NumberFormat) else number_format(old, new)
    if compare.is_number(old) and compare.is_number(new):
        if math.isnan(new) or math.isnan(old):
            return "NaN at the head" if math.isnan(new) and not math.isnan(old) else (
                "NaN at the base" if math.isnan(old) and not math.isnan(new) else "NaN")
        diff = compare.numeric_diff(old, new)
        if diff is not None and math.isinf(diff):
            return ("+" if diff > 0 else MINUS) + "∞"
    change = f.change(old, new)
    if change is None:
        return "—"
    if change == NO_CHANGE:
        return NO_CHANGE
    diff = compare.numeric_diff(old, new)
    rel = compare.relative_change(old, new)
    body = percent(rel * 100) if in_percent and rel is not None else change
    if extra_pct and rel is not None and abs(rel) >= 0.001 and max(abs(old), abs(new)) > 1:
        body += f"{NBSP}({percent(rel * 100)})"
    sign = mark(diff, direction)
    return f"{sign}{NBSP}{body}" if sign else body  # no-break: a Δ cell never wraps at 760 px


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


_FILTERS = {
    "code": code,
    "kpi": kpi,
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
    "entry_status": entry_status,
    **INTERVAL_FILTERS,  # interval_cell, interval_rules, interval_details, rule_label
    **HISTORY_FILTERS,  # history_rules, history_reading, detectable_text
    **PLOT_FILTERS,  # plot_summary, plot_body, plots_fit
}


def _environment(template_dir: Path | None) -> Any:
    from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
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

    loaders = [InsideLoader(template_dir)] if template_dir else []
    loaders.append(PackageLoader("mlgate", "templates"))
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
