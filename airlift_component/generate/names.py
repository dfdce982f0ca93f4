"""What the names of a DAG file's module level stand for: imports, functions, assignments."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Imported:
    """A name bound by an import: ``from module import name as local`` / ``import module``."""

    local: str
    module: str
    name: str | None  # None for ``import module``
    node: ast.Import | ast.ImportFrom

    @property
    def qualified(self) -> str:
        """``module.name`` (or ``module`` for a plain import)."""
        return f"{self.module}.{self.name}" if self.name else self.module

    @property
    def from_airflow(self) -> bool:
        """True for Airflow's own modules (and its providers)."""
        return self.module == "airflow" or self.module.startswith("airflow.")


@dataclass
class ModuleNames:
    """The module-level bindings of a DAG file, by name."""

    imports: dict[str, Imported] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    #: Module-level statements binding a name (assignments), by the name.
    assignments: dict[str, ast.stmt] = field(default_factory=dict)
    #: Module-level names whose value is a literal (filled by the DAG finder).
    literals: dict[str, Any] = field(default_factory=dict)

    def qualified(self, node: ast.expr) -> str | None:
        """The dotted name a callee stands for, through the imports (``BashOperator`` →
        ``airflow.providers.standard.operators.bash.BashOperator``); None when unknown."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(node.id)
        parts.reverse()
        imported = self.imports.get(parts[0])
        if imported is None:
            return ".".join(parts)
        return ".".join([imported.qualified, *parts[1:]])


def _bind_targets(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _bind_targets(element)]
    return []


def module_names(tree: ast.Module) -> ModuleNames:
    """The names bound at the top level of ``tree`` (imports inside ``try`` included)."""
    names = ModuleNames()
    for stmt in _top_statements(tree.body):
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                local = alias.asname or alias.name.split(".")[0]
                module = alias.name if alias.asname else alias.name.split(".")[0]
                names.imports[local] = Imported(local, module, None, stmt)
        elif isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
            for alias in stmt.names:
                local = alias.asname or alias.name
                names.imports[local] = Imported(local, stmt.module, alias.name, stmt)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            names.functions[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef):
            names.classes[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                for name in _bind_targets(target):
                    names.assignments[name] = stmt
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            names.assignments[stmt.target.id] = stmt
    return names


def _top_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` with the statements of top-level ``try`` and ``if`` blocks spliced in."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.Try):
            out += _top_statements(stmt.body)
            for handler in stmt.handlers:
                out += _top_statements(handler.body)
        elif isinstance(stmt, ast.If):
            out += _top_statements(stmt.body) + _top_statements(stmt.orelse)
        else:
            out.append(stmt)
    return out
