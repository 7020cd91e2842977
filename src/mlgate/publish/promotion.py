"""Promotion: which model passed, as git tags in the GitOps model-registry format of DVC's ecosystem.

A version is an annotated tag ``<artifact>@v<major>.<minor>.<patch>`` on the commit whose run passed; the
stage it was promoted to is a second annotated tag ``<artifact>#<stage>#<n>`` (gto's incremental stage
assignment). The version tag's message is a model card: the commit, the hypothesis, the data versions
(DVC hashes of the pipeline's inputs), the params, the gates and the metrics.

Pure: names, versions and the card from plain data. ``commands/promote.py`` reads git and writes the tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from mlgate.errors import InputError
from mlgate.result import Result

Bump = Literal["major", "minor", "patch"]
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-/]*[a-z0-9])?$")  # gto's artifact names
_STAGE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_VERSION_TAG = re.compile(r"^(?P<name>.+)@v(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)$")


@dataclass(frozen=True)
class Promotion:
    version_tag: str  # model@v0.0.3
    stage_tag: str | None  # model#prod#2
    card: str


def check_names(artifact: str, stage: str | None) -> None:
    if not _NAME.match(artifact):
        raise InputError(f"artifact name {artifact!r} is not valid for a registry tag; use lower-case letters, digits, "
                         "'-' and '/', e.g. 'churn-model'")
    if stage is not None and not _STAGE.match(stage):
        raise InputError(f"stage {stage!r} is not valid for a registry tag; use lower-case letters, digits and '-', "
                         "e.g. 'prod'")


def next_version(existing_tags: list[str], artifact: str, bump: Bump = "patch") -> str:
    """``v<semver>`` one step after the highest ``<artifact>@v…`` tag (from v0.0.0 when there is none)."""
    versions = [
        (int(m["major"]), int(m["minor"]), int(m["patch"]))
        for m in (_VERSION_TAG.match(t) for t in existing_tags) if m and m["name"] == artifact
    ]
    major, minor, patch = max(versions, default=(0, 0, 0))
    if bump == "major":
        return f"v{major + 1}.0.0"
    if bump == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"


def stage_tag(existing_tags: list[str], artifact: str, stage: str) -> str:
    """``<artifact>#<stage>#<n>``: the n-th time this stage was assigned."""
    prefix = f"{artifact}#{stage}#"
    counts = [int(t[len(prefix):]) for t in existing_tags if t.startswith(prefix) and t[len(prefix):].isdigit()]
    return f"{prefix}{max(counts, default=0) + 1}"


NOT_RUNS = {"monitor": "mlgate monitor", "compare-predictions": "mlgate compare-predictions"}  # context["event"]


def check_run_result(result: Result, path: str) -> None:
    """A result that is not a run's (monitoring, two prediction logs) has nothing to promote: InputError."""
    command = NOT_RUNS.get(str(result.context.get("event")))
    if command:
        raise InputError(f"{path}: a result of {command}, not of a run; pass the result 'mlgate run' or 'mlgate ci' "
                         "wrote (--json, default mlgate-result.json)")


def refuse(result: Result, *, fork: bool = False) -> str | None:
    """Why this run must not be promoted, or None: only a passing, complete run of a committed head."""
    if result.verdict != "pass":
        return f"the run's verdict is {result.verdict}, not pass"
    if fork:
        return "the run is from a fork"
    if not result.head.sha:
        return "there is no commit to tag"
    if result.head.dirty:
        return "the work tree had uncommitted changes"
    if not result.reproduced:
        return "the pipeline was not reproduced (--no-repro)"
    return None


def model_card(result: Result, version_tag: str, inputs: dict[str, str]) -> str:
    """The version tag's message: plain text, one fact a line."""
    lines = [f"{version_tag}: promoted by mlgate {result.mlgate_version}", ""]
    lines.append(f"commit: {result.head.sha} ({_one(result.head.ref)})")
    if result.context.get("hypothesis"):
        lines.append(f"hypothesis: {_one(result.context['hypothesis'])}")
    base = f"{_one(result.base.ref)} @ {result.base.short}" if result.base else "none"
    lines.append(f"compared with: {base}; baseline: {result.baseline.source} ({_one(result.baseline.detail)})")
    lines += ["", f"gates: {result.headline()}"]
    for gate in result.gates:
        lines.append(f"  {gate.status:<5} {_one(gate.name)}: {_value(gate.old)} -> {_value(gate.new)} ({_one(gate.message)})")
    lines += ["", "metrics:"]
    lines += [f"  {_one(path)}:{_one(key)} = {_value(entry.get('new'))}"
              for path, keys in sorted(result.metrics.items()) for key, entry in sorted(keys.items())
              if entry.get("new") is not None]
    lines += ["", "params:"]
    lines += [f"  {_one(path)}:{_one(key)} = {_value(entry.get('new'))}"
              for path, keys in sorted(result.params.items()) for key, entry in sorted(keys.items())
              if entry.get("new") is not None]
    lines += ["", "data (DVC hashes of the pipeline's inputs):"]
    lines += [f"  {_one(path)} {digest}" for path, digest in sorted(inputs.items())] or ["  (none tracked by DVC)"]
    return "\n".join(lines) + "\n"


def _one(text: Any) -> str:
    return " ".join(str(text).split())[:200]


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return _one(value) if value is not None else "-"
