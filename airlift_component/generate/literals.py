"""Evaluating the constant parts of a DAG file: literals, f-strings over loop variables.

Only what has one value whatever the environment is evaluated: constants,
lists, tuples, dicts and sets of them, ``+`` of strings, f-strings whose parts
are known, names bound by an enclosing ``for`` over a literal range or list
(``task_id=f"runme_{i}"``) or by an earlier literal assignment, arithmetic on
numbers and ``textwrap.dedent`` of a string. Anything else raises :class:`NotLiteral`.
"""

from __future__ import annotations

import ast
import operator
import textwrap
from collections.abc import Mapping
from typing import Any


class NotLiteral(ValueError):
    """The expression has no value known without running the DAG file."""

    def __init__(self, node: ast.AST) -> None:
        self.node = node
        super().__init__(f"line {getattr(node, 'lineno', 0)}: not a literal")


def evaluate(node: ast.expr, env: Mapping[str, Any] | None = None) -> Any:
    """The value of ``node``; ``env`` holds loop variables. :class:`NotLiteral` otherwise."""
    env = env or {}
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.List):
        return [evaluate(e, env) for e in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(evaluate(e, env) for e in node.elts)
    if isinstance(node, ast.Set):
        return {evaluate(e, env) for e in node.elts}
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise NotLiteral(node)
        pairs = [(k, v) for k, v in zip(node.keys, node.values, strict=True) if k is not None]
        return {evaluate(k, env): evaluate(v, env) for k, v in pairs}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = evaluate(node.operand, env)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = evaluate(node.left, env), evaluate(node.right, env)
        if type(left) is type(right) and isinstance(left, str | int | float | list | tuple):
            return left + right
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        left, right = evaluate(node.left, env), evaluate(node.right, env)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (left, right))
        if numbers and not (isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod) and right == 0):
            return _ARITHMETIC[type(node.op)](left, right)
    if _is_dedent(node):
        assert isinstance(node, ast.Call)
        value = evaluate(node.args[0], env)
        if isinstance(value, str):
            return textwrap.dedent(value)
    if isinstance(node, ast.JoinedStr):
        return "".join(_fstring_part(part, env) for part in node.values)
    raise NotLiteral(node)


_ARITHMETIC: dict[type[ast.operator], Any] = {
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def _is_dedent(node: ast.expr) -> bool:
    """``textwrap.dedent("...")`` (or ``dedent(...)``) of one argument."""
    if not isinstance(node, ast.Call) or len(node.args) != 1 or node.keywords:
        return False
    func = node.func
    if isinstance(func, ast.Attribute):
        return (
            func.attr == "dedent"
            and isinstance(func.value, ast.Name)
            and func.value.id == "textwrap"
        )
    return isinstance(func, ast.Name) and func.id == "dedent"


def _fstring_part(part: ast.expr, env: Mapping[str, Any]) -> str:
    if isinstance(part, ast.Constant) and isinstance(part.value, str):
        return part.value
    if isinstance(part, ast.FormattedValue) and part.format_spec is None:
        value = evaluate(part.value, env)
        if part.conversion == ord("r"):
            return repr(value)
        if part.conversion in (-1, ord("s")):
            return str(value)
    raise NotLiteral(part)


def loop_values(loop: ast.For) -> tuple[str, list[Any]] | None:
    """``(name, values)`` of ``for name in range(...)`` or a literal list; None otherwise."""
    if not isinstance(loop.target, ast.Name):
        return None
    iterable = loop.iter
    try:
        if (
            isinstance(iterable, ast.Call)
            and isinstance(iterable.func, ast.Name)
            and iterable.func.id == "range"
            and not iterable.keywords
        ):
            bounds = [evaluate(arg) for arg in iterable.args]
            if all(isinstance(b, int) for b in bounds) and 1 <= len(bounds) <= 3:
                values = list(range(*bounds))
                return (loop.target.id, values) if len(values) <= 1000 else None
            return None
        values = evaluate(iterable)
    except NotLiteral:
        return None
    if isinstance(values, list | tuple):
        return loop.target.id, list(values)
    return None
