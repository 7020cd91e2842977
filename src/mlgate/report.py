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
from mlgate.number_text import MINUS
from mlgate.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, GateOutcome, describe_rule
from mlgate.interval_text import FILTERS as INTERVAL_FILTERS
from mlgate.result import Result
from mlgate.trend import mermaid_xychart, sparkline

CELL_CHARS = 200  # untrusted text per cell once the report is over budget
OUTPUT_CHARS = 4 * 1024 * 1024  # what one render may produce before it is stopped
TEMPLATE_SECONDS = 20.0
TEMPLATE_SECONDS_ENV = "MLGATE_TEMPLATE_SECONDS"
_cell_chars: ContextVar[int | None] = ContextVar("cell_chars", default=None)

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
    """A Result read from a file (an artifact: untrusted), with each family section the built-in section
    template cannot render dropped and said in a warning, so a crafted section is bad input, not a crash."""
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
            dropped.append(f"the {one_line(key)} section of the result file was left out: it does not have the"
                           f" shape mlgate writes ({type(exc).__name__})")
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
    rows = _Rows(result)
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
    for plan in plans:
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

    def __init__(self, result: Result) -> None:
        self.result = result
        self.gates = sorted(result.gates, key=lambda g: _ORDER.get(g.status, 9))
        self.metrics = [(p, k, e) for p, keys in result.metrics.items() for k, e in keys.items()]
        changed = compare.changed_only(result.params)
        self.params = [(p, k, e) for p, keys in changed.items() for k, e in keys.items()]
        trend = _trend_series(result)
        self.sparks = {name: sparkline([v for _, v in points]) for name, points in trend.items()}
        self.charts = _trend_charts(trend, self.gates)
        self.trend_entries = max((len(points) for points in trend.values()), default=0)

    def context(self, plan: dict[str, int | None]) -> dict[str, Any]:
        r = self.result
        gates = _keep(self.gates, plan["gates"], keep=lambda g: g.status in (FAIL, WARN))
        return {
            "r": r,
            "marker": report_marker(r.report_id, r.head.sha),
            "gates": gates,
            "gates_omitted": len(self.gates) - len(gates),
            "problems_omitted": sum(1 for g in self.gates if g.status in (FAIL, WARN))
            - sum(1 for g in gates if g.status in (FAIL, WARN)),
            "metrics": self.metrics[: plan["metrics"]] if plan["metrics"] is not None else self.metrics,
            "metrics_total": len(self.metrics),
            "params": self.params[: plan["params"]] if plan["params"] is not None else self.params,
            "params_total": len(self.params),
            "base_label": (r.base.ref if r.base else None) or "base",
            "head_label": "this PR" if r.context.get("pr_number") else (r.head.ref or "head"),
            "source": _SOURCES.get(r.baseline.source) or text(r.baseline.source),
            "baseline_text": _baseline_text(r),
            "sparks": self.sparks,
            "charts": self.charts[: plan.get("charts", 0)] if plan.get("charts", 0) is not None else self.charts,
            "charts_total": len(self.charts),
            "trend_ref": " ".join(str(r.context.get("trend_ref") or "default branch").split()),
            "trend_entries": self.trend_entries,
            "pipeline": _pipeline_text(r),
            "version": __version__,
            "problems": [g for g in gates if g.status in (FAIL, WARN)],
        }


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


def _trend_charts(trend: dict[str, list[tuple[str, Any]]], gates: list[GateOutcome]) -> list[str]:
    """One Mermaid xychart per gated metric with a trend, in the gates' order (failures first)."""
    charts: list[str] = []
    seen: set[str] = set()
    for g in gates:
        name = f"{g.file}:{g.key}"
        if name in seen or name not in trend:
            continue
        seen.add(name)
        chart = mermaid_xychart(g.name, trend[name], g.key)
        if chart:
            charts.append(chart)
    return charts


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
    if not r.reproduced:
        return "not reproduced (outputs used as they are)"
    ran = [s["name"] for s in r.stages if s["status"] == "ran"]
    restored = [s["name"] for s in r.stages if s["status"] == "restored"]
    total = len(r.stages)
    if not ran and not restored:
        return "up to date, no stage ran" if total else "no stages"
    text = f"{len(ran)} of {total} stage{'s' if total != 1 else ''} ran"
    if restored:
        names = ", ".join(code(n) for n in restored[:3]) + (" …" if len(restored) > 3 else "")
        text += f", {names} restored from cache"
    return text


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


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|~])")  # enough to stop emphasis, code, links, tables


def text(value: Any) -> str:
    """Untrusted text as inert Markdown prose: specials escaped, HTML and @mentions disarmed."""
    s = _fit(" ".join(str(value).split()))
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("@", "@\u200b")


def digits(row: Any) -> int | None:
    """Decimals that show a row's old and new values alike (0.9650 beside 0.9231, 2.0 beside 2.1)."""
    values = (row.old, row.new) if isinstance(row, GateOutcome) else (row.get("old"), row.get("new"))
    found = [_decimals(v) for v in values if isinstance(v, float) and math.isfinite(v)]
    found = [d for d in found if d is not None]
    return min(max(found), 6) if found else None


def _decimals(value: float) -> int | None:
    if value != 0 and not 1e-4 <= abs(value) < 1000:
        return None
    shown = f"{value:.4g}"
    return len(shown.split(".")[1]) if "." in shown else 0


def num(value: Any, places: int | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not compare.is_number(value):
        return code(value)
    if isinstance(value, int):
        return f"{value:,}".replace("-", MINUS)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else f"{MINUS}∞"
    magnitude = abs(value)
    if places is not None and (magnitude == 0 or 1e-4 <= magnitude < 1000):
        out = f"{value:.{places}f}"
    elif magnitude != 0 and (magnitude >= 1e6 or magnitude < 1e-4):
        out = f"{value:.3e}"
    elif magnitude >= 1000:
        out = f"{value:,.1f}"
    else:
        out = f"{value:.4g}"
    return out.replace("-", MINUS)


def delta(gate_or_entry: Any, places: int | None = None) -> str:
    """'−0.0175 (−1.8%)' for a gate or a diff entry; '—' when there is nothing to compare."""
    if isinstance(gate_or_entry, GateOutcome):
        diff, pct = gate_or_entry.diff, gate_or_entry.pct
    else:
        diff = gate_or_entry.get("diff")
        rel = compare.relative_change(gate_or_entry.get("old"), gate_or_entry.get("new"))
        pct = None if rel is None else rel * 100
    if diff is None:
        return "—"
    if isinstance(diff, float) and math.isnan(diff):
        return "NaN"
    sign = "+" if diff > 0 else ""
    out = f"{sign}{num(diff, places)}"
    if pct is not None and math.isfinite(pct) and abs(pct) >= 0.1 and diff != 0:
        out += f" ({'+' if pct > 0 else ''}{pct:.1f}%)".replace("-", MINUS)
    return out


def rule_text(gate: GateOutcome) -> str:
    parts = []
    for rule in gate.rules:
        piece = describe_rule(rule.rule, rule.threshold)
        if rule.status == NO_BASELINE:
            piece += " (no baseline)"
        parts.append(piece)
    if not parts:
        parts.append("present" if gate.status != SKIPPED else "optional")
    if gate.severity == "warn":
        parts.append("warn only")
    return " · ".join(parts)


def seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 10 else f"{value:.0f} s"


def icon(status: str) -> str:
    return _ICONS.get(status, "")


def entry_status(entry: dict[str, Any]) -> str:
    return compare.entry_status(entry)


_FILTERS = {
    "code": code,
    "text": text,
    "num": num,
    "digits": digits,
    "delta": delta,
    "rule_text": rule_text,
    "icon": icon,
    "seconds": seconds,
    "entry_status": entry_status,
    **INTERVAL_FILTERS,  # interval_cell, interval_rules, interval_details, rule_label
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
    )
    env.filters.update(_FILTERS)
    return env


def _number_like(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
