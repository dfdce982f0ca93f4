"""The values a module states by its syntax: literals, constants, environment reads.

``evaluate`` gives a Python value for what has one whatever the environment is
(constants, containers of them, ``+`` of strings, f-strings of known parts,
names bound to those at module level), an :class:`EnvRef` for
``os.environ["X"]`` / ``os.getenv("X")`` / ``os.environ.get("X", ...)``, and
raises :class:`Unknown` with the reason for anything else.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from airlift_component.import_python.symbols import Scope


@dataclass(frozen=True)
class EnvRef:
    """A value read from the environment variable ``name`` when the module runs."""

    name: str


class Unknown(ValueError):
    """The expression has no value known without running the module."""

    def __init__(self, node: ast.AST, reason: str) -> None:
        self.node = node
        self.line = getattr(node, "lineno", 0)
        self.reason = reason
        super().__init__(reason)


_ENV_GETTERS = {"os.getenv", "os.environ.get", "os.environ.__getitem__"}


def evaluate(node: ast.expr, scope: Scope, depth: int = 0) -> Any:
    """The value of ``node`` in ``scope``; :class:`Unknown` when it has none by syntax."""
    if depth > 20:
        raise Unknown(node, "defined through too many names")
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [evaluate(e, scope, depth + 1) for e in node.elts]
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise Unknown(node, "a dict with ** unpacking")
        return {
            evaluate(k, scope, depth + 1): evaluate(v, scope, depth + 1)
            for k, v in zip(node.keys, node.values, strict=True)
            if k is not None
        }
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = evaluate(node.operand, scope, depth + 1)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = evaluate(node.left, scope, depth + 1)
        right = evaluate(node.right, scope, depth + 1)
        if type(left) is type(right) and isinstance(left, str | int | float | list):
            return left + right
    if isinstance(node, ast.JoinedStr):
        return "".join(_fstring_part(part, scope, depth) for part in node.values)
    if isinstance(node, ast.Name) and node.id in scope.assigns:
        return evaluate(scope.assigns[node.id], scope, depth + 1)
    env = env_read(node, scope)
    if env is not None:
        return env
    raise Unknown(node, f"`{short(node)}` is computed when the module runs")


def _fstring_part(part: ast.expr, scope: Scope, depth: int) -> str:
    if isinstance(part, ast.Constant) and isinstance(part.value, str):
        return part.value
    if isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion < 0:
        value = evaluate(part.value, scope, depth + 1)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    raise Unknown(part, "an f-string with parts computed when the module runs")


def env_read(node: ast.expr, scope: Scope) -> EnvRef | None:
    """``os.environ["X"]``, ``os.getenv("X")``, ``os.environ.get("X")`` -> ``EnvRef("X")``."""
    if isinstance(node, ast.Subscript) and scope.dotted(node.value) == "os.environ":
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            return EnvRef(key.value)
    if isinstance(node, ast.Call) and node.args and scope.dotted(node.func) in _ENV_GETTERS:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return EnvRef(first.value)
    return None


def keyword(call: ast.Call, name: str, position: int | None = None) -> ast.expr | None:
    """The argument ``name`` of ``call``, by keyword or at ``position``."""
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    if position is not None and position < len(call.args):
        arg = call.args[position]
        return None if isinstance(arg, ast.Starred) else arg
    return None


def short(node: ast.AST, limit: int = 60) -> str:
    """The source of ``node``, cut to a length that fits in one message."""
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."
