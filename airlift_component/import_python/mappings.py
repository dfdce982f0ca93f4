"""Which DAG or task each asset belongs to: dagster-airlift's mapping helpers, read.

``assets_with_task_mappings``, ``assets_with_dag_mappings``, ``dag_defs`` /
``task_defs`` and ``Definitions(assets=...)`` (also merged) become
:class:`Mapped` rows; the parts of a ``Definitions`` airlift.yaml does not hold
(checks, resources, schedules...) and assets mapped to nothing are findings.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from airlift_component.config.ids import DAG_ID_PATTERN, TASK_ID_PATTERN
from airlift_component.import_python.assets import AssetReader, Entry
from airlift_component.import_python.result import ImportResult
from airlift_component.import_python.symbols import Scope, api_name
from airlift_component.import_python.values import Unknown, evaluate, keyword, short

#: Definitions(...) arguments that stay in Python, and what to do with them.
_KEEP_IN_PYTHON = (
    "asset_checks",
    "resources",
    "sensors",
    "schedules",
    "jobs",
    "executor",
    "loggers",
)


@dataclass
class Mapped:
    """One asset of one DAG (``task`` None: the DAG as a whole)."""

    dag: str
    task: str | None
    entry: Entry


class MappingReader:
    """Reads the mapped assets of the main module's expressions."""

    def __init__(self, scope: Scope, assets: AssetReader, result: ImportResult) -> None:
        self.scope = scope
        self.assets = assets
        self.result = result

    def _resolve(self, node: ast.expr) -> ast.expr:
        for _ in range(10):
            if isinstance(node, ast.Name) and node.id in self.scope.assigns:
                node = self.scope.assigns[node.id]
            else:
                break
        return node

    def _literal(self, node: ast.expr | None, what: str, line: int) -> str | None:
        try:
            value = evaluate(node, self.scope) if node is not None else None
        except Unknown as exc:
            self.result.note(exc.line or line, f"{what} not translated: {exc.reason}")
            return None
        if not isinstance(value, str):
            self.result.note(line, f"{what} is not a string; its assets are not translated")
            return None
        if not re.match(DAG_ID_PATTERN if what.startswith("dag") else TASK_ID_PATTERN, value):
            self.result.note(
                line, f"{what} {value!r} is not an Airflow id; its assets are not translated"
            )
            return None
        return value

    # --- Definitions -----------------------------------------------------------------

    def definitions(self, node: ast.expr) -> list[Mapped]:
        """The mapped assets of a ``Definitions`` expression (or ``merge`` / ``dag_defs``)."""
        node = self._resolve(node)
        line = getattr(node, "lineno", 0)
        kind = api_name(self.scope.dotted(node.func)) if isinstance(node, ast.Call) else None
        if not isinstance(node, ast.Call) or kind is None:
            self.result.note(line, f"`{short(node)}` not translated: not a Definitions(...)")
            return []
        if kind == "merge":
            return [m for arg in node.args for m in self.definitions(arg)]
        if kind == "dag_defs":
            return self._dag_defs(node)
        if kind != "Definitions":
            self.result.note(
                line, f"`{short(node)}` not translated: {kind}(...) is not a Definitions"
            )
            return []
        self._keep_in_python(node)
        assets = keyword(node, "assets")
        return self.asset_list(assets) if assets is not None else []

    def _keep_in_python(self, call: ast.Call) -> None:
        for kw in call.keywords:
            if kw.arg in _KEEP_IN_PYTHON:
                self.result.note(
                    kw.value.lineno,
                    f"Definitions({kw.arg}=...) stays in Python: merge it with airlift's "
                    'definitions (Definitions.merge(build_defs("airlift.yaml"), ...))',
                )

    def _dag_defs(self, call: ast.Call) -> list[Mapped]:
        dag = self._literal(keyword(call, "dag_id", 0), "dag id of dag_defs", call.lineno)
        rows: list[Mapped] = []
        for arg in call.args[1:]:
            arg = self._resolve(arg)
            kind = api_name(self.scope.dotted(arg.func)) if isinstance(arg, ast.Call) else None
            if not isinstance(arg, ast.Call) or kind != "task_defs":
                self.result.note(
                    arg.lineno, f"`{short(arg)}` in dag_defs not translated: not task_defs(...)"
                )
                continue
            task = self._literal(keyword(arg, "task_id", 0), "task id of task_defs", arg.lineno)
            for item in arg.args[1:]:
                item = self._resolve(item)
                inner = (
                    api_name(self.scope.dotted(item.func)) if isinstance(item, ast.Call) else None
                )
                if inner == "Definitions" and isinstance(item, ast.Call):
                    self._keep_in_python(item)
                    listed = keyword(item, "assets")
                    entries = self.assets.entries(listed, self.scope, item.lineno) if listed else []
                else:
                    entries = self.assets.entries(item, self.scope, item.lineno)
                if dag is not None and task is not None:
                    rows += [Mapped(dag, task, e) for e in entries]
        return rows

    # --- asset lists ----------------------------------------------------------------

    def asset_list(self, node: ast.expr) -> list[Mapped]:
        """The mapped assets of a ``Definitions(assets=...)`` list."""
        node = self._resolve(node)
        if isinstance(node, ast.List | ast.Tuple):
            return [m for item in node.elts for m in self.asset_list(item)]
        if isinstance(node, ast.Starred):
            return self.asset_list(node.value)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            return self.asset_list(node.left) + self.asset_list(node.right)
        kind = api_name(self.scope.dotted(node.func)) if isinstance(node, ast.Call) else None
        if isinstance(node, ast.Call) and kind == "assets_with_task_mappings":
            return self._task_mappings(node)
        if isinstance(node, ast.Call) and kind == "assets_with_dag_mappings":
            return self._dag_mappings(node)
        if isinstance(node, ast.Call) and kind == "assets_with_multiple_task_mappings":
            self.result.note(
                node.lineno,
                "assets_with_multiple_task_mappings(...) not translated: in airlift.yaml an "
                "asset key is produced by one task; map each asset to the task that writes it",
            )
            return []
        for entry in self.assets.entries(node, self.scope, getattr(node, "lineno", 0)):
            self.result.note(
                entry.line,
                f"asset {entry.data['key']} is mapped to no DAG or task, so airlift.yaml has no "
                "place for it: keep it in Python Definitions merged with airlift's",
            )
        return []

    def _task_mappings(self, call: ast.Call) -> list[Mapped]:
        dag = self._literal(keyword(call, "dag_id", 0), "dag id", call.lineno)
        table = self._resolve(keyword(call, "task_mappings", 1) or call)
        if not isinstance(table, ast.Dict):
            self.result.note(
                call.lineno, "task_mappings is not a literal {task: [...]} dict; not translated"
            )
            return []
        rows = []
        for key, value in zip(table.keys, table.values, strict=True):
            if key is None:
                self.result.note(value.lineno, "task_mappings with ** unpacking; not translated")
                continue
            task = self._literal(key, "task id", key.lineno)
            entries = self.assets.entries(value, self.scope, key.lineno)
            if dag is not None and task is not None:
                rows += [Mapped(dag, task, e) for e in entries]
        return rows

    def _dag_mappings(self, call: ast.Call) -> list[Mapped]:
        table = self._resolve(keyword(call, "dag_mappings", 0) or call)
        if not isinstance(table, ast.Dict):
            self.result.note(
                call.lineno, "dag_mappings is not a literal {dag: [...]} dict; not translated"
            )
            return []
        rows = []
        for key, value in zip(table.keys, table.values, strict=True):
            if key is None:
                self.result.note(value.lineno, "dag_mappings with ** unpacking; not translated")
                continue
            dag = self._literal(key, "dag id", key.lineno)
            entries = self.assets.entries(value, self.scope, key.lineno)
            if dag is not None:
                rows += [Mapped(dag, None, e) for e in entries]
        return rows
