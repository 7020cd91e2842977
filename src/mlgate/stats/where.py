"""A named slice's ``where:`` (pandas query syntax), checked before pandas ever evaluates it.

pandas evaluates a query with Python's own arithmetic, so a constant such as ``2 ** 999999999999``
computes forever, and ``@name`` reads a variable of the program that evaluates it. ``check`` refuses,
with one sentence (a ``ValueError`` that config validation reports with the file and line):

* text that is not an expression, and ``@`` references (a ``where:`` names columns, nothing else);
* attributes and names starting with ``_`` (no way to the interpreter's internals);
* integer literals of more than ``MAX_DIGITS`` digits and text literals over ``MAX_TEXT`` characters;
* a power whose exponent is a number above ``MAX_EXPONENT`` (or a constant expression instead of a
  number), and constants that would grow beyond ``MAX_BITS`` bits (``(2 ** 99) ** 99 ** 99``);
* repeating text or a list (``'a' * 1000000000``), and a number above ``MAX_ARGUMENT`` passed to a call
  (``region.str.repeat(10 ** 9)``).

``text.safe.quoted`` is how messages show a ``where:``: ``repr``, bounded, on one line.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import cast

from mlgate.text.safe import one_line, quoted

MAX_DIGITS = 30
MAX_TEXT = 10_000
MAX_EXPONENT = 100
MAX_BITS = 4096
MAX_ARGUMENT = 1_000_000
_BACKTICKS = re.compile(r"`[^`]*`")


def check(where: str) -> None:
    """Raise ValueError (one sentence, the fix included) when ``where`` may not be evaluated."""
    text = _BACKTICKS.sub(lambda m: f"column{m.start()}", where)  # `a column` is a column name to pandas
    try:
        if any(t.type == tokenize.OP and t.string == "@" for t in tokenize.generate_tokens(io.StringIO(text).readline)):
            raise ValueError(f"where: {quoted(where)} uses '@', which refers to a variable of the program, not a "
                             "column; name the file's columns only")
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, tokenize.TokenError, RecursionError, MemoryError) as exc:
        problem = getattr(exc, "msg", None) or (exc.args[0] if exc.args else type(exc).__name__)
        raise ValueError(f"where: {quoted(where)} is not an expression ({one_line(problem)[:100]}); write a "
                         "condition in pandas query syntax, e.g. \"hour < 6 or hour >= 22\"") from None
    for node in ast.walk(tree):
        _check_node(node, where)
    _bits(tree.body, where)


def _check_node(node: ast.AST, where: str) -> None:
    refuse = None
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        refuse = f"uses the attribute {node.attr!r}; attributes starting with '_' are not allowed"
    elif isinstance(node, ast.Name) and node.id.startswith("_"):
        refuse = f"uses the name {one_line(node.id)[:40]!r}; a name starting with '_' is not allowed"
    elif isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        digits = len(str(abs(node.value))) if node.value.bit_length() < 4 * MAX_DIGITS else MAX_DIGITS + 1
        if digits > MAX_DIGITS:
            refuse = f"has an integer literal of more than {MAX_DIGITS} digits; write it as a float (e.g. 1e40)"
    elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)) and len(node.value) > MAX_TEXT:
        refuse = f"has a text literal of {len(node.value):,} characters, more than {MAX_TEXT:,}"
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        exponent = _number(node.right)
        if exponent is None and not _names(node.right):
            refuse = "raises to a power given by a constant expression; write the exponent as a number"
        elif exponent is not None and abs(exponent) > MAX_EXPONENT:
            refuse = (f"raises to the power {_short(exponent)}, above {MAX_EXPONENT}; "
                      "such a power takes forever or overflows")
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        if any(isinstance(side, (ast.List, ast.Tuple, ast.Set)) or
               (isinstance(side, ast.Constant) and isinstance(side.value, (str, bytes)))
               for side in (node.left, node.right)):
            refuse = "repeats text or a list with '*'; compare columns with values instead"
    elif isinstance(node, ast.Call):
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            size = _magnitude(arg, where)
            if size is not None and size > MAX_ARGUMENT:
                refuse = (f"passes a number above {MAX_ARGUMENT:,} to {_called(node)}; a call such as "
                          "region.str.repeat(10 ** 9) would not finish")
    if refuse:
        raise ValueError(f"where: {quoted(where)} {refuse}")


def _magnitude(node: ast.AST, where: str) -> float | None:
    """How large a constant argument is (a number literal, or a bound on a constant integer expression)."""
    number = _number(node)
    if number is not None:
        return abs(number)
    if _names(node):
        return None
    bits = _bits(node, where)
    if bits is None:
        return None
    if bits > 64:
        return 2.0 ** min(bits, 1000)
    try:  # small, and only numbers and operators (no name, no call): safe and quick to work out
        value = eval(compile(ast.Expression(cast(ast.expr, node)), "<where>", "eval"), {"__builtins__": {}}, {})  # noqa: S307 - checked constants only
    except (ArithmeticError, TypeError, ValueError):
        return None
    return abs(value) if isinstance(value, (int, float)) else None


def _called(node: ast.Call) -> str:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else "a call"
    return f"{one_line(name)[:40]}()"


def _number(node: ast.AST) -> float | None:
    """The value of a number literal, with its sign; None for anything else."""
    sign = 1
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return sign * node.value
    return None


def _names(node: ast.AST) -> bool:
    return any(isinstance(n, (ast.Name, ast.Attribute, ast.Call)) for n in ast.walk(node))


def _short(value: float) -> str:
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if len(text) <= 20 else f"{text[:8]}…"


def _bits(node: ast.AST, where: str) -> int | None:
    """A bound on the bits of a constant integer subexpression (None when it depends on a column or is
    not an integer); ValueError when one would exceed MAX_BITS."""
    size: int | None = None
    if isinstance(node, ast.Constant):
        value = node.value
        size = value.bit_length() if isinstance(value, int) and not isinstance(value, bool) else None
    elif isinstance(node, ast.UnaryOp):
        size = _bits(node.operand, where)
    elif isinstance(node, ast.BinOp):
        left, right = _bits(node.left, where), _bits(node.right, where)
        if left is not None and right is not None:
            if isinstance(node.op, ast.Pow):
                exponent = _number(node.right)
                size = left * int(abs(exponent)) if exponent is not None else None
            elif isinstance(node.op, ast.Mult):
                size = left + right
            elif isinstance(node.op, (ast.Add, ast.Sub, ast.BitOr, ast.BitAnd, ast.BitXor)):
                size = max(left, right) + 1
            elif isinstance(node.op, (ast.FloorDiv, ast.Mod)):
                size = left
    else:
        for child in ast.iter_child_nodes(node):
            _bits(child, where)
    if size is not None and size > MAX_BITS:
        raise ValueError(f"where: {quoted(where)} computes a constant of about {int(size * 0.30103):,} digits; "
                         "write smaller numbers")
    return size
