"""The blocks of mlgate.yaml that metric families add through the registry (``mlgate.families.register``).

config sits below the families, so it never imports them: a registered family hands its block's schema (a
``Strict`` struct) to ``register_block``, and ``parse_config`` validates that block with it, with the same
line-numbered one-line errors as every other block. The validated block is ``config.addons[key]``.
"""

from __future__ import annotations

from typing import Any

ADDON_BLOCKS: dict[str, type] = {}


def register_block(key: str, schema: type) -> None:
    ADDON_BLOCKS[key] = schema


def unregister_block(key: str) -> None:
    ADDON_BLOCKS.pop(key, None)


def block_of(config: Any, key: str) -> Any:
    """The config's block ``key`` (None or empty when absent); KeyError when mlgate.yaml has no such block."""
    if key in ADDON_BLOCKS:
        return config.addons.get(key)
    if key in config.__struct_fields__ and key != "addons":
        return getattr(config, key)
    raise KeyError(key)
