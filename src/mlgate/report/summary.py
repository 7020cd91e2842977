"""The summary of a matrix of models: one row per report id, from each model's result file.

``collect`` finds the result files (``mlgate-result.json``, searched recursively in the directories given:
the downloaded artifacts of the matrix's jobs) and refuses, in one line, a directory without any, a file that
is not a result, two results with one report id, and a report id that is the summary's own. ``render`` writes
the Markdown: a headline, then a table (failures first) with each model's verdict, its failed blocking gates and a link to its
own report (its sticky comment, else its workflow run). Everything read from a result file (report ids, gate
names, links) is untrusted — a fork's artifact — and goes in only through the report's escaping filters; a link
is used only when it is a plain http(s) URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlgate.errors import InputError
from mlgate.report.marker import COMMENT_LIMIT
from mlgate.report.verdict import ERROR_ICON, NOT_JUDGED_ICON, earned_pass, heading
from mlgate.result import Result
from mlgate.text.markdown import code, text
from mlgate.text.safe import one_line

RESULT_FILE = "mlgate-result.json"
SHOWN_GATES = 5  # failed gates named per model; the rest are counted
CELL_CHARS = 200  # untrusted text per cell
MARKER_ROOM = 200  # the sticky comment's marker line, added when it is posted
_PLAIN_URL = re.compile(r"https?://[^\s()<>\[\]`\"']+")
_ICON = {"pass": "✅", "fail": "❌", "error": ERROR_ICON}


@dataclass(frozen=True)
class Model:
    path: Path
    result: Result

    @property
    def report_id(self) -> str:
        return self.result.report_id


def collect(paths: Sequence[Path], summary_id: str) -> list[Model]:
    """Every result under ``paths`` (files, or directories searched for mlgate-result.json), by report id."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = _results_in(path)
            if not found:
                raise InputError(f"{one_line(path)}: no {RESULT_FILE} in it; download each model's result artifact "
                                 "there (actions/download-artifact with a pattern)")
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{one_line(path)}: no such file or directory; pass the results' directory")
    models: dict[str, Model] = {}
    for file in files:
        model = Model(file, Result.read(file))
        if model.report_id == summary_id:
            raise InputError(f"{one_line(file)}: its report id {model.report_id!r} is the summary's own; "
                             "give the summary another --summary-id")
        if model.report_id in models:
            raise InputError(f"{one_line(file)} and {one_line(models[model.report_id].path)} both have report id "
                             f"{model.report_id!r}; give each job of the matrix its own report-id")
        models[model.report_id] = model
    return [models[key] for key in sorted(models)]


def _results_in(folder: Path) -> list[Path]:
    """The result files inside ``folder``: a symlink (to a directory or a file) that leads out of it is not
    followed, so an artifact cannot make the summary read files from elsewhere on the runner."""
    import os

    root = folder.resolve()
    found = []
    for top, _dirs, names in os.walk(folder):  # never descends into a symlinked directory
        path = Path(top) / RESULT_FILE
        if RESULT_FILE in names and (path.resolve() == root or root in path.resolve().parents):
            found.append(path)
    return sorted(found)


def verdict(models: Sequence[Model]) -> str:
    """``error`` when any model's run errored, else ``fail`` when any failed, else ``pass``."""
    verdicts = {m.result.verdict for m in models}
    return "error" if "error" in verdicts else "fail" if "fail" in verdicts else "pass"


def failed_gates(models: Sequence[Model]) -> list[str]:
    """``report-id:kpi`` for each failed blocking gate."""
    return [f"{m.report_id}:{g.name}" for m in models for g in m.result.failed_gates]


def render(models: Sequence[Model], links: Mapping[str, str], *, head_sha: str | None = None,
           runs: str | None = None, limit: int = COMMENT_LIMIT) -> str:
    """The summary's Markdown; ``links``: report id → the URL of that model's sticky comment (trusted);
    ``runs``: this repository's workflow runs (``https://github.com/o/r/actions/runs/``), the only place a
    result file's own run link may point to. It fits a comment (``limit``, with room for the marker line the
    comment adds): rows past it are counted, not shown."""
    overall = verdict(models)
    failed = [m for m in models if m.result.verdict == "fail"]
    errored = [m for m in models if m.result.verdict == "error"]
    unjudged = [m for m in models if m.result.verdict == "pass" and not earned_pass(m.result)]
    icon = NOT_JUDGED_ICON if overall == "pass" and unjudged else _ICON[overall]
    if overall == "pass" and unjudged:  # a pass nothing earned is not counted as one
        headline = (f"{len(models) - len(unjudged)} of {len(models)} models passed, {len(unjudged)} not judged "
                    "(no gate, no baseline, or no mlgate.yaml)")
    elif overall == "pass":
        headline = f"all {len(models)} models passed"
    else:
        parts = [f"{len(failed)} of {len(models)} models failed a blocking gate"] if failed else []
        parts += [f"{len(errored)} could not be run" if parts else f"{len(errored)} of {len(models)} models could "
                  "not be run"] if errored else []
        headline = ", ".join(parts)
    lines = [f"## {icon} mlgate — {headline}", ""]
    if head_sha:
        lines += [f"Commit `{head_sha[:7]}` · one row per model; each model's own report has the details.", ""]
    lines += ["| model | verdict | failed gates | report |", "|---|---|---|---|"]
    order = {"error": 0, "fail": 1}  # what needs a look first, as in each model's own report; then by report id
    ranked = sorted(models, key=lambda m: (order.get(m.result.verdict, 2), m.report_id))
    room = limit - len("\n".join(lines)) - MARKER_ROOM - len(_omitted(len(ranked), len(ranked)))
    for shown, model in enumerate(ranked):
        row = _row(model, links, runs)
        room -= len(row) + 1
        if room < 0:  # the rest, counted: failures came first, so what is left out is mostly passing
            problems = sum(1 for m in ranked[shown:] if m.result.verdict != "pass")
            lines += ["", _omitted(len(ranked) - shown, problems)]
            break
        lines.append(row)
    return "\n".join(lines) + "\n"


def _row(model: Model, links: Mapping[str, str], runs: str | None) -> str:
    result = model.result
    gates = [code(_cut(g.name)) for g in result.failed_gates]
    shown = ", ".join(gates[:SHOWN_GATES]) + (f" and {len(gates) - SHOWN_GATES} more" if len(gates) > SHOWN_GATES
                                             else "")
    if result.verdict == "error":
        shown = text(_cut(result.error or "the run could not be completed"))
    icon = heading(result)[0] if result.verdict == "pass" else _ICON.get(result.verdict, "")
    word = "not judged" if result.verdict == "pass" and not earned_pass(result) else result.verdict
    return (f"| {code(model.report_id)} | {icon} {text(word)} | "
            f"{shown or '—'} | {_link(model, links, runs)} |")


def _omitted(count: int, problems: int) -> str:
    failing = f" ({problems} of them failed or could not be run)" if problems else ""
    return (f"_{count} more model{'s' if count != 1 else ''} not shown to fit the comment{failing}; "
            "each model's own report and result have the details._")


def _cut(value: str) -> str:
    """Untrusted text from a result file, cut so one long name cannot fill the comment."""
    return value if len(value) <= CELL_CHARS else value[: CELL_CHARS - 1] + "…"


def _link(model: Model, links: Mapping[str, str], runs: str | None) -> str:
    url = links.get(model.report_id)
    if url and _PLAIN_URL.fullmatch(url):
        return f"[report]({url})"
    run_url = str(model.result.links.get("run_url") or "")  # from the file: untrusted, so only a run of ours
    if runs and run_url.startswith(runs) and _PLAIN_URL.fullmatch(run_url):
        return f"[run]({run_url})"
    return "—"
