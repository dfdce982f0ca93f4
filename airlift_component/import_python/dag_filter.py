"""``dag_selector_fn`` and ``AirflowFilter`` as airlift.yaml's ``dags: {include, exclude, tags}``.

A selector is translated when it is one comparison of the DAG id (or an
``or`` of them): ``dag.dag_id == "x"``, ``dag.dag_id in [...]``,
``dag.dag_id.startswith("x")`` and their negations, in a ``lambda`` or a
function that only returns it. Anything else is a finding.
"""

from __future__ import annotations

import ast
from typing import Any

from airlift_component.import_python.symbols import Scope, api_name
from airlift_component.import_python.values import Unknown, evaluate, keyword


def selector_filter(node: ast.expr, scope: Scope) -> dict[str, list[str]]:
    """The ``dags:`` filter a selector function means; :class:`Unknown` when not one."""
    param, body = _selector_body(node, scope)
    include: list[str] = []
    exclude: list[str] = []
    parts = body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.Or) else [body]
    for part in parts:
        globs, negated = _comparison(part, param, scope)
        (exclude if negated else include).extend(globs)
    if include and exclude:
        raise Unknown(body, "a selector that both includes and excludes DAGs")
    return {"include": include} if include else {"include": ["*"], "exclude": exclude}


def _selector_body(node: ast.expr, scope: Scope) -> tuple[str, ast.expr]:
    if isinstance(node, ast.Lambda) and len(node.args.args) == 1:
        return node.args.args[0].arg, node.body
    if isinstance(node, ast.Name) and node.id in scope.functions:
        fn = scope.functions[node.id]
        body = [
            s
            for s in fn.body
            if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))
        ]
        if (
            len(fn.args.args) == 1
            and len(body) == 1
            and isinstance(body[0], ast.Return)
            and body[0].value
        ):
            return fn.args.args[0].arg, body[0].value
    raise Unknown(node, "a dag_selector_fn other than one comparison of the DAG id")


def _is_dag_id(node: ast.expr, param: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "dag_id"
        and isinstance(node.value, ast.Name)
        and node.value.id == param
    )


def _comparison(node: ast.expr, param: str, scope: Scope) -> tuple[list[str], bool]:
    negated = False
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        node, negated = node.operand, True
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and _is_dag_id(node.left, param):
        op, right = node.ops[0], evaluate(node.comparators[0], scope)
        if isinstance(op, ast.Eq | ast.NotEq) and isinstance(right, str):
            return [_escape(right)], negated ^ isinstance(op, ast.NotEq)
        strings = isinstance(right, list) and all(isinstance(v, str) for v in right)
        if isinstance(op, ast.In | ast.NotIn) and strings:
            return [_escape(v) for v in right], negated ^ isinstance(op, ast.NotIn)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("startswith", "endswith")
        and _is_dag_id(node.func.value, param)
        and len(node.args) == 1
    ):
        value: Any = evaluate(node.args[0], scope)
        values = value if isinstance(value, list) else [value]
        if all(isinstance(v, str) for v in values):
            if node.func.attr == "startswith":
                return [f"{_escape(v)}*" for v in values], negated
            return [f"*{_escape(v)}" for v in values], negated
    raise Unknown(node, "a dag_selector_fn other than comparisons of the DAG id")


def _escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def retrieval_filter(node: ast.expr, scope: Scope) -> tuple[dict[str, list[str]], list[str]]:
    """``AirflowFilter(dag_id_ilike=, airflow_tags=)`` as ``dags:``, and notes on what changed."""
    for _ in range(5):
        if isinstance(node, ast.Name) and node.id in scope.assigns:
            node = scope.assigns[node.id]
    if not isinstance(node, ast.Call) or api_name(scope.dotted(node.func)) != "AirflowFilter":
        raise Unknown(node, "a retrieval_filter other than AirflowFilter(...)")
    dags: dict[str, list[str]] = {}
    notes: list[str] = []
    pattern = keyword(node, "dag_id_ilike")
    if pattern is not None:
        value = evaluate(pattern, scope)
        if not isinstance(value, str):
            raise Unknown(pattern, "dag_id_ilike is not a string")
        glob = _escape(value).replace("%", "*").replace("_", "?")
        dags["include"] = [f"*{glob}*"]
        notes.append(
            f"dag_id_ilike {value!r} (Airflow matches it anywhere in the id, ignoring case) "
            f"is written as the glob *{glob}*, which airlift matches case-sensitively"
        )
    tags = keyword(node, "airflow_tags")
    if tags is not None:
        value = evaluate(tags, scope)
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise Unknown(tags, "airflow_tags is not a list of strings")
        dags["tags"] = list(value)
    for kw in node.keywords:
        if kw.arg not in ("dag_id_ilike", "airflow_tags", None):
            notes.append(f"AirflowFilter({kw.arg}=...) has no airlift.yaml field; left out")
    return dags, notes
