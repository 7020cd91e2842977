"""What `mlgate init` writes: mlgate.yaml and the GitHub workflow, built from what the project declares.

Pure: takes a `Discovery` (what the DVC edge found) and the starter templates' text (top-level
``templates/`` of the repository, shipped in the wheel as ``mlgate/starter``), returns file text. Every
written line carries a comment that says why it is there. Metric names are the user's text: they reach
YAML only as JSON-quoted scalars and comments only through `_comment_safe`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlgate import __version__
from mlgate.config.schema import BaselineConfig
from mlgate.text.metric_names import guess_direction, is_cutoff, metric_word, words

# How a workflow names this action. Replace the ref with the release's commit SHA when you pin it.
ACTION_REPOSITORY = "OWNER/mlgate"
ACTION_REF = f"v{__version__}"

# Scores on a 0-1 scale (when the value is within [-1, 1]): near zero, a percentage of the value is no margin.
UNIT_SCALE = ("acc", "accuracy", "top", "f1", "f2", "fbeta", "auc", "auroc", "auprc", "roc", "precision", "prec",
              "recall", "tpr", "tnr", "r2", "map", "ap", "ndcg", "mrr", "hit", "hits", "hitrate", "iou", "miou", "dice",
              "jaccard", "rouge", "specificity", "sensitivity", "mcc", "kappa", "wer", "cer", "ter", "fpr", "fnr", "ece")
# a cost, not the model's quality: reported, never blocks
COSTS = ("size", "time", "duration", "latency", "ms", "seconds", "secs", "mb", "gb", "kb", "bytes", "memory", "throughput")
# Words naming the data split a metric was measured on (dvclive: ``train.loss``, ``eval.acc``; ``roc_auc.test``).
HELD_OUT = ("test", "testing", "val", "valid", "validation", "eval", "evaluation", "dev", "holdout", "heldout")
TRAIN = ("train", "training")
# Words that group a headline metric without narrowing it to a class or a slice (``macro avg.f1-score``).
NEUTRAL = ("metrics", "metric", "scores", "score", "results", "summary", "overall", "total", "all", "final", "best",
           "set", "split", "data", "dataset", "avg", "average", "mean", "macro", "micro", "weighted")
MAX_DROP_PCT = 2  # default allowed drop for higher-is-better metrics, percent of the base
MAX_INCREASE_PCT = 5  # default allowed rise for lower-is-better metrics (losses are noisier than scores)
MIN_MARGIN = 0.01  # the smallest margin on a 0-1 scale (one point): below it a percentage gate is absolute
MAX_GATES = 12  # more than this many gates is noise in a first config; the rest is listed, not gated
NOISE_RUNS = BaselineConfig().min_history  # named in the config's note on confidence

# DVC remote URL scheme -> the environment its credentials come from (GitHub secrets of the same name).
REMOTE_SECRETS: dict[str, tuple[str, ...]] = {
    "s3": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    "gs": ("GOOGLE_APPLICATION_CREDENTIALS",),
    "azure": ("AZURE_STORAGE_CONNECTION_STRING",),
}

STARTER_CONFIG = "mlgate.yaml"
STARTER_WORKFLOW = "github-workflow.yml"
STARTER_REPORT = "report"


@dataclass(frozen=True)
class Discovery:
    """What the project declares, as `mlgate init` found it (paths relative to the project directory)."""

    metric_files: tuple[str, ...] = ()  # declared in dvc.yaml, present or not
    metrics: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # file -> dotted key -> value
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # file -> dotted key -> value
    plots: tuple[str, ...] = ()
    project_dir: str = "."  # the DVC project, relative to the git repository's root
    default_branch: str = "main"
    requirements: str | None = None  # relative to the git root: requirements.txt or pyproject.toml
    remote_url: str | None = None  # the default DVC remote's URL, when one is configured
    remote_committed: bool = True  # .dvc/config names it (a clone has it), not only config.local or the user's
    unreadable: Mapping[str, str] = field(default_factory=dict)  # metrics file -> why DVC could not read it


@dataclass(frozen=True)
class Gate:
    selector: str
    direction: str  # "higher" | "lower"
    word: str  # the word in the name the direction comes from
    sure: bool  # a headline metric of a held-out split (or of no named split): a regression blocks
    why: str  # why it does not block, when not sure
    file: str
    value: Any
    margin: float | None = None  # an absolute margin (max_drop / max_increase) instead of a percentage


def starter_dir() -> Path:
    """The starter templates: ``mlgate/starter`` in an installed wheel, ``templates/`` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "starter", here.parents[2] / "templates"):
        if (candidate / STARTER_CONFIG).is_file():
            return candidate
    raise FileNotFoundError(f"mlgate's starter templates are missing next to {here}; reinstall mlgate")


def headline(key: str, word: str) -> tuple[bool, str]:
    """(True, "") for a headline metric of a held-out split or of no named split; else (False, why not).
    Split words (``test``, ``val``, ``eval``, ``train``) are where it was measured, not doubt; a segment that
    is neither a split, a grouping word nor the metric's own name (a class, a slice: ``per_class.cat.recall``)
    makes it a detail."""
    raw = key.split(".")
    segments = [words(segment) for segment in raw]
    every = [w for ws in segments for w in ws]
    if any(w in TRAIN for w in every) and not any(w in HELD_OUT for w in every):
        return False, "measured on the training split"
    if word in COSTS:
        return False, f"a cost (\"{word}\"), not the model's quality"
    context = HELD_OUT + TRAIN + NEUTRAL
    for segment, ws in zip(raw, segments):
        named = any(metric_word(w) for w in ws)
        if not ws or (named and any(w in ("class", "label", "cls") for w in ws)):
            return False, "one class or slice of it"
        if named and any(w.isdigit() for w in ws) and not is_cutoff(segment, ws):
            return False, "one class or slice of it"  # class_3_f1; but ndcg@10, recall_at_5, map_50 are headlines
        if not named and not all(w in context for w in ws):
            return False, "one class or slice of it"
    return True, ""


def margin(direction: str, word: str, value: float) -> float | None:
    """An absolute margin for a 0-1 score near zero (r2 = 0.013: 2% of it is 0.00026, no margin at all);
    None where a percentage of the base is the margin."""
    pct = MAX_DROP_PCT if direction == "higher" else MAX_INCREASE_PCT
    if word in UNIT_SCALE and abs(value) <= 1 and abs(value) * pct / 100 < MIN_MARGIN:
        return MIN_MARGIN
    return None


def plan_gates(metrics: Mapping[str, Mapping[str, Any]]) -> tuple[list[Gate], list[str]]:
    """One gate per numeric metric whose name says its direction; the others' selectors, ungated."""
    owners: dict[str, list[str]] = {}
    for path, keys in metrics.items():
        for key in keys:
            owners.setdefault(key, []).append(path)
    gates: list[Gate] = []
    ungated: list[str] = []
    for path, keys in metrics.items():
        for key, value in keys.items():
            selector = key if len(owners[key]) == 1 else f"{path}:{key}"
            guess = guess_direction(key)
            if not _is_number(value) or not _finite(value) or guess is None:
                ungated.append(selector)
                continue
            direction, word = guess
            absolute = margin(direction, word, value)
            if value == 0 and absolute is None:
                ungated.append(selector)  # no scale for a margin: a percentage of 0 is 0
                continue
            sure, why = headline(key, word)
            gates.append(Gate(selector, direction, word, sure, why, path, value, absolute))
    gates.sort(key=lambda g: (not g.sure, g.selector))
    ungated.extend(g.selector for g in gates[MAX_GATES:])
    return gates[:MAX_GATES], ungated


def config_text(found: Discovery, template: str) -> str:
    """mlgate.yaml: the starter config with a gate per headline metric, a comment on every line."""
    gates, ungated = plan_gates(found.metrics)
    if gates:
        kpis = ["kpis:  # one gate per metric whose name says which way is better; severity warn = never blocks"]
        for gate in gates:
            kpis += _gate_lines(gate)
    else:
        why = ("no metric with a known direction yet" if found.metrics
               else "no metrics readable yet" if found.metric_files else "no metrics found in dvc.yaml yet")
        kpis = [f"kpis: {{}}  # {why}: the report still compares every metric and param with the base"]
    notes: list[str] = []
    missing = [p for p in found.metric_files if p not in found.metrics and p not in found.unreadable]
    if found.unreadable:
        notes.append("# Metrics or params files DVC could not read (fix them, then `mlgate init --force`): "
                     + ", ".join(f"{_comment_safe(p)} ({_comment_safe(why)})" for p, why in found.unreadable.items()))
    if missing:
        notes.append("# Declared metrics files not produced yet (run `dvc repro`, then `mlgate init --force`): "
                     + ", ".join(_comment_safe(p) for p in missing))
    if ungated:
        notes.append("# Compared in the report, not gated (add a gate by copying a name under kpis:): "
                     + ", ".join(_comment_safe(s) for s in ungated))
    params = [f"{path}:{key}" for path, keys in found.params.items() for key in keys]
    if params:
        notes.append(f"# Params the report compares ({len(params)}): "
                     + ", ".join(_comment_safe(p) for p in params[:20]) + (" ..." if len(params) > 20 else ""))
    if found.plots:
        notes.append("# Plots (shown in the report, never gated): " + ", ".join(_comment_safe(p) for p in found.plots))
    if gates:
        notes.append("# Noisy metrics: add `confidence: 0.95` to a gate to judge it on main's run-to-run noise once"
                     f" the ledger holds {NOISE_RUNS} recorded runs (until then, on the number alone), and"
                     " `max_drop_pct_from_best: 2` (`max_increase_pct_from_best` where lower is better) to fail a slow"
                     " slide; `mlgate check` says how much history each has.")
    notes.append("# Your own report layout: copy mlgate's example template folder and set report: {template: DIR}.")
    return _fill(template, kpis="\n".join(kpis), notes="\n".join(_wrap(n) for n in notes))


def workflow_text(found: Discovery, template: str, action: str | None = None) -> str:
    """.github/workflows/mlgate.yml: pull requests and pushes to the default branch, the action pinned."""
    inputs = []
    if found.project_dir not in ("", "."):
        inputs.append(f"          project-dir: {yaml_quoted(found.project_dir)}  # the DVC project's folder")
    if found.requirements:
        why = ("the pipeline's dependencies, installed next to mlgate" if found.requirements.endswith(".txt")
               else "the pipeline's dependencies (project.dependencies), installed next to mlgate")
        inputs.append(f"          requirements: {yaml_quoted(found.requirements)}  # {why}")
    inputs.append("          python-version: \"3.11\"  # the Python the pipeline and mlgate run with")
    env = ""
    problem = remote_problem(found)
    if problem:
        env = f"        # {_comment_safe(problem)}\n"
    elif found.remote_url:
        scheme = found.remote_url.split("://", 1)[0].lower()
        secrets = REMOTE_SECRETS.get(scheme, ())
        lines = ["        env:  # the DVC remote's credentials: add these as repository secrets"]
        lines += [f"          {name}: ${{{{ secrets.{name} }}}}  # read by DVC for the {scheme} remote"
                  for name in secrets]
        if not secrets:
            lines = ["        # The DVC remote needs credentials: pass them here as env: from repository secrets."]
        env = "\n".join(lines) + "\n"
    if action and re.fullmatch(r".+@[0-9a-f]{40}", action):
        uses = f"{action}  # mlgate, pinned to a commit (supply-chain safety)"
    else:
        uses = f"{action or ACTION_REPOSITORY + '@' + ACTION_REF}  # replace the tag with its commit SHA to pin it"
    return _fill(template, default_branch=found.default_branch, action=uses, env=env, inputs="\n".join(inputs))


# Characters YAML will not read as themselves even inside quotes (its printable set is narrower than JSON's):
# DEL and the C1 controls (NEL, like the line and paragraph separators, is a line break to YAML), lone
# surrogates, and the two non-characters at the end of the basic plane.
_NOT_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def yaml_quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar that reads back as ``text``: JSON's quoting (a subset of YAML's),
    with the characters YAML rejects written as escapes too."""
    return _NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def remote_problem(found: Discovery) -> str | None:
    """Why a runner could not reach the default DVC remote as configured here, or None."""
    if not found.remote_url:
        return None
    if not found.remote_committed:
        return ("The default DVC remote is set outside .dvc/config (in .dvc/config.local or your own DVC config),"
                " which a clone does not have: add it with 'dvc remote add -d NAME URL' and commit .dvc/config.")
    if "://" not in found.remote_url or found.remote_url.lower().startswith("file://"):
        return (f"The default DVC remote is a directory on this machine ({found.remote_url}): a runner cannot"
                " reach it; use a shared one (s3://, gs://, azure://, ssh://, ...) for CI.")
    return None


def _gate_lines(gate: Gate) -> list[str]:
    where = f"now {_value(gate.value)} in {_comment_safe(gate.file)}"
    name = f"  {yaml_quoted(gate.selector)}:  # {where}"
    word = _comment_safe(gate.word)
    if gate.margin is not None:
        rule = "max_drop" if gate.direction == "higher" else "max_increase"
        pct = MAX_DROP_PCT if gate.direction == "higher" else MAX_INCREASE_PCT
        went = "drop" if gate.direction == "higher" else "rise"
        rule = (f"    {rule}: {gate.margin:g}  # {gate.direction} is better (\"{word}\"); near zero {pct}% of it is no"
                f" margin: fail on a {went} of more than {gate.margin:g} (absolute)")
    elif gate.direction == "higher":
        rule = f"    max_drop_pct: {MAX_DROP_PCT}  # higher is better (\"{word}\"): fail on a drop of more than {MAX_DROP_PCT}%"
    else:
        rule = (f"    max_increase_pct: {MAX_INCREASE_PCT}  # lower is better (\"{word}\"): "
                f"fail on a rise of more than {MAX_INCREASE_PCT}%")
    if gate.sure:
        severity = "    severity: fail  # a headline metric: a regression blocks the merge"
    else:
        severity = f"    severity: warn  # {gate.why}: reported, never blocks; make it fail to block on it"
    return [name, rule, severity]


def _fill(template: str, **values: str) -> str:
    """Replace each ``[[ name ]]`` line-marker; a marker left over is a broken starter template."""
    text = template
    for name, value in values.items():
        marker = f"[[ {name} ]]"
        if marker + "\n" in text and not value:
            text = text.replace(marker + "\n", "")
        text = text.replace(marker, value)
    leftover = re.search(r"\[\[ \w+ \]\]", text)
    if leftover:
        raise ValueError(f"starter template has an unfilled marker {leftover.group(0)}")
    return text if text.endswith("\n") else text + "\n"


def _wrap(note: str, width: int = 110) -> str:
    out, line = [], ""
    for word in note.split(" "):
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = "#  " + word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "\n".join(out)


def _comment_safe(text: str) -> str:
    """The user's text inside a YAML comment: one line, no control characters."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(text))


def _value(value: Any) -> str:
    return f"{value:.6g}" if _is_number(value) else _comment_safe(repr(value))


def _finite(value: float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond float range
        return False


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
