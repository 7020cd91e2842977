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


# -- one number format per metric ----------------------------------------------------------------
# A metric's values, its change and the gate's message all read with the same decimals, decided from
# the values of both sides: fractions (|v| <= 1) always with 4 decimals (so 1.0000 -> 0.9667 and
# 0.9650 -> 0.9790 in every run), other numbers with what they need up to 5 significant digits,
# integers as they are (no thousands separators: a param value is copied, not read aloud). A change
# that does not show at those decimals is float noise and reads as no change.

NO_CHANGE = "±0"


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range (10**400): not a number a metric can hold
        return None
    return number if math.isfinite(number) else None


class NumberFormat:
    """How one metric's numbers read: ``kind`` int | fixed | sci, with ``decimals`` after the point."""

    __slots__ = ("kind", "decimals")

    def __init__(self, kind: str, decimals: int) -> None:
        self.kind, self.decimals = kind, decimals

    def __repr__(self) -> str:
        return f"NumberFormat({self.kind!r}, {self.decimals})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NumberFormat) and (self.kind, self.decimals) == (other.kind, other.decimals)

    def value(self, value: object) -> str:
        """A number as this metric shows it; NaN and infinities in words; '—' for nothing."""
        if value is None:
            return "—"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return str(value)
        if isinstance(value, int) and (self.kind == "int" or _finite(value) is None):
            return str(value).replace("-", MINUS)
        if isinstance(value, float) and math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else MINUS + "∞"
        if self.kind == "sci" or (value != 0 and not 1e-8 <= abs(value) < 1e15):
            return f"{value:.3e}".replace("-", MINUS)
        return fixed(float(value), self.decimals)

    def same(self, old: object, new: object) -> bool:
        """Both sides read alike at this format (equal, or apart only by float noise)."""
        a, b = _finite(old), _finite(new)
        if a is None or b is None:
            return old == new
        return a == b or self.value(a) == self.value(b)

    def change(self, old: object, new: object) -> str | None:
        """'+0.0014', '−3', '±0' (no change or float noise); None when there is nothing to compare."""
        a, b = _finite(old), _finite(new)
        if a is None or b is None:
            if isinstance(old, int | float) and isinstance(new, int | float) and not isinstance(old, bool) \
                    and not isinstance(new, bool) and old == new:
                return NO_CHANGE  # inf to inf
            return None
        if self.same(a, b):
            return NO_CHANGE
        diff = b - a
        if self.kind == "int" and isinstance(old, int) and isinstance(new, int):
            return ("+" if diff > 0 else "") + str(new - old).replace("-", MINUS)
        if self.kind == "sci":
            return ("+" if diff > 0 else "") + f"{diff:.3e}".replace("-", MINUS)
        decimals = self.decimals
        while float(f"{abs(diff):.{decimals}f}") == 0 and decimals < 12:  # shown values differ: so does the change
            decimals += 1
        return fixed(diff, decimals, sign=True)

    def amount(self, amount: float) -> str:
        """An unsigned quantity in this metric's unit (a drop, a rise), never in scientific notation."""
        if self.kind == "int" and float(amount).is_integer():
            return str(int(amount))
        if self.kind == "sci":
            return f"{amount:.3e}".replace("-", MINUS)
        decimals = self.decimals
        while amount and float(f"{abs(amount):.{decimals}f}") == 0 and decimals < 12:
            decimals += 1
        return fixed(amount, decimals)


def number_format(*values: object) -> NumberFormat:
    """The format for a metric with these values (both sides; None, text and NaN are ignored)."""
    numbers = [v for v in values if _finite(v) is not None]
    if not numbers:
        return NumberFormat("fixed", 4)
    if all(isinstance(v, int) for v in numbers):
        return NumberFormat("int", 0)
    largest = max(abs(float(v)) for v in numbers)  # type: ignore[arg-type]
    if largest >= 1e9 or 0 < largest < 1e-6:
        return NumberFormat("sci", 3)
    if largest <= 1:
        if largest >= 0.01 or largest == 0:
            return NumberFormat("fixed", 4)
        return NumberFormat("fixed", min(8, 3 - math.floor(math.log10(largest))))
    limit = max(0, 4 - math.floor(math.log10(largest)))  # 5 significant digits of the largest
    needed = 0
    for v in numbers:
        shown = f"{float(v):.{limit}f}".rstrip("0")  # type: ignore[arg-type]
        needed = max(needed, len(shown.split(".")[1]) if "." in shown else 0)
    return NumberFormat("fixed", needed)


def percent(pct: float) -> str:
    """'+172%', '−28.9%', '+1.8%': a signed percentage, one decimal below 100; a change under 0.05 % keeps its
    first significant digit ('−0.01%', '+0.003%'), so a change never reads as '0.0%' beside a better/worse word."""
    digits = 0 if abs(pct) >= 100 else 1
    if 0 < abs(pct) < 0.05 and math.isfinite(pct):
        digits = min(4, -math.floor(math.log10(abs(pct))))
    return fixed(pct, digits, sign=True) + "%"
