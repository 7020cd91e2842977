"""How numbers read in reports and interval readings: a real minus sign, and intervals shown to about
two significant digits of their width. Pure and light (no numpy), shared by the report and the stats."""

from __future__ import annotations

import math

MINUS = "\u2212"


def confidence_pct(confidence: float) -> str:
    """0.95 -> '95'."""
    return f"{confidence * 100:.10g}"


def interval_digits(lo: float, hi: float, value: float) -> int:
    """Decimals that show an interval to about two significant digits of its width."""
    width = hi - lo
    scale = width if width > 0 else abs(value)
    if not math.isfinite(scale) or scale == 0:
        return 4
    return max(0, min(8, 2 - math.floor(math.log10(scale))))


def fixed(x: float, digits: int, *, sign: bool = False) -> str:
    """`x` with `digits` decimals, a real minus sign, and a plus sign when asked (never on zero)."""
    text = f"{abs(x):.{digits}f}"
    if float(text) == 0:
        return text
    if x < 0:
        return MINUS + text
    return ("+" if sign else "") + text
