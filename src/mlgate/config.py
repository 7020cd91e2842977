"""mlgate.yaml: one typed config object, validated once, with errors that name the file, line and fix.

The schema lives in the pydantic models below; `load_config` parses the YAML (keeping line numbers),
validates it, and turns the first problem into one `ConfigError` line such as::

    mlgate.yaml:7: kpis.accuracy.max_dorp: unknown key; did you mean 'max_drop'? (allowed: min, max, ...)
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlgate.errors import ConfigError

CONFIG_NAME = "mlgate.yaml"

RELATIVE_DROP_RULES = ("max_drop", "max_drop_pct")
RELATIVE_RISE_RULES = ("max_increase", "max_increase_pct")
ABSOLUTE_RULES = ("min", "max")
RULES = ABSOLUTE_RULES + RELATIVE_DROP_RULES + RELATIVE_RISE_RULES


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class BaselineConfig(_Strict):
    ref: str | None = None
    reproduce: Literal["auto", "always", "never"] = "auto"
    ledger: bool = True
    max_distance: int = Field(default=20, ge=0)


class Kpi(_Strict):
    """The rules on one KPI selector. Every rule given applies."""

    min: float | None = None
    max: float | None = None
    max_drop: float | None = Field(default=None, ge=0)
    max_drop_pct: float | None = Field(default=None, ge=0)
    max_increase: float | None = Field(default=None, ge=0)
    max_increase_pct: float | None = Field(default=None, ge=0)
    direction: Literal["higher", "lower"] | None = None
    severity: Literal["fail", "warn"] = "fail"
    optional: bool = False
    confidence: float | None = Field(default=None, gt=0, lt=1)
    significance: float | None = Field(default=None, gt=0, lt=1)

    @model_validator(mode="after")
    def _consistent(self) -> Kpi:
        if not any(getattr(self, rule) is not None for rule in RULES):
            raise ValueError(f"no rule given; add at least one of {', '.join(RULES)}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is above max ({self.max:g}); no value can pass, swap them")
        drops = [r for r in RELATIVE_DROP_RULES if getattr(self, r) is not None]
        rises = [r for r in RELATIVE_RISE_RULES if getattr(self, r) is not None]
        if drops and rises:
            raise ValueError(
                f"{drops[0]} (higher is better) and {rises[0]} (lower is better) contradict; keep one kind"
            )
        if self.direction == "lower" and drops:
            raise ValueError(f"direction: lower contradicts {drops[0]}; use max_increase or max_increase_pct")
        if self.direction == "higher" and rises:
            raise ValueError(f"direction: higher contradicts {rises[0]}; use max_drop or max_drop_pct")
        if self.confidence is not None and self.significance is not None:
            if not math.isclose(self.confidence, 1 - self.significance):
                raise ValueError("confidence and significance disagree; give only one of them")
        return self

    @property
    def higher_is_better(self) -> bool | None:
        """The KPI's direction: given explicitly or implied by its relative rules; None if unknown."""
        if self.direction:
            return self.direction == "higher"
        if any(getattr(self, r) is not None for r in RELATIVE_DROP_RULES):
            return True
        if any(getattr(self, r) is not None for r in RELATIVE_RISE_RULES):
            return False
        return None

    @property
    def confidence_level(self) -> float | None:
        if self.confidence is not None:
            return self.confidence
        if self.significance is not None:
            return 1 - self.significance
        return None

    def rules(self) -> list[tuple[str, float]]:
        return [(rule, getattr(self, rule)) for rule in RULES if getattr(self, rule) is not None]


class PredictionsConfig(_Strict):
    path: str
    id: str = "id"
    label: str = "label"
    prediction: str = "pred"
    score: str | None = None


class ReportConfig(_Strict):
    title: str = "mlgate"
    template: str | None = None


class Config(_Strict):
    version: Literal[1]
    baseline: BaselineConfig = BaselineConfig()
    kpis: dict[str, Kpi] = Field(default_factory=dict)
    predictions: PredictionsConfig | None = None
    report: ReportConfig = ReportConfig()


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


def parse_config(text: str, name: str = CONFIG_NAME) -> Config:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML: {problem}; fix the syntax at that line") from None
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        _index_lines(node, (), lines, name)
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: expected a mapping with 'version: 1' and 'kpis:', got {_kind(data)}")
    if "version" not in data:
        raise ConfigError(f"{name}: missing 'version'; add 'version: 1' at the top")
    if type(data["version"]) is not int:  # a bool or 1.0 would slip through Literal[1] (True == 1.0 == 1)
        where = f"{name}:{lines[('version',)]}" if ("version",) in lines else name
        raise ConfigError(f"{where}: version: expected 1, got {_show(data['version'])}; write 'version: 1'")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_first_error(exc, name, lines, data)) from None


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
        return f"expected a number, got {_show(value)}; write it without quotes, e.g. 0.9"
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
    return text.replace("\r", "\\r").replace("\n", "\\n")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return f"{value!r} ({_kind(value)})"


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: "text", bool: "a boolean", type(None): "nothing"}.get(
        type(value), type(value).__name__
    )
