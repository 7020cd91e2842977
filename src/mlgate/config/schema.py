"""mlgate.yaml's schema: the typed, frozen config blocks (msgspec structs) and their fields' own checks.

Each block is a ``Strict`` struct (mlgate.config.fields validates it field by field); ``_before`` checks a
field's value as written, ``_after`` the typed value, ``__post_init__`` the fields together. A check raises
ValueError with the words of the problem; mlgate.config.load adds the file, line and key.
"""

from __future__ import annotations

import codecs
import math
import re
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

from mlgate.config.fields import Check, Strict
from mlgate.gating.rules import NAMES as RULE_NAMES
from mlgate.gating.rules import RULES
from mlgate.text.safe import one_line


class BaselineConfig(Strict, frozen=True):
    ref: str | None = None
    reproduce: Literal["auto", "always", "never"] = "auto"
    ledger: bool = True
    max_distance: Annotated[int, Meta(ge=0, le=100_000)] = 20
    # The noise model and the ratchet (mlgate.gating.history): the default branch's last `window` ledger entries;
    # fewer than `min_history` with the metric: a gate with `confidence` is judged on the number alone.
    window: Annotated[int, Meta(ge=2, le=1000)] = 20
    min_history: Annotated[int, Meta(ge=3, le=1000)] = 8
    max_age_days: Annotated[float, Meta(ge=0)] = 14  # an older baseline entry is a warning at the top

    def __post_init__(self) -> None:
        if self.min_history > self.window:
            raise ValueError(f"min_history ({self.min_history}) is above window ({self.window}): no history could be "
                             "long enough; raise window or lower min_history")


Probability = Annotated[float, Meta(gt=0, lt=1)]


class Kpi(Strict, frozen=True):
    """The options and rules of one KPI selector. Every rule given applies.

    The options come first, then one field per rule of the registry (mlgate.gating.rules.RULES), in its order:
    a flag rule takes ``true``; a change or best rule a threshold of at least 0; a value rule any number.
    tests/unit/config/test_kpi_schema.py checks these fields against the registry."""

    direction: Literal["higher", "lower"] | None = None
    severity: Literal["fail", "warn"] = "fail"
    optional: bool = False
    confidence: Probability | None = None
    significance: Probability | None = None
    # the rules (mlgate.gating.rules.RULES, in its order)
    min: float | None = None
    max: float | None = None
    max_drop: Annotated[float, Meta(ge=0.0)] | None = None
    max_drop_pct: Annotated[float, Meta(ge=0.0)] | None = None
    max_increase: Annotated[float, Meta(ge=0.0)] | None = None
    max_increase_pct: Annotated[float, Meta(ge=0.0)] | None = None
    max_drop_from_best: Annotated[float, Meta(ge=0.0)] | None = None
    max_drop_pct_from_best: Annotated[float, Meta(ge=0.0)] | None = None
    max_increase_from_best: Annotated[float, Meta(ge=0.0)] | None = None
    max_increase_pct_from_best: Annotated[float, Meta(ge=0.0)] | None = None
    unchanged: Literal[True] | None = None

    def __post_init__(self) -> None:
        given = [RULES[name] for name, _ in self.rules()]
        if not given:
            raise ValueError(f"no rule given; add at least one of {', '.join(RULE_NAMES)}")
        low, high = self.min, self.max
        if low is not None and high is not None and low > high:
            raise ValueError(f"min ({low:g}) is above max ({high:g}); no value can pass, swap them")
        implied: dict[str, str] = {}
        for rule in given:
            if rule.better:
                implied.setdefault(rule.better, rule.name)
        if len(implied) > 1:
            raise ValueError(
                f"{implied['higher']} (higher is better) and {implied['lower']} (lower is better) contradict; keep one kind"
            )
        if self.direction and implied and self.direction not in implied:
            other = next(iter(implied.values()))
            fix = " or ".join(r.name for r in RULES.values() if r.better == self.direction and r.kind == "change")
            raise ValueError(f"direction: {self.direction} contradicts {other}; use {fix}")
        if self.confidence is not None and self.significance is not None:
            if not math.isclose(self.confidence, 1 - self.significance):
                raise ValueError("confidence and significance disagree; give only one of them")
        if self.confidence_level is not None:
            for rule in given:
                if rule.interval is None:
                    option = "confidence" if self.confidence is not None else "significance"
                    raise ValueError(f"{rule.name} cannot be judged on a confidence interval; remove {option} "
                                     "or put the rule on a KPI of its own")

    @property
    def higher_is_better(self) -> bool | None:
        """The KPI's direction: given explicitly or implied by its rules; None if unknown."""
        if self.direction:
            return self.direction == "higher"
        for name, _ in self.rules():
            if RULES[name].better:
                return RULES[name].better == "higher"
        return None

    @property
    def confidence_level(self) -> float | None:
        if self.confidence is not None:
            return self.confidence
        if self.significance is not None:
            return 1 - self.significance
        return None

    def rules(self) -> list[tuple[str, Any]]:
        """(rule name, threshold) for every rule given, in the registry's order."""
        return [(name, getattr(self, name)) for name in RULE_NAMES if getattr(self, name, None) is not None]


def _inside_repo(value: Any) -> Any:
    """A project-relative path that stays inside the repository (no absolute path, no ``..``)."""
    if isinstance(value, str):
        parts = value.replace("\\", "/").split("/")
        if not value.strip() or value.startswith(("/", "~")) or (len(value) > 1 and value[1] == ":") or ".." in parts:
            raise ValueError(f"{one_line(repr(value))} is not a path inside the repository; "
                             "write it relative to the project root, without '..'")
    return value


def dataset_path(value: Any) -> Any:
    """A dataset's path: inside the repository, and not in git's own folder (``.git/``)."""
    value = _inside_repo(value)
    if isinstance(value, str) and ".git" in value.replace("\\", "/").split("/"):
        raise ValueError(f"{one_line(repr(value))} is inside .git/, git's own files, not a dataset; give the "
                         "path of a CSV or Parquet file in the project")
    return value


class SliceConfig(Strict, frozen=True):
    """One entry of ``predictions.slices``: a column (one slice per value), a column with bin edges, or a
    named filter in pandas query syntax. Written in mlgate.yaml as ``region``, ``age: [0, 18, 65]`` or
    ``{name: night_shift, where: "hour < 6"}``."""

    column: str | None = None
    bins: list[float] | None = None
    name: str | None = None
    where: str | None = None


def _slice_entry(entry: Any) -> Any:
    if isinstance(entry, str):
        return {"column": entry}
    if isinstance(entry, dict) and ("where" in entry or "name" in entry):
        if not isinstance(entry.get("name"), str) or not isinstance(entry.get("where"), str) or len(entry) != 2:
            raise ValueError("a named slice is {name: <text>, where: <pandas query>}, "
                             'e.g. {name: night_shift, where: "hour < 6 or hour >= 22"}')
        from mlgate.stats.where import check

        check(entry["where"])  # before pandas evaluates it: no endless constants, no '@' variables
        return dict(entry)
    if isinstance(entry, dict) and len(entry) == 1:
        (column, bins), = entry.items()
        numbers = isinstance(bins, list) and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bins)
        if not numbers or len(bins) < 2 or any(not a < b for a, b in zip(bins, bins[1:])):
            raise ValueError(f"{one_line(str(column))}: expected at least two increasing bin edges, "
                             f"e.g. [0, 18, 65], got {show(bins)}")
        return {"column": column, "bins": bins}
    raise ValueError(f"expected a column name, {{column: [edges]}} or {{name:, where:}}, got {show(entry)}")


def _slices(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    out = []
    for i, entry in enumerate(value):
        try:
            out.append(_slice_entry(entry))
        except ValueError as exc:
            raise ValueError(f"entry {i + 1}: {exc}") from None
    return out


def _range(value: list[float] | None) -> list[float] | None:
    if value is not None and (len(value) != 2 or not value[0] < value[1]):
        raise ValueError(f"expected [low, high] with low < high, got {value}")
    return value


class PredictionsConfig(Strict, frozen=True):
    path: str
    id: str = "id"
    label: str = "label"
    prediction: str = "pred"
    score: str | None = None
    slices: list[SliceConfig] = []
    features: str | None = None  # more columns for slices, joined on the id
    min_slice_size: Annotated[int, Meta(ge=1)] = 30  # smaller slices are reported, not gated
    slice_correction: Literal["holm", "bh", "none"] = "holm"
    calibration_bins: Annotated[int, Meta(ge=1, le=100)] = 10
    prediction_range: list[float] | None = None  # [low, high]: health counts predictions outside

    _before: ClassVar[dict[str, Check]] = {"path": _inside_repo, "features": _inside_repo, "slices": _slices}
    _after: ClassVar[dict[str, Check]] = {"prediction_range": _range}


class ModelConfig(Strict, frozen=True):
    """``model:``: the trained model file (or directory) of both sides, for size, latency and interface."""

    path: str
    loader: Literal["joblib", "pickle", "skops", "onnx"] = "joblib"
    sample: str | None = None  # rows to time predict() on; without it, no latency
    rows: Annotated[int, Meta(ge=1)] = 1000
    repeats: Annotated[int, Meta(ge=5, le=1000)] = 30  # interleaved base/head timings per measurement

    _before: ClassVar[dict[str, Check]] = {"path": _inside_repo, "sample": _inside_repo}


DATASET_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class DatasetConfig(Strict, frozen=True):
    """One dataset under `data:`: a CSV or Parquet file (or a glob of partitions) profiled at both revisions."""

    path: str
    target: str | None = None
    reference: str | None = None  # another dataset's name under `data:`, or a path
    format: Literal["csv", "parquet"] | None = None  # default: from the file name
    delimiter: str | None = None  # CSV only; default ",", or a tab for .tsv
    encoding: str = "utf-8"  # CSV only
    header: bool | None = None  # CSV only; default: a first row that looks like data is not a header
    columns: list[str] | None = None  # CSV only: the column names of a file without a header row

    _after: ClassVar[dict[str, Check]] = {"path": dataset_path}

    def __post_init__(self) -> None:
        if self.columns is not None:
            if self.header:
                raise ValueError("columns names the columns of a file without a header row; remove it, or set "
                                 "header: false")
            if not self.columns or not all(isinstance(c, str) and c for c in self.columns):
                raise ValueError("columns must be a list of non-empty names, e.g. [id, label, text]")
            twice = next((c for c in self.columns if self.columns.count(c) > 1), None)
            if twice is not None:
                raise ValueError(f"columns names {one_line(repr(twice))} twice; every column needs its own name")
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}; e.g. ';' or '\\t'")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ValueError(f"encoding {self.encoding!r} is not known; use e.g. utf-8, latin-1 or cp1252") from None


def _report_id(value: str) -> str:
    from mlgate.config.report_id import check_report_id

    try:
        return check_report_id(value)
    except Exception as exc:  # noqa: BLE001 - InputError: said as this key's problem
        raise ValueError(str(exc)) from None


def _dispatch(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}", value):
        raise ValueError(f"{one_line(repr(value))} is not a usable event type; use letters, digits, '.', '_',"
                         " ':' or '-', e.g. mlgate-drift")
    return value


class MonitorConfig(Strict, frozen=True):
    """``monitor:``: a production sample compared with what the default branch last recorded (mlgate monitor)."""

    sample: str | None = None  # a file, a glob or a directory of CSV/Parquet partitions (or --sample)
    dataset: str | None = None  # the `data:` dataset it is compared with; default the first
    report_id: str = "monitoring"
    psi: Annotated[float, Meta(gt=0)] = 0.2  # a column drifts when its PSI is at least this ...
    significance: Probability = 0.01  # ... and its KS / chi-squared p-value below this
    max_empty_share: Annotated[float, Meta(ge=0, le=1)] = 0.05  # predictions that are missing or blank
    min_distinct_labels: Annotated[int, Meta(ge=1)] = 2  # fewer predicted labels: the model collapsed
    max_label_shift_js: Annotated[float, Meta(gt=0, le=1)] = 0.2  # predicted labels against the test predictions
    max_metric_drop: Annotated[float, Meta(ge=0)] = 0.05  # on labelled rows, against the recorded test metric
    min_labelled_rows: Annotated[int, Meta(ge=1)] = 30  # fewer labelled rows: metrics shown, not judged
    dispatch: str | None = "mlgate-drift"  # repository_dispatch event type on an alarm in Actions; null: none

    _after: ClassVar[dict[str, Check]] = {"sample": dataset_path, "report_id": _report_id, "dispatch": _dispatch}


def _plots(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
        return value
    raise ValueError(f"expected true, false or a list of plot ids from dvc.yaml, got {show(value)}")


class ReportConfig(Strict, frozen=True):
    title: str = "mlgate"
    template: str | None = None
    # the plots dvc.yaml declares: true (all), false (none), or a list of plot ids (paths or names)
    plots: bool | list[str] = True

    _before: ClassVar[dict[str, Check]] = {"plots": _plots}
    _after: ClassVar[dict[str, Check]] = {"template": _inside_repo}


def _data_shorthand(value: Any) -> Any:
    """``train: data/train.csv`` is ``train: {path: data/train.csv}``."""
    if isinstance(value, dict):
        return {name: {"path": entry} if isinstance(entry, str) else entry for name, entry in value.items()}
    return value


def _kpi_shorthand(value: Any) -> Any:
    """``data.train.schema: unchanged`` is ``{unchanged: true}`` (a flag rule named alone)."""
    if not isinstance(value, dict):
        return value
    flags = [r.name for r in RULES.values() if r.flag]
    out = {}
    for key, kpi in value.items():
        if isinstance(kpi, str):
            if kpi not in flags:
                raise ValueError(
                    f"{one_line(str(key))}: {one_line(repr(kpi))} is not a rule; write a mapping such as "
                    f"{{min: 0.9}}, or one of {', '.join(flags)} alone"
                )
            kpi = {kpi: True}
        out[key] = kpi
    return out


class Config(Strict, frozen=True):
    version: Literal[1]
    baseline: BaselineConfig = msgspec.field(default_factory=BaselineConfig)
    kpis: dict[str, Kpi] = {}
    predictions: PredictionsConfig | None = None
    model: ModelConfig | None = None
    report: ReportConfig = msgspec.field(default_factory=ReportConfig)
    data: dict[str, DatasetConfig] = {}
    monitor: MonitorConfig | None = None
    addons: dict[str, Any] = {}  # the blocks of registered families (config.blocks), never written in mlgate.yaml

    _before: ClassVar[dict[str, Check]] = {"data": _data_shorthand, "kpis": _kpi_shorthand}



def show(value: Any) -> str:
    """A value as an error message shows it: on one line, at most 80 characters, with its kind."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[:3]}…{digits[-3:]} (an integer of {len(digits)} digits)"
    shown = one_line(repr(value))
    if len(shown) > 80:
        shown = shown[:77] + "…"
    if isinstance(value, str):
        return shown
    return f"{shown} ({kind_of(value)})"


def kind_of(value: Any) -> str:
    """A value's kind in words: a mapping, a list, text, a boolean, nothing, or its type's name."""
    return {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )

