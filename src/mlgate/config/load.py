"""mlgate.yaml: one typed config object, validated once, with errors that name the file, line and fix.

The schema lives in the msgspec structs below (typed, frozen config objects and strict conversion, from a
library that imports in milliseconds: every run loads the config); `load_config` parses the YAML (keeping line
numbers), validates it field by field (mlgate.config.fields: every problem is collected, with its key
path), and turns the first problem into one `ConfigError` line such as::

    mlgate.yaml:7: kpis.accuracy.max_dorp: unknown key; did you mean 'max_drop'? (allowed: min, max, ...)
"""

from __future__ import annotations

import codecs
import difflib
import math
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import msgspec
import yaml
from msgspec import Meta

from mlgate.config.blocks import ADDON_BLOCKS
from mlgate.errors import ConfigError
from mlgate.text.safe import one_line
from mlgate.gating.rules import NAMES as RULE_NAMES
from mlgate.gating.rules import RULES, Rule
from mlgate.config.fields import Check, Invalid, Problem, Strict, fields, struct_in
from mlgate.config.fields import validate as validate_struct

CONFIG_NAME = "mlgate.yaml"


class BaselineConfig(Strict):
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


class _KpiOptions(Strict):
    """The options of one KPI selector; its rules are added from the registry (mlgate.gating.rules) below."""

    direction: Literal["higher", "lower"] | None = None
    severity: Literal["fail", "warn"] = "fail"
    optional: bool = False
    confidence: Probability | None = None
    significance: Probability | None = None

    def __post_init__(self) -> None:
        given = [RULES[name] for name, _ in self.rules()]
        if not given:
            raise ValueError(f"no rule given; add at least one of {', '.join(RULE_NAMES)}")
        low, high = getattr(self, "min", None), getattr(self, "max", None)
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


def _rule_field(rule: Rule) -> tuple[str, Any, Any]:
    if rule.flag:
        return (rule.name, Literal[True] | None, None)
    if rule.kind in ("change", "best"):
        return (rule.name, Annotated[float, Meta(ge=0.0)] | None, None)
    return (rule.name, float | None, None)


# The rules on one KPI selector, one field per rule in the registry, after the options. Every rule given applies.
Kpi = msgspec.defstruct("Kpi", [_rule_field(rule) for rule in RULES.values()], bases=(_KpiOptions,),
                        module=__name__)


def _inside_repo(value: Any) -> Any:
    """A project-relative path that stays inside the repository (no absolute path, no ``..``)."""
    if isinstance(value, str):
        parts = value.replace("\\", "/").split("/")
        if not value.strip() or value.startswith(("/", "~")) or (len(value) > 1 and value[1] == ":") or ".." in parts:
            raise ValueError(f"{_one_line(repr(value))} is not a path inside the repository; "
                             "write it relative to the project root, without '..'")
    return value


def _dataset_path(value: Any) -> Any:
    """A dataset's path: inside the repository, and not in git's own folder (``.git/``)."""
    value = _inside_repo(value)
    if isinstance(value, str) and ".git" in value.replace("\\", "/").split("/"):
        raise ValueError(f"{_one_line(repr(value))} is inside .git/, git's own files, not a dataset; give the "
                         "path of a CSV or Parquet file in the project")
    return value


class SliceConfig(Strict):
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
            raise ValueError(f"{_one_line(str(column))}: expected at least two increasing bin edges, "
                             f"e.g. [0, 18, 65], got {_show(bins)}")
        return {"column": column, "bins": bins}
    raise ValueError(f"expected a column name, {{column: [edges]}} or {{name:, where:}}, got {_show(entry)}")


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


class PredictionsConfig(Strict):
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


class ModelConfig(Strict):
    """``model:``: the trained model file (or directory) of both sides, for size, latency and interface."""

    path: str
    loader: Literal["joblib", "pickle", "skops", "onnx"] = "joblib"
    sample: str | None = None  # rows to time predict() on; without it, no latency
    rows: Annotated[int, Meta(ge=1)] = 1000
    repeats: Annotated[int, Meta(ge=5, le=1000)] = 30  # interleaved base/head timings per measurement

    _before: ClassVar[dict[str, Check]] = {"path": _inside_repo, "sample": _inside_repo}


DATASET_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class DatasetConfig(Strict):
    """One dataset under `data:`: a CSV or Parquet file (or a glob of partitions) profiled at both revisions."""

    path: str
    target: str | None = None
    reference: str | None = None  # another dataset's name under `data:`, or a path
    format: Literal["csv", "parquet"] | None = None  # default: from the file name
    delimiter: str | None = None  # CSV only; default ",", or a tab for .tsv
    encoding: str = "utf-8"  # CSV only
    header: bool | None = None  # CSV only; default: a first row that looks like data is not a header
    columns: list[str] | None = None  # CSV only: the column names of a file without a header row

    _after: ClassVar[dict[str, Check]] = {"path": _dataset_path}

    def __post_init__(self) -> None:
        if self.columns is not None:
            if self.header:
                raise ValueError("columns names the columns of a file without a header row; remove it, or set "
                                 "header: false")
            if not self.columns or not all(isinstance(c, str) and c for c in self.columns):
                raise ValueError("columns must be a list of non-empty names, e.g. [id, label, text]")
            twice = next((c for c in self.columns if self.columns.count(c) > 1), None)
            if twice is not None:
                raise ValueError(f"columns names {_one_line(repr(twice))} twice; every column needs its own name")
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
        raise ValueError(f"{_one_line(repr(value))} is not a usable event type; use letters, digits, '.', '_',"
                         " ':' or '-', e.g. mlgate-drift")
    return value


class MonitorConfig(Strict):
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

    _after: ClassVar[dict[str, Check]] = {"sample": _dataset_path, "report_id": _report_id, "dispatch": _dispatch}


def _plots(value: Any) -> Any:
    if isinstance(value, bool) or (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
        return value
    raise ValueError(f"expected true, false or a list of plot ids from dvc.yaml, got {_show(value)}")


class ReportConfig(Strict):
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
                    f"{_one_line(str(key))}: {_one_line(repr(kpi))} is not a rule; write a mapping such as "
                    f"{{min: 0.9}}, or one of {', '.join(flags)} alone"
                )
            kpi = {kpi: True}
        out[key] = kpi
    return out


class Config(Strict):
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


def blocks(config: Config) -> tuple[str, ...]:
    """The names of the config's top-level keys (``kpis``, ``data``, ``predictions``...)."""
    return config.__struct_fields__


def replace(block: Any, **changes: Any) -> Any:
    """A copy of a config block with some fields changed (not validated again)."""
    return msgspec.structs.replace(block, **changes)


def load_config(path: Path) -> Config:
    """Read and validate mlgate.yaml; raise ConfigError (exit 2) with one line on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such file; create it (see the README's mlgate.yaml reference) or pass --config"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}; check the file's permissions and encoding") from None
    return parse_config(text, str(path))


MAX_CONFIG_CHARS = 1_000_000
MAX_YAML_NODES = 100_000


def yaml_size(node: yaml.Node | None, limit: int = MAX_YAML_NODES) -> int:
    """How many nodes the document has once every alias is expanded, counted without expanding (an
    alias bomb — anchors repeated inside anchors — is a few lines that expand to billions); stops past
    ``limit``."""
    sizes: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        if id(n) in sizes:
            return sizes[id(n)]
        sizes[id(n)] = 1  # a recursive alias counts once (SafeLoader refuses to construct it anyway)
        total = 1
        if isinstance(n, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total += sum(size(c) for c in n.value)
        sizes[id(n)] = total = min(total, limit + 1)
        return total

    return 0 if node is None else size(node)


def parse_config(text: str, name: str = CONFIG_NAME) -> Config:
    if len(text) > MAX_CONFIG_CHARS:
        raise ConfigError(f"{name}: {len(text):,} characters, more than the {MAX_CONFIG_CHARS:,} mlgate reads;"
                          " an mlgate.yaml is a few dozen lines: check that this is the right file")
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # one parse: the nodes (line numbers, size) and the data built from them
        node = loader.get_single_node()
        if node is not None:
            _check_merge_keys(node, (), set(), name)
        if yaml_size(node) > MAX_YAML_NODES:
            raise ConfigError(f"{name}: expands to more than {MAX_YAML_NODES:,} YAML nodes through its aliases"
                              " (&anchor/*alias); write the values out instead of nesting aliases")
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = getattr(exc, "position", None)  # a character YAML does not allow (yaml.reader.ReaderError)
        line = mark.line + 1 if mark else text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        where = f"{name}:{line}" if line else name
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML: {problem}; fix the syntax at that line") from None
    except RecursionError:
        raise ConfigError(f"{name}: nested too deeply to read; an mlgate.yaml is a few levels deep") from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        try:
            _index_lines(node, (), lines, name)
        except RecursionError:
            raise ConfigError(f"{name}: nested too deeply to read; an mlgate.yaml is a few levels deep") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping with 'version: 1' and 'kpis:', got {_kind(data)}")
    if "version" not in data:
        raise ConfigError(f"{name}: missing 'version'; add 'version: 1' at the top")
    if type(data["version"]) is not int:  # a bool or 1.0 would slip through Literal[1] (True == 1.0 == 1)
        where = f"{name}:{lines[('version',)]}" if ("version",) in lines else name
        raise ConfigError(f"{where}: version: expected 1, got {_show(data['version'])}; write 'version: 1'")
    if "addons" in data:  # the field holding the registered families' blocks, not a key of the file
        raise ConfigError(_first_error([Problem(("addons",), "unknown", data["addons"])], name, lines))
    addons = {key: data[key] for key in data if key in ADDON_BLOCKS}
    try:
        config = validate({key: value for key, value in data.items() if key not in addons})
        if addons:
            config = replace(config, addons={key: _validate_addon(key, value) for key, value in addons.items()})
    except Invalid as exc:
        raise ConfigError(_first_error(exc.problems, name, lines)) from None
    _check_predictions_kpis(config, name)
    _check_datasets(config, name, lines)
    _check_monitor(config, name, lines)
    return config


PREDICTIONS_PREFIX = "predictions."


def _check_predictions_kpis(config: Config, source: str) -> None:
    """``predictions.*`` KPIs name known metrics, with a score column when a metric needs one, and take
    ``confidence``/``significance`` only with a predictions: block. (On any other metric a confidence level is
    judged on the noise of the default branch's ledger history: mlgate.gating.history.)"""
    for selector, kpi in config.kpis.items():
        pattern = selector.rpartition(":")[2]
        shown = _one_line(selector)
        option = "confidence" if kpi.confidence is not None else "significance"
        if not pattern.startswith(PREDICTIONS_PREFIX):
            continue
        if config.predictions is None:
            if kpi.confidence_level is not None:
                raise ConfigError(
                    f"{source}: kpis.{shown}: {option} needs per-example predictions; add a predictions: "
                    "block (path, id, label, prediction, score) naming the file the evaluate stage writes"
                )
            continue
        name = pattern.removeprefix(PREDICTIONS_PREFIX)
        if "." in name:
            _check_nested_predictions_kpi(config, source, shown, name, kpi, option)
            continue
        if "*" in name:
            continue
        from mlgate.stats.metrics import METRICS

        metric = METRICS.get(name)
        if metric is None:
            known = ", ".join(PREDICTIONS_PREFIX + n for n in METRICS)
            raise ConfigError(f"{source}: kpis.{shown}: no such predictions metric; use one of {known}")
        if metric.needs_score and config.predictions.score is None:
            raise ConfigError(
                f"{source}: kpis.{shown}: {metric.key} needs the positive-class probability; "
                "set predictions.score to the column that holds it"
            )


def _check_nested_predictions_kpi(config: Config, source: str, shown: str, name: str, kpi: Any, option: str) -> None:
    """``predictions.slice.<slice>.<metric>``, ``predictions.health.*``, ``.flips.*``, ``.calibration.*``."""
    from mlgate.stats.calibration import NAMES as CALIBRATION
    from mlgate.stats.flips import NAMES as FLIPS
    from mlgate.stats.health import NAMES as HEALTH
    from mlgate.stats.metrics import METRICS

    assert config.predictions is not None
    group, _, rest = name.partition(".")
    if group == "slice":
        metric = rest.rpartition(".")[2]
        if not config.predictions.slices:
            raise ConfigError(f"{source}: kpis.{shown}: a slice metric needs slices; add predictions.slices "
                              "(a column, {column: [bin edges]} or {name:, where:})")
        if "." not in rest:
            raise ConfigError(f"{source}: kpis.{shown}: expected predictions.slice.<slice>.<metric>, "
                              "e.g. predictions.slice.region=*.accuracy")
        if metric == "rows" and kpi.confidence_level is not None:
            raise ConfigError(f"{source}: kpis.{shown}: a slice's rows cannot be judged on a confidence interval; "
                              f"remove {option}")
        if metric != "*" and metric != "rows" and metric not in METRICS:
            known = ", ".join(METRICS)
            raise ConfigError(f"{source}: kpis.{shown}: no such predictions metric {metric!r} for a slice; "
                              f"use rows or one of {known}")
        if metric in METRICS and METRICS[metric].needs_score and config.predictions.score is None:
            raise ConfigError(f"{source}: kpis.{shown}: {metric} needs the positive-class probability; "
                              "set predictions.score to the column that holds it")
        return
    known_by_group = {"health": HEALTH, "flips": FLIPS, "calibration": CALIBRATION}
    if group not in known_by_group:
        raise ConfigError(f"{source}: kpis.{shown}: no such predictions metric; nested ones are "
                          "predictions.slice.<slice>.<metric>, predictions.health.*, predictions.flips.* "
                          "and predictions.calibration.*")
    if kpi.confidence_level is not None:
        raise ConfigError(f"{source}: kpis.{shown}: {option} applies to predictions metrics and slices, not to "
                          f"predictions.{group}.*; remove {option}")
    if rest != "*" and rest not in known_by_group[group]:
        raise ConfigError(f"{source}: kpis.{shown}: no such figure; predictions.{group}.* has "
                          f"{', '.join(known_by_group[group])}")
    if group == "calibration" and config.predictions.score is None:
        raise ConfigError(f"{source}: kpis.{shown}: calibration needs the positive-class probability; "
                          "set predictions.score to the column that holds it")


def _check_datasets(config: Config, name: str, lines: dict[tuple[str, ...], int]) -> None:
    """Dataset names become metric key segments; a reference names another dataset or a path."""
    for key, dataset in config.data.items():
        where = f"{name}:{lines[('data', key)]}" if ("data", key) in lines else name
        shown = _one_line(key)
        if not DATASET_NAME.match(key):
            raise ConfigError(
                f"{where}: data.{shown}: a dataset name is part of metric keys; use letters, digits, '_' or '-', "
                "e.g. 'train'"
            )
        if dataset.reference == key:
            raise ConfigError(f"{where}: data.{shown}.reference: a dataset cannot be its own reference; name another")
        if dataset.reference is not None and dataset.reference not in config.data:
            try:
                _dataset_path(dataset.reference)
            except ValueError as exc:
                raise ConfigError(f"{where}: data.{shown}.reference: not a dataset under data:, and {exc}") from None


def _check_monitor(config: Config, name: str, lines: dict[tuple[str, ...], int]) -> None:
    """``monitor.dataset`` names a dataset under ``data:``, and there is one to compare with."""
    monitor = config.monitor
    if monitor is None:
        return
    where = f"{name}:{lines[('monitor',)]}" if ("monitor",) in lines else name
    if not config.data:
        raise ConfigError(f"{where}: monitor: needs the training data to compare with; add a data: block naming "
                          "the dataset the model is trained on (e.g. data: {train: data/train.csv})")
    if monitor.dataset is not None and monitor.dataset not in config.data:
        raise ConfigError(f"{where}: monitor.dataset: {_one_line(repr(monitor.dataset))} is not a dataset under data:"
                          f"; use one of {', '.join(config.data)}")


MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_merge_keys(node: yaml.Node, path: tuple[str, ...], seen: set[int], name: str) -> None:
    """Before the merge keys are applied (and so lost): a mapping with ``<<`` twice, which YAML does not allow.
    Each node is visited once, so an alias repeated many times costs nothing."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        merges = [k for k, _ in node.value if k.tag == MERGE_TAG]
        if len(merges) > 1:
            where = _one_line(".".join(path)) or "(top level)"
            raise ConfigError(f"{name}:{merges[1].start_mark.line + 1}: {where}: merge key '<<' given twice; "
                              "merge them in one, e.g. '<<: [*a, *b]'")
        for key_node, value_node in node.value:
            _check_merge_keys(value_node, (*path, str(key_node.value)), seen, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _check_merge_keys(child, (*path, str(i)), seen, name)


def _index_lines(node: yaml.Node, path: tuple[str, ...], out: dict[tuple[str, ...], int], name: str) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                dotted = _one_line(".".join((*path, key)))
                raise ConfigError(
                    f"{name}:{key_node.start_mark.line + 1}: {dotted}: key given twice; keep one of them"
                )
            seen.add(key)
            out[(*path, key)] = key_node.start_mark.line + 1
            _index_lines(value_node, (*path, key), out, name)
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _index_lines(child, (*path, str(i)), out, name)


def _validate_addon(key: str, value: Any) -> Any:
    """A registered family's block, validated by its own schema; its problems' paths start at its key."""
    try:
        return validate_struct(ADDON_BLOCKS[key], value)
    except Invalid as exc:
        raise Invalid([problem._replace(loc=(key, *problem.loc)) for problem in exc.problems]) from None


def validate(data: Any) -> Config:
    """``data`` (mlgate.yaml as parsed) as a Config; Invalid with every problem and its key path."""
    return validate_struct(Config, data)


def _first_error(problems: list[Problem], name: str, lines: dict[tuple[str, ...], int]) -> str:
    first = problems[0]
    loc = tuple(str(p) for p in first.loc)
    line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), None)
    where = f"{name}:{line}" if line else name
    more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
    if first.kind == "key":  # a mapping key that is not text, e.g. an unquoted number as a selector
        key = _one_line(".".join(loc))
        return f"{where}: {key}: a key must be text, got {_show(first.value)}; quote it, e.g. \"{first.value}\""
    key = _one_line(".".join(loc)) or "(top level)"
    return f"{where}: {key}: {_explain(first)}{more}"


def _explain(problem: Problem) -> str:
    value = problem.value
    match problem.kind:
        case "unknown":
            allowed = _allowed_keys(tuple(str(p) for p in problem.loc[:-1]))
            close = difflib.get_close_matches(str(problem.loc[-1]), allowed, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            return f"unknown key; {hint}(allowed: {', '.join(allowed)})"
        case "missing":
            return "required key is missing; add it"
        case "finite":
            return f"expected a finite number, got {_show(value)}; NaN and infinities cannot be thresholds"
        case "number":
            if isinstance(value, int) and not isinstance(value, bool):  # an integer too large for a float
                return (f"expected a number, got {_show(value)}, which is too large for a threshold (at most about "
                        "1.8e308); write a smaller number, e.g. 1e300")
            if isinstance(value, str):
                return f"expected a number, got {_show(value)}; write it without quotes, e.g. 0.9"
            if isinstance(value, bool):
                return (f"expected a number, got {_show(value)}; YAML reads true/false/yes/no as booleans, "
                        "write a number, e.g. 0.9")
            return f"expected a number, got {_show(value)}; write a number, e.g. 0.9"
        case "whole":
            return f"expected a whole number, got {_show(value)}"
        case "bool":
            return f"expected true or false, got {_show(value)}"
        case "text":
            return f"expected text, got {_show(value)}"
        case "list":
            return f"expected a list, got {_show(value)}"
        case "choice":
            shown = [repr(c) for c in problem.detail]
            expected = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
            return f"expected {expected}, got {_show(value)}"
        case "mapping":
            return f"expected a mapping of keys, got {_show(value)}"
        case "bound":
            return f"must be {problem.detail}, got {_show(value)}"
        case "check":
            return str(problem.detail)
    return f"{problem.detail}, got {_show(value)}"


def _allowed_keys(parent: tuple[str, ...]) -> list[str]:
    struct: type[Strict] = Config
    if parent[:1] and parent[0] in ADDON_BLOCKS:
        struct, parent = ADDON_BLOCKS[parent[0]], parent[1:]
    for part in parent:
        field = next((f for f in fields(struct) if f.name == part), None)
        if field is None:  # a free-form key, e.g. the selector under kpis
            continue
        nested, _ = struct_in(field.type)
        if nested is None:
            break
        struct = nested
    names = [f.name for f in fields(struct)]
    if struct is Config:
        names = [*(n for n in names if n != "addons"), *ADDON_BLOCKS]
    if struct is Kpi:  # the rules first, then the options
        return [*RULE_NAMES, *(name for name in names if name not in RULES)]
    return names


def _one_line(text: str) -> str:
    """Keys are the user's text: keep a message on one line even when a key holds a line break."""
    return one_line(text)


def _show(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        digits = str(abs(value))
        return f"{'-' if value < 0 else ''}{digits[:3]}…{digits[-3:]} (an integer of {len(digits)} digits)"
    shown = _one_line(repr(value))
    if len(shown) > 80:
        shown = shown[:77] + "…"
    if isinstance(value, str):
        return shown
    return f"{shown} ({_kind(value)})"


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )


def check_template_dir(template_dir: Path, source: str = "mlgate.yaml") -> None:
    """report.template must be a folder (else Jinja's loader silently falls back to the built-in report)."""
    if not template_dir.is_dir():
        raise ConfigError(f"{source}: report.template: {template_dir} is not a directory; "
                          "point it at a directory holding report.md.j2, or remove the key")
