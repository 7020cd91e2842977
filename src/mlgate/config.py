"""mlgate.yaml: one typed config object, validated once, with errors that name the file, line and fix.

The schema lives in the pydantic models below; `load_config` parses the YAML (keeping line numbers),
validates it, and turns the first problem into one `ConfigError` line such as::

    mlgate.yaml:7: kpis.accuracy.max_dorp: unknown key; did you mean 'max_drop'? (allowed: min, max, ...)
"""

from __future__ import annotations

import codecs
import difflib
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator

from mlgate.errors import ConfigError
from mlgate.safe_text import one_line
from mlgate.rules import NAMES as RULE_NAMES
from mlgate.rules import RULES, Rule

CONFIG_NAME = "mlgate.yaml"

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class BaselineConfig(_Strict):
    ref: str | None = None
    reproduce: Literal["auto", "always", "never"] = "auto"
    ledger: bool = True
    max_distance: int = Field(default=20, ge=0, le=100_000)


class _KpiOptions(_Strict):
    """The options of one KPI selector; its rules are added from the registry (mlgate.rules) below."""

    direction: Literal["higher", "lower"] | None = None
    severity: Literal["fail", "warn"] = "fail"
    optional: bool = False
    confidence: float | None = Field(default=None, gt=0, lt=1)
    significance: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _consistent(self) -> _KpiOptions:
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
        return self

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


def _rule_field(rule: Rule) -> tuple[Any, Any]:
    if rule.flag:
        return (Literal[True] | None, None)
    if rule.kind == "change":
        return (float | None, Field(default=None, ge=0))
    return (float | None, None)


Kpi = create_model(  # one field per rule in the registry, after the options
    "Kpi", __base__=_KpiOptions, __doc__="The rules on one KPI selector. Every rule given applies.",
    **{rule.name: _rule_field(rule) for rule in RULES.values()},
)


def _inside_repo(value: Any) -> Any:
    """A project-relative path that stays inside the repository (no absolute path, no ``..``)."""
    if isinstance(value, str):
        parts = value.replace("\\", "/").split("/")
        if not value.strip() or value.startswith(("/", "~")) or (len(value) > 1 and value[1] == ":") or ".." in parts:
            raise ValueError(f"{_one_line(repr(value))} is not a path inside the repository; "
                             "write it relative to the project root, without '..'")
    return value


RepoPath = Annotated[str, AfterValidator(_inside_repo)]  # a path a config block names, as a type


class SliceConfig(_Strict):
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
        return dict(entry)
    if isinstance(entry, dict) and len(entry) == 1:
        (column, bins), = entry.items()
        numbers = isinstance(bins, list) and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bins)
        if not numbers or len(bins) < 2 or any(not a < b for a, b in zip(bins, bins[1:])):
            raise ValueError(f"{_one_line(str(column))}: expected at least two increasing bin edges, "
                             f"e.g. [0, 18, 65], got {_show(bins)}")
        return {"column": column, "bins": bins}
    raise ValueError(f"expected a column name, {{column: [edges]}} or {{name:, where:}}, got {_show(entry)}")


class PredictionsConfig(_Strict):
    path: str
    id: str = "id"
    label: str = "label"
    prediction: str = "pred"
    score: str | None = None
    slices: list[SliceConfig] = Field(default_factory=list)
    features: str | None = None  # more columns for slices, joined on the id
    min_slice_size: int = Field(default=30, ge=1)  # smaller slices are reported, not gated
    slice_correction: Literal["holm", "bh", "none"] = "holm"
    calibration_bins: int = Field(default=10, ge=1, le=100)
    prediction_range: list[float] | None = None  # [low, high]: health counts predictions outside

    _paths = field_validator("path", "features", mode="before")(classmethod(lambda cls, v: _inside_repo(v)))

    @field_validator("slices", mode="before")
    @classmethod
    def _slices(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for i, entry in enumerate(value):
            try:
                out.append(_slice_entry(entry))
            except ValueError as exc:
                raise ValueError(f"entry {i + 1}: {exc}") from None
        return out

    @field_validator("prediction_range")
    @classmethod
    def _range(cls, value: list[float] | None) -> list[float] | None:
        if value is not None and (len(value) != 2 or not value[0] < value[1]):
            raise ValueError(f"expected [low, high] with low < high, got {value}")
        return value


class ModelConfig(_Strict):
    """``model:``: the trained model file (or directory) of both sides, for size, latency and interface."""

    path: str
    loader: Literal["joblib", "pickle", "skops", "onnx"] = "joblib"
    sample: str | None = None  # rows to time predict() on; without it, no latency
    rows: int = Field(default=1000, ge=1)
    repeats: int = Field(default=30, ge=5, le=1000)  # interleaved base/head timings per measurement

    _paths = field_validator("path", "sample", mode="before")(classmethod(lambda cls, v: _inside_repo(v)))


DATASET_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


class DatasetConfig(_Strict):
    """One dataset under `data:`: a CSV or Parquet file (or a glob of partitions) profiled at both revisions."""

    path: RepoPath
    target: str | None = None
    reference: str | None = None  # another dataset's name under `data:`, or a path
    format: Literal["csv", "parquet"] | None = None  # default: from the file name
    delimiter: str | None = None  # CSV only; default ",", or a tab for .tsv
    encoding: str = "utf-8"  # CSV only

    @model_validator(mode="after")
    def _valid(self) -> DatasetConfig:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(f"delimiter must be one character, got {self.delimiter!r}; e.g. ';' or '\\t'")
        try:
            codecs.lookup(self.encoding)
        except LookupError:
            raise ValueError(f"encoding {self.encoding!r} is not known; use e.g. utf-8, latin-1 or cp1252") from None
        return self


class MonitorConfig(_Strict):
    """``monitor:``: a production sample compared with what the default branch last recorded (mlgate monitor)."""

    sample: RepoPath | None = None  # a file, a glob or a directory of CSV/Parquet partitions (or --sample)
    dataset: str | None = None  # the `data:` dataset it is compared with; default the first
    report_id: str = "monitoring"
    psi: float = Field(default=0.2, gt=0)  # a column drifts when its PSI is at least this ...
    significance: float = Field(default=0.01, gt=0, lt=1)  # ... and its KS / chi-squared p-value below this
    max_empty_share: float = Field(default=0.05, ge=0, le=1)  # predictions that are missing or blank
    min_distinct_labels: int = Field(default=2, ge=1)  # fewer predicted labels: the model collapsed
    max_label_shift_js: float = Field(default=0.2, gt=0, le=1)  # predicted labels against the test predictions
    max_metric_drop: float = Field(default=0.05, ge=0)  # on labelled rows, against the recorded test metric
    min_labelled_rows: int = Field(default=30, ge=1)  # fewer labelled rows: metrics shown, not judged
    dispatch: str | None = "mlgate-drift"  # repository_dispatch event type on an alarm in Actions; null: none

    @field_validator("report_id")
    @classmethod
    def _report_id(cls, value: str) -> str:
        from mlgate.marker import check_report_id

        try:
            return check_report_id(value)
        except Exception as exc:  # noqa: BLE001 - InputError: said as this key's problem
            raise ValueError(str(exc)) from None

    @field_validator("dispatch")
    @classmethod
    def _dispatch(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}", value):
            raise ValueError(f"{_one_line(repr(value))} is not a usable event type; use letters, digits, '.', '_',"
                             " ':' or '-', e.g. mlgate-drift")
        return value


class ReportConfig(_Strict):
    title: str = "mlgate"
    template: RepoPath | None = None
    # the plots dvc.yaml declares: true (all), false (none), or a list of plot ids (paths or names)
    plots: bool | list[str] = True

    @field_validator("plots", mode="before")
    @classmethod
    def _plots(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, list) and all(isinstance(v, str) and v for v in value)):
            return value
        raise ValueError(f"expected true, false or a list of plot ids from dvc.yaml, got {_show(value)}")


class Config(_Strict):
    version: Literal[1]
    baseline: BaselineConfig = BaselineConfig()
    kpis: dict[str, Kpi] = Field(default_factory=dict)
    predictions: PredictionsConfig | None = None
    model: ModelConfig | None = None
    report: ReportConfig = ReportConfig()
    data: dict[str, DatasetConfig] = Field(default_factory=dict)
    monitor: MonitorConfig | None = None

    @field_validator("data", mode="before")
    @classmethod
    def _data_shorthand(cls, value: Any) -> Any:
        """``train: data/train.csv`` is ``train: {path: data/train.csv}``."""
        if isinstance(value, dict):
            return {name: {"path": entry} if isinstance(entry, str) else entry for name, entry in value.items()}
        return value

    @field_validator("kpis", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
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
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if yaml_size(node) > MAX_YAML_NODES:
            raise ConfigError(f"{name}: expands to more than {MAX_YAML_NODES:,} YAML nodes through its aliases"
                              " (&anchor/*alias); write the values out instead of nesting aliases")
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML: {problem}; fix the syntax at that line") from None
    except RecursionError:
        raise ConfigError(f"{name}: nested too deeply to read; an mlgate.yaml is a few levels deep") from None
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
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc, name, lines, data)) from None
    _check_predictions_kpis(config, name)
    _check_datasets(config, name, lines)
    _check_monitor(config, name, lines)
    return config


PREDICTIONS_PREFIX = "predictions."


def _check_predictions_kpis(config: Config, source: str) -> None:
    """``confidence``/``significance`` only on ``predictions.*`` KPIs, which name known metrics, with a
    score column when a metric needs one."""
    for selector, kpi in config.kpis.items():
        pattern = selector.rpartition(":")[2]
        shown = _one_line(selector)
        option = "confidence" if kpi.confidence is not None else "significance"
        if kpi.confidence_level is not None and not pattern.startswith(PREDICTIONS_PREFIX):
            raise ConfigError(
                f"{source}: kpis.{shown}: {option} needs per-example predictions, but {shown!r} is not "
                "a predictions metric; add a predictions: block and use predictions.<metric> "
                f"(e.g. predictions.accuracy), or remove {option}"
            )
        if not pattern.startswith(PREDICTIONS_PREFIX) or config.predictions is None:
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
                _inside_repo(dataset.reference)
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


def _first_error(exc: ValidationError, name: str, lines: dict[tuple[str, ...], int], data: Any) -> str:
    errors = exc.errors(include_url=False)
    err = errors[0]
    loc = tuple(str(p) for p in err["loc"])
    line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), None)
    where = f"{name}:{line}" if line else name
    if loc and loc[-1] == "[key]":  # a mapping key that is not text, e.g. an unquoted number as a selector
        key = _one_line(".".join(loc[:-1]))
        value = err.get("input")
        return f"{where}: {key}: a key must be text, got {_show(value)}; quote it, e.g. \"{value}\""
    key = _one_line(".".join(loc)) or "(top level)"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{where}: {key}: {_explain(err, loc, data)}{more}"


def _explain(err: dict[str, Any], loc: tuple[str, ...], data: Any) -> str:
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown key; {hint}(allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "required key is missing; add it"
    if kind == "finite_number":
        return f"expected a finite number, got {_show(value)}; NaN and infinities cannot be thresholds"
    if kind in ("float_type", "float_parsing"):
        if isinstance(value, int) and not isinstance(value, bool):  # an integer too large for a float
            return (f"expected a number, got {_show(value)}, which is too large for a threshold (at most about 1.8e308);"
                    " write a smaller number, e.g. 1e300")
        if isinstance(value, str):
            return f"expected a number, got {_show(value)}; write it without quotes, e.g. 0.9"
        if isinstance(value, bool):
            return f"expected a number, got {_show(value)}; YAML reads true/false/yes/no as booleans, write a number, e.g. 0.9"
        return f"expected a number, got {_show(value)}; write a number, e.g. 0.9"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number, got {_show(value)}"
    if kind == "bool_type":
        return f"expected true or false, got {_show(value)}"
    if kind in ("string_type",):
        return f"expected text, got {_show(value)}"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"expected {expected}, got {_show(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of keys, got {_show(value)}"
    if kind in ("greater_than_equal", "greater_than", "less_than", "less_than_equal"):
        ctx = err.get("ctx", {})
        bound = next(iter(ctx.items()), ("", ""))
        words = {"ge": "at least", "gt": "above", "lt": "below", "le": "at most"}
        return f"must be {words.get(bound[0], bound[0])} {bound[1]}, got {_show(value)}"
    if kind == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    return f"{err['msg']}, got {_show(value)}"


def _allowed_keys(parent: tuple[str, ...]) -> list[str]:
    model: type[BaseModel] = Config
    for part in parent:
        field = model.model_fields.get(part)
        if field is None:  # a free-form key, e.g. the selector under kpis
            model = Kpi if model is Config else model
            continue
        annotation = field.annotation
        nested = _model_in(annotation)
        if nested is None:
            break
        model = nested
    if model is Kpi:  # the rules first, then the options
        return [*RULE_NAMES, *(name for name in model.model_fields if name not in RULES)]
    return list(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    return None


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
