"""mlgate.yaml: one typed config object, validated once, with errors that name the file, line and fix.

The schema lives in the msgspec structs of mlgate.config.schema (typed, frozen config objects and strict
conversion, from a library that imports in milliseconds: every run loads the config); `load_config` parses the
YAML (keeping line numbers, within size limits), validates it field by field (mlgate.config.fields: every
problem is collected, with its key path), checks the blocks against each other, and turns the first problem into one `ConfigError` line such as::

    mlgate.yaml:7: kpis.accuracy.max_dorp: unknown key; did you mean 'max_drop'? (allowed: min, max, ...)
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import msgspec
import yaml

from mlgate.config.blocks import ADDON_BLOCKS
from mlgate.config.fields import Invalid, Problem, Strict, fields, struct_in
from mlgate.config.fields import validate as validate_struct
from mlgate.config.schema import DATASET_NAME, Config, Kpi, dataset_path, kind_of, show
from mlgate.errors import ConfigError
from mlgate.gating.rules import NAMES as RULE_NAMES
from mlgate.gating.rules import RULES
from mlgate.text.safe import one_line

CONFIG_NAME = "mlgate.yaml"


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
        raise ConfigError(f"{name}: expected a mapping with 'version: 1' and 'kpis:', got {kind_of(data)}")
    if "version" not in data:
        raise ConfigError(f"{name}: missing 'version'; add 'version: 1' at the top")
    if type(data["version"]) is not int:  # a bool or 1.0 would slip through Literal[1] (True == 1.0 == 1)
        where = f"{name}:{lines[('version',)]}" if ("version",) in lines else name
        raise ConfigError(f"{where}: version: expected 1, got {show(data['version'])}; write 'version: 1'")
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
    _check_ratchet_kpis(config, name, lines)
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
        shown = one_line(selector)
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


def _check_ratchet_kpis(config: Config, source: str, lines: dict[tuple[str, ...], int]) -> None:
    """A ``*_from_best`` rule reads the ledger's history of the default branch: with ``baseline.ledger: false``
    it could never be judged."""
    if config.baseline.ledger:
        return
    from mlgate.gating.rules import RULES

    for selector, kpi in config.kpis.items():
        for rule in (r for r in RULES.values() if r.kind == "best" and getattr(kpi, r.name) is not None):
            at = lines.get(("kpis", selector, rule.name))
            raise ConfigError(f"{source}{'' if at is None else f':{at}'}: kpis.{one_line(selector)}.{rule.name}: "
                              "the ratchet judges against the ledger's history, but baseline.ledger is false; "
                              f"set baseline.ledger: true or remove {rule.name}")


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
        shown = one_line(key)
        if not DATASET_NAME.match(key):
            raise ConfigError(
                f"{where}: data.{shown}: a dataset name is part of metric keys; use letters, digits, '_' or '-', "
                "e.g. 'train'"
            )
        if dataset.reference == key:
            raise ConfigError(f"{where}: data.{shown}.reference: a dataset cannot be its own reference; name another")
        if dataset.reference is not None and dataset.reference not in config.data:
            try:
                dataset_path(dataset.reference)
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
        raise ConfigError(f"{where}: monitor.dataset: {one_line(repr(monitor.dataset))} is not a dataset under data:"
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
            where = one_line(".".join(path)) or "(top level)"
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
                dotted = one_line(".".join((*path, key)))
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
        key = one_line(".".join(loc))
        return f"{where}: {key}: a key must be text, got {show(first.value)}; quote it, e.g. \"{first.value}\""
    key = one_line(".".join(loc)) or "(top level)"
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
            return f"expected a finite number, got {show(value)}; NaN and infinities cannot be thresholds"
        case "number":
            if isinstance(value, int) and not isinstance(value, bool):  # an integer too large for a float
                return (f"expected a number, got {show(value)}, which is too large for a threshold (at most about "
                        "1.8e308); write a smaller number, e.g. 1e300")
            if isinstance(value, str):
                return f"expected a number, got {show(value)}; write it without quotes, e.g. 0.9"
            if isinstance(value, bool):
                return (f"expected a number, got {show(value)}; YAML reads true/false/yes/no as booleans, "
                        "write a number, e.g. 0.9")
            return f"expected a number, got {show(value)}; write a number, e.g. 0.9"
        case "whole":
            return f"expected a whole number, got {show(value)}"
        case "bool":
            return f"expected true or false, got {show(value)}"
        case "text":
            return f"expected text, got {show(value)}"
        case "list":
            return f"expected a list, got {show(value)}"
        case "choice":
            shown = [repr(c) for c in problem.detail]
            expected = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
            return f"expected {expected}, got {show(value)}"
        case "mapping":
            return f"expected a mapping of keys, got {show(value)}"
        case "bound":
            return f"must be {problem.detail}, got {show(value)}"
        case "check":
            return str(problem.detail)
    return f"{problem.detail}, got {show(value)}"


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


def check_template_dir(template_dir: Path, source: str = "mlgate.yaml") -> None:
    """report.template must be a folder (else Jinja's loader silently falls back to the built-in report)."""
    if not template_dir.is_dir():
        raise ConfigError(f"{source}: report.template: {template_dir} is not a directory; "
                          "point it at a directory holding report.md.j2, or remove the key")
