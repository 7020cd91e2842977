"""``Kpi`` is declared field by field (so a type checker sees every rule); these tests hold it to the rule
registry (mlgate.gating.rules.RULES), so that the two cannot drift: the options first, then one field per
rule in the registry's order, each optional (default None), typed by the rule's kind — a flag rule takes
``true``, a change or best rule a threshold of at least 0, a value rule any number."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
import pytest
from msgspec import Meta

from mlgate.config.fields import fields
from mlgate.config.load import _allowed_keys, parse_config
from mlgate.config.schema import Kpi
from mlgate.errors import ConfigError
from mlgate.gating.rules import NAMES, RULES, Rule

OPTIONS = ("direction", "severity", "optional", "confidence", "significance")


def _expected_type(rule: Rule) -> Any:
    """The type a rule's field has, by the rule's kind (what the struct was once generated from)."""
    if rule.flag:
        return Literal[True] | None
    if rule.kind in ("change", "best"):
        return Annotated[float, Meta(ge=0.0)] | None
    return float | None


def test_the_fields_are_the_options_then_every_rule_in_the_registry_order() -> None:
    names = [field.name for field in fields(Kpi)]
    assert names == [*OPTIONS, *NAMES]
    assert Kpi.__struct_fields__ == (*OPTIONS, *NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_rule_field_has_the_type_and_default_of_its_kind(name: str) -> None:
    field = next(f for f in fields(Kpi) if f.name == name)
    assert field.type == _expected_type(RULES[name])
    assert field.default is None
    assert not field.required


def test_the_struct_keeps_the_config_blocks_strictness() -> None:
    config = Kpi.__struct_config__
    assert config.frozen and config.forbid_unknown_fields
    assert Kpi.__name__ == "Kpi"


def test_unknown_keys_list_the_rules_first_in_registry_order() -> None:
    assert _allowed_keys(("kpis", "acc")) == [*NAMES, *OPTIONS]


@pytest.mark.parametrize("name", NAMES)
def test_every_rule_is_accepted_and_read_back_by_rules(name: str) -> None:
    rule = RULES[name]
    value: Any = True if rule.flag else 0.5
    text = f"version: 1\nkpis:\n  acc:\n    {name}: {'true' if rule.flag else value}\n"
    kpi = parse_config(text).kpis["acc"]
    assert kpi.rules() == [(name, value)]
    assert getattr(kpi, name) == value
    assert all(getattr(kpi, other) is None for other in NAMES if other != name)


@pytest.mark.parametrize("name", [n for n in NAMES if RULES[n].kind in ("change", "best") and not RULES[n].flag])
def test_a_negative_threshold_on_a_change_rule_is_refused_as_before(name: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(f"version: 1\nkpis:\n  acc:\n    {name}: -0.1\n")
    assert str(err.value) == f"mlgate.yaml:4: kpis.acc.{name}: must be at least 0.0, got -0.1 (float)"


def test_a_flag_rule_takes_only_true() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config("version: 1\nkpis:\n  acc:\n    unchanged: false\n")
    assert str(err.value) == "mlgate.yaml:4: kpis.acc.unchanged: expected True, got False (a boolean)"


def test_a_value_rule_takes_any_number() -> None:
    kpi = parse_config("version: 1\nkpis:\n  loss:\n    max: -3\n").kpis["loss"]
    assert kpi.rules() == [("max", -3)]
    assert msgspec.structs.asdict(kpi)["max"] == -3
