"""Settings read from the environment (time limits): one reading, one error wording for all of them."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping

from mlgate.errors import InputError, MlgateError
from mlgate.text.safe import one_line


def seconds(name: str, default: float, most: float, *, environ: Mapping[str, str] | None = None,
            error: type[MlgateError] = InputError) -> float:
    """The seconds the variable ``name`` sets (``default`` when unset or blank), above 0 and at most ``most``;
    anything else is ``error`` naming the variable, its value and an example."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = math.nan
    if not 0 < value <= most:
        raise error(f"{name}={one_line(raw)!r}: expected seconds above 0 and at most {most:g}, "
                    f"e.g. {name}={default:g}")
    return value
