"""The Result: one JSON-serialisable record of a run, with a versioned schema.

It is the seam between computing and publishing: ``mlgate run`` writes it, ``mlgate publish`` reads it,
and the report is rendered from it alone. Schema: docs/result-schema.md. JSON stays strict (RFC 8259):
NaN and infinities are written as the strings "NaN", "Infinity" and "-Infinity" in value fields.
"""

from __future__ import annotations

import json
import math
import re
import typing
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Required

from typing_extensions import TypedDict

from mlgate import __version__
from mlgate.config.fields import EXPECTED, message_parts
from mlgate.config.report_id import valid_report_id
from mlgate.errors import InputError
from mlgate.gating.gates import FAIL, NO_BASELINE, PASS, SKIPPED, WARN, GateOutcome, RuleOutcome
from mlgate.text.safe import one_line

SCHEMA_VERSION = 3
# version 1 had no trend and no statistical intervals; version 2 no sections, no error, and the baseline
# source "committed" where version 3 names git, the DVC cache or the DVC remote. All still read.
READS = (1, 2, 3)
VERDICTS = ("pass", "fail", "error")
MONITOR_WORDS = ("ok", "drift", "degraded")  # mlgate monitor's verdict word, in context["monitor_verdict"]
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_VALUE_FIELDS = ("old", "new", "diff", "pct")


@dataclass(frozen=True)
class Revision:
    ref: str | None = None
    sha: str | None = None
    dirty: bool = False

    @property
    def short(self) -> str | None:
        return self.sha[:7] if self.sha else None


@dataclass(frozen=True)
class Baseline:
    source: str = "none"  # ledger | git | dvc-cache | dvc-remote | reproduced | none (| committed: schema ≤ 2)
    detail: str = ""
    sha: str | None = None  # the commit whose numbers were used (may be an ancestor of the base)
    distance: int = 0  # first-parent commits between the base and `sha`


@dataclass(frozen=True)
class Result:
    """Finished by the run before anything reads it, and frozen: later steps (record, publish) only read."""

    verdict: str  # pass | fail | error
    head: Revision
    base: Revision | None
    base_how: str | None  # merge-base | given | previous commit | None
    baseline: Baseline
    gates: tuple[GateOutcome, ...]
    metrics: dict[str, Any]  # DVC diff shape: {path: {key: {old, new, diff}}}
    params: dict[str, Any]
    errors: dict[str, dict[str, str]] = field(default_factory=dict)  # side -> path -> message
    warnings: tuple[str, ...] = ()
    stages: tuple[dict[str, Any], ...] = ()  # {name, status, seconds}
    reproduced: bool = False
    duration_s: float = 0.0
    report_id: str = "default"
    project_dir: str = "."
    config_path: str = "mlgate.yaml"  # "" when there is none: every metric and param compared, nothing gated
    links: dict[str, str] = field(default_factory=dict)  # run_url, pull_request, ...
    context: dict[str, Any] = field(default_factory=dict)  # event, pr_number, title, trend_ref, ...
    created_at: str = ""
    # Each KPI gate's metric over the last ledger entries on the default branch (context["trend_ref"]),
    # oldest first: {"file:key": [[short sha, value or null], ...]}. Empty without a ledger.
    trend: dict[str, list[list[Any]]] = field(default_factory=dict)
    # Each metric family's details for its report section (mlgate.families): {"predictions": {...}, ...}
    sections: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # with verdict "error": why, in one line
    mlgate_version: str = __version__
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        for name in ("gates", "warnings", "stages"):  # sequences stay unchangeable too
            object.__setattr__(self, name, tuple(getattr(self, name)))

    # -- summaries the report, the status and the outputs share -------------------------------
    def count(self, status: str) -> int:
        return sum(1 for g in self.gates if g.status == status)

    @property
    def failed_gates(self) -> list[GateOutcome]:
        return [g for g in self.gates if g.status == FAIL]

    @property
    def judged_gates(self) -> list[GateOutcome]:
        return [g for g in self.gates if g.status != SKIPPED]

    def headline(self) -> str:
        judged = len(self.judged_gates)
        failed, warned = self.count(FAIL), self.count(WARN)
        if self.verdict == "error":
            unfinished: dict[Any, str] = {"compare-predictions": "the comparison could not be completed",
                                          "monitor": "the monitoring could not be completed"}
            return unfinished.get(self.context.get("event"), "the run could not be completed")
        word = self.context.get("monitor_verdict")
        if word in MONITOR_WORDS:  # mlgate monitor: its checks, and the verdict word first
            judged, failed, unjudged = len(self.judged_gates), self.count(FAIL), self.count(SKIPPED)
            return f"{word}: " + (f"{failed} of {judged} check{'s' if judged != 1 else ''} raised an alarm" if failed
                                  else f"all {judged} checks passed" if judged != 1 else "the one check passed") + (
                f", {unjudged} not judged" if unjudged else "")
        if not self.gates:
            return "no KPI gates configured"
        if failed:
            return f"{failed} of {judged} KPI gate{'s' if judged != 1 else ''} failed"
        if not judged:
            return f"no KPI gate applied ({len(self.gates)} skipped)"
        # A gate without a baseline was not judged: it is never counted as passed.
        unjudged = self.count(NO_BASELINE)
        passed = judged - unjudged
        if not unjudged:
            text = f"all {judged} KPI gates passed" if judged != 1 else "1 KPI gate passed"
        elif not passed:
            text = f"no KPI gate judged: {unjudged} without a baseline"
        else:
            text = f"{passed} of {judged} KPI gate{'s' if judged != 1 else ''} passed, {unjudged} without a baseline"
        return text + (f", {warned} with a warning" if warned else "")

    def status_description(self) -> str:
        """Short text for a commit status (at most 140 characters): what passed, or why nothing could."""
        if self.verdict == "error":
            return (self.error or self.headline())[:140]
        if not self.config_path:
            return "no mlgate.yaml: nothing gated (the report compares the metrics)"
        judged = len(self.judged_gates)
        passed = sum(1 for g in self.judged_gates if g.status in (PASS, WARN))
        if not passed and self.verdict != "fail":  # a green status never claims a pass nothing earned
            return self.headline()[:140]
        unjudged = self.count(NO_BASELINE)
        return (f"{passed}/{judged} KPI gates passed" + (f", {unjudged} without a baseline" if unjudged else ""))[:140]

    # -- (de)serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["gates"] = [g.to_dict() for g in self.gates]
        for name in ("warnings", "stages"):
            data[name] = list(data[name])
        return _encode(data)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, allow_nan=False) + "\n"

    def write(self, path: Path) -> None:
        write_text(path, self.to_json())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        version = data.get("schema_version")
        if version not in READS or isinstance(version, bool):
            raise InputError(
                f"result schema_version {version!r} is not supported by mlgate {__version__} "
                f"(reads {', '.join(map(str, READS))}); re-run 'mlgate run' with this version"
            )
        unknown = next((key for key in data if key not in cls.__dataclass_fields__), None)
        if unknown is not None:  # closed like its parts: a newer writer's fields come with a newer schema_version
            _refuse((unknown,), "unexpected key")
        return _validate(_decode(dict(data)))

    @classmethod
    def read(cls, path: Path) -> Result:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{path}: no such result file; run 'mlgate run' first or fix the path") from None
        except (OSError, ValueError) as exc:
            raise InputError(f"{path}: not a readable mlgate result: {one_line(exc)}") from None
        except RecursionError:
            raise InputError(f"{path}: not an mlgate result: nested too deeply to read") from None
        if not isinstance(data, dict) or "schema_version" not in data:
            raise InputError(f"{path}: not an mlgate result (no schema_version)")
        try:
            return cls.from_dict(data)
        except InputError as exc:
            raise InputError(f"{path}: {exc}") from None
        except RecursionError:
            raise InputError(f"{path}: not an mlgate result: nested too deeply to read") from None


# A result file may come from an artifact a fork's run uploaded: untrusted data, validated against the
# dataclasses' own types (msgspec), with no key inside a part that is not in the schema.
class _Stage(TypedDict, total=False):
    name: Required[str]
    status: Required[str]
    seconds: float


# The parts typed loosely on the dataclass, checked deeper here.
_SHAPES: dict[str, Any] = {
    "metrics": dict[str, dict[str, dict[str, Any]]],  # {path: {key: {old, new, diff}}}
    "params": dict[str, dict[str, dict[str, Any]]],
    "stages": list[_Stage],
    "trend": dict[str, list[list[Any]]],
    "sections": dict[str, dict[str, Any]],  # each family's section is a mapping
}
_KINDS = {"array": "a list", "object": "a mapping"}
_UNKNOWN = object()


def _validate(data: dict[str, Any]) -> Result:
    if data.get("verdict") not in VERDICTS:
        raise InputError(f"not a valid mlgate result: verdict: expected one of {', '.join(VERDICTS)}, got"
                         f" {one_line(repr(data.get('verdict')))[:60]}; use the result file 'mlgate run' wrote")
    report_id = data.get("report_id", "default")
    if not isinstance(report_id, str) or not valid_report_id(report_id):  # it names the sticky comment's marker
        raise InputError(f"not a valid mlgate result: report_id: expected letters, digits, '.', '_', '-' or '/' (at "
                         f"most 100), got {one_line(repr(report_id))[:60]}; use the result file 'mlgate run' wrote")
    for loc, part, shape in _parts(data):
        unknown = next((key for key in part if key not in shape.__dataclass_fields__), None)
        if unknown is not None:
            _refuse((*loc, unknown), "unexpected key")
    for name, shape in _SHAPES.items():
        if name in data:
            _convert(data, (name,), shape)
    return _convert(data, (), Result)


def _convert(data: dict[str, Any], loc: tuple[str, ...], shape: Any) -> Any:
    """``data`` at ``loc`` as ``shape``, or InputError naming the key path of its first problem."""
    import msgspec

    value = _at(data, loc)
    if typing.get_origin(shape) is dict and isinstance(value, dict):  # a mapping's keys named in the message
        for key in value:
            _convert(data, (*loc, key), typing.get_args(shape)[1])
        return value
    try:
        return msgspec.convert(value, shape)
    except UnicodeEncodeError:  # JSON may escape a lone surrogate ("\\ud800"): no text, no Unicode string
        _refuse(loc, "text that is not valid Unicode (a lone surrogate)")
    except msgspec.ValidationError as exc:
        what, below = message_parts(str(exc))
        where = (*loc, *below)
        if missing := re.fullmatch(r"Object missing required field `(.+)`", what):
            _refuse((*where, missing[1]), "required key is missing")
        if (expected := EXPECTED.match(what)) and expected["got"]:
            what = f"expected {_KINDS.get(expected['type'], expected['type'])}"
        value = _at(data, where)
        _refuse(where, what[:1].lower() + what[1:] + ("" if value is _UNKNOWN else f", got {one_line(repr(value))[:60]}"))


def _parts(data: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any], type[Any]]]:
    """(where, the mapping, its dataclass) for each part whose keys the schema closes."""
    for name, shape in (("head", Revision), ("base", Revision), ("baseline", Baseline)):
        if isinstance(data.get(name), dict):
            yield (name,), data[name], shape
    gates = data.get("gates")
    for i, gate in enumerate(gates if isinstance(gates, list) else ()):
        if isinstance(gate, dict):
            yield ("gates", i), gate, GateOutcome
            rules = gate.get("rules")
            for j, rule in enumerate(rules if isinstance(rules, list) else ()):
                if isinstance(rule, dict):
                    yield ("gates", i, "rules", j), rule, RuleOutcome


def _at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        try:
            data = data[int(part)] if isinstance(data, list) else data[part]
        except (KeyError, IndexError, ValueError, TypeError):
            return _UNKNOWN
    return data


def _refuse(loc: tuple[Any, ...], why: str) -> NoReturn:
    where = ".".join(str(part) for part in loc) or "(top level)"
    raise InputError(f"not a valid mlgate result: {one_line(where)}: {why}; use the result file"
                     " 'mlgate run' or 'mlgate ci --mode run' wrote")


def write_text(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}; choose another path") from None


def _encode(value: Any, key: str = "") -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _encode(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v, key) for v in value]
    return value


def _decode(value: Any, key: str = "") -> Any:
    if isinstance(value, str) and key in _VALUE_FIELDS and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, dict):
        return {k: _decode(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, key) for v in value]
    return value
