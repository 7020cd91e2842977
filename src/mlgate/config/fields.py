"""Field-by-field validation of msgspec structs (the config blocks in mlgate.config.schema): every problem is
collected with its key path, so that a one-line error can name the first and count the rest.

msgspec converts each plain value (numbers, text, choices, lists of them) strictly; this module walks the
structs, mappings and lists of structs around them, runs each block's own checks (``_before`` on the value
as written, ``_after`` on the typed value, ``__post_init__`` across fields) and refuses NaN and infinities.
A problem is (key path, kind, value, detail); mlgate.config.load says it in words.
"""

from __future__ import annotations

import functools
import math
import re
import typing
from collections.abc import Callable
from typing import Any, ClassVar, Literal, cast

import msgspec

Check = Callable[[Any], Any]  # a field's own check: returns the value (maybe rewritten) or raises ValueError


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """A config block. ``_before`` checks (and may rewrite) a field's value as written, ``_after`` the value
    once it has its type; ``__post_init__`` checks the fields together. Numbers are finite."""

    _before: ClassVar[dict[str, Check]] = {}
    _after: ClassVar[dict[str, Check]] = {}


class Invalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0])
        self.problems = problems


def validate(cls: type[Strict], data: Any) -> Any:
    """``data`` as a ``cls``; Invalid with every problem found."""
    problems: list[Problem] = []
    value = _validate(cls, data, (), problems)
    if problems:
        raise Invalid(problems)
    return value


class Problem(typing.NamedTuple):
    """One thing wrong: where (the key path), what (a kind, said in words by mlgate.config.load), the value."""

    loc: tuple[Any, ...]
    kind: str
    value: Any
    detail: Any = None  # the expected values of a choice, the bound of a range, or the check's message


_BAD = object()  # a value that did not validate (its problem is recorded)
fields = functools.cache(msgspec.structs.fields)  # a struct's fields with their types resolved (0.2 ms a call)


def _validate(cls: type[Strict], data: Any, loc: tuple[Any, ...], problems: list[Problem]) -> Any:
    """A struct from a mapping, field by field in the struct's order (then the unknown keys), so that every
    problem is recorded with its key path; the struct's ``__post_init__`` only when its fields are valid."""
    if not isinstance(data, dict):
        problems.append(Problem(loc, "mapping", data))
        return _BAD
    before = len(problems)
    values = {}
    declared = fields(cls)
    for field in declared:
        if field.name in data:
            value = _field(cls, field, data[field.name], (*loc, field.name), problems)
            if value is not _BAD:
                values[field.name] = value
        elif field.required:
            problems.append(Problem((*loc, field.name), "missing", None))
    names = {field.name for field in declared}
    problems.extend(Problem((*loc, key), "unknown", value) for key, value in data.items() if key not in names)
    if len(problems) > before:
        return _BAD
    try:
        return cls(**values)
    except ValueError as exc:  # __post_init__: the fields together
        problems.append(Problem(loc, "check", data, str(exc)))
        return _BAD


def _field(cls: type[Strict], field: Any, value: Any, loc: tuple[Any, ...], problems: list[Problem]) -> Any:
    value = _checked(cls._before.get(field.name), value, loc, problems)
    if value is _BAD:
        return _BAD
    struct, container = struct_in(field.type)
    if struct is not None:
        if value is None and _optional(field.type):
            return None
        return _nested(struct, container, value, loc, problems)
    items = _items(field.type)
    if items is not None and isinstance(value, list):  # each item on its own: every bad one is a problem
        before = len(problems)
        value = [_leaf(items, item, (*loc, i), problems) for i, item in enumerate(value)]
        if len(problems) > before:
            return _BAD
    elif (value := _leaf(field.type, value, loc, problems)) is _BAD:
        return _BAD
    for index, number in _numbers(value):
        if not math.isfinite(number):
            problems.append(Problem((*loc, *index), "finite", number))
            return _BAD
    return _checked(cls._after.get(field.name), value, loc, problems)


def _checked(check: Check | None, value: Any, loc: tuple[Any, ...], problems: list[Problem]) -> Any:
    """A field's own check applied (its ValueError is the field's problem), or the value when it has none."""
    if check is None:
        return value
    try:
        return check(value)
    except ValueError as exc:
        problems.append(Problem(loc, "check", value, str(exc)))
        return _BAD


def _leaf(kind: Any, value: Any, loc: tuple[Any, ...], problems: list[Problem]) -> Any:
    try:
        return _convert(value, kind)
    except msgspec.ValidationError as exc:
        problems.append(_leaf_problem(kind, value, loc, str(exc)))
        return _BAD


def _items(kind: Any) -> Any:
    """X for a field typed list[X] (or list[X] | None, bool | list[X]); None for any other type."""
    for arm in (kind, *typing.get_args(kind)):
        if typing.get_origin(arm) is list:
            return typing.get_args(arm)[0]
    return None


def _convert(value: Any, kind: Any) -> Any:
    try:
        return msgspec.convert(value, kind, strict=True)
    except UnicodeEncodeError:  # text with a lone surrogate (YAML's "\\ud800"), which msgspec cannot take:
        msgspec.convert(_stand_in(value), kind, strict=True)  # check the type on a stand-in text
        return value  # the value is of the type (text, or a list of text), as written


def _stand_in(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, list):
        return [_stand_in(v) for v in value]
    return value


def _nested(struct: type[Strict], container: type | None, value: Any, loc: tuple[Any, ...],
            problems: list[Problem]) -> Any:
    if container is None:
        return _validate(struct, value, loc, problems)
    if not isinstance(value, container):
        problems.append(Problem(loc, "mapping" if container is dict else "list", value))
        return _BAD
    before = len(problems)
    if container is list:
        out: Any = [_validate(struct, entry, (*loc, i), problems) for i, entry in enumerate(cast(list[Any], value))]
    else:
        out = {}
        for key, entry in cast(dict[Any, Any], value).items():
            if not isinstance(key, str):
                problems.append(Problem((*loc, key), "key", key))
            out[key] = _validate(struct, entry, (*loc, key), problems)
    return out if len(problems) == before else _BAD


def struct_in(kind: Any) -> tuple[type[Strict] | None, type | None]:
    """(the struct, and dict or list when it is a mapping or list of them) a field's type holds, if any."""
    if isinstance(kind, type) and issubclass(kind, Strict):
        return kind, None
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (dict, list):
        inner = args[-1]
        if isinstance(inner, type) and issubclass(inner, Strict):
            return inner, origin
        return None, None
    for arg in args:  # X | None
        if isinstance(arg, type) and issubclass(arg, Strict):
            return arg, None
    return None, None


def _optional(kind: Any) -> bool:
    return type(None) in typing.get_args(kind)


def _numbers(value: Any) -> list[tuple[tuple[int, ...], float]]:
    if isinstance(value, float):
        return [((), value)]
    if isinstance(value, list):
        return [((i,), v) for i, v in enumerate(value) if isinstance(v, float)]
    return []


_MESSAGE = re.compile(r"^(?P<what>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
EXPECTED = re.compile(r"Expected `(?P<type>[^`]+)`(?:, got `(?P<got>\w+)`| (?P<op>>=|>|<=|<) (?P<bound>\S+))$")
_WORDS = {">=": "at least", ">": "above", "<": "below", "<=": "at most"}


def message_parts(message: str) -> tuple[str, tuple[str, ...]]:
    """msgspec's ValidationError text as (what is wrong, the key path below the value converted): list items
    by their index, mapping keys (which msgspec does not name) as ``*``."""
    found = _MESSAGE.match(message)
    assert found is not None  # the pattern matches any text
    path = (found["path"] or "").replace("[...]", ".*")
    return found["what"], tuple(part for part in re.split(r"[.\[\]]+", path) if part)


def _leaf_problem(kind: Any, value: Any, loc: tuple[Any, ...], message: str) -> Problem:
    """msgspec's message on a value of a plain type (number, text, choice; a list's items come one by one) as a
    Problem."""
    choices = _choices(kind)
    if choices:
        return Problem(loc, "choice", value, choices)
    match = EXPECTED.match(message_parts(message)[0])
    if match is None:  # "Number out of range": an integer too large for a float
        return Problem(loc, "number" if isinstance(value, int) else "other", value, message)
    if match["op"]:
        return Problem(loc, "bound", value, f"{_WORDS[match['op']]} {match['bound']}")
    expected = match["type"].split(" | ")
    for word, problem in (("float", "number"), ("int", "whole"), ("bool", "bool"), ("str", "text"),
                          ("array", "list"), ("object", "mapping")):
        if word in expected:
            return Problem(loc, problem, value)
    return Problem(loc, "other", value, message)


def _choices(kind: Any) -> tuple[Any, ...]:
    """The values a Literal field (maybe X | None) allows; () for any other type."""
    if typing.get_origin(kind) is Literal:
        return typing.get_args(kind)
    for arg in typing.get_args(kind):
        if typing.get_origin(arg) is Literal:
            return typing.get_args(arg)
    return ()


