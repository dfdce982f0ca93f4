"""What each top-level name of a module is: an import, an assignment, a function or a class.

:class:`Scope` answers "what does this name or ``a.b`` attribute chain stand
for?" with a dotted name (``dg.AssetSpec`` -> ``dagster.AssetSpec``) or with the
module-level definition it refers to. :class:`Project` reads the modules a
definitions module imports from the same source root, each once.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from airlift_component.import_python.result import ImportPythonError
from airlift_component.import_python.source import SourceFile, module_file, read_source

#: How many modules of the project one import may read.
MAX_MODULES = 50


@dataclass
class Scope:
    """The top-level names of one module."""

    source: SourceFile
    imports: dict[str, str] = field(default_factory=dict)
    assigns: dict[str, ast.expr] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)

    @classmethod
    def of(cls, source: SourceFile) -> Scope:
        scope = cls(source)
        package = source.module.rpartition(".")[0]
        if source.path.name == "__init__.py":
            package = source.module
        for node in source.tree.body:
            scope._add(node, package)
        return scope

    def _add(self, node: ast.stmt, package: str) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imports[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imports[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node.module or "", node.level, package)
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{base}.{alias.name}".lstrip(".")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.assigns[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            self.assigns[node.target.id] = node.value
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            self.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            self.classes[node.name] = node
        elif isinstance(node, ast.If | ast.Try):  # guarded imports and definitions
            for inner in [*node.body, *getattr(node, "orelse", [])]:
                self._add(inner, package)

    def dotted(self, node: ast.expr) -> str | None:
        """``dg.AssetSpec`` -> ``dagster.AssetSpec``; a local name -> ``<module>.<name>``."""
        if isinstance(node, ast.Name):
            if node.id in self.imports:
                return self.imports[node.id]
            if node.id in self.assigns or node.id in self.functions or node.id in self.classes:
                return f"{self.source.module}.{node.id}"
            return None
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None


def _absolute(module: str, level: int, package: str) -> str:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*parts, module] if module else parts)


def api_name(dotted: str | None) -> str | None:
    """The last part of ``dotted`` when it names something of Dagster or an integration
    (``dagster``, ``dagster_airlift``, ``dagster_dbt``...)."""
    if not dotted:
        return None
    top = dotted.split(".")[0]
    return dotted.rsplit(".", 1)[-1] if top == "dagster" or top.startswith("dagster_") else None


@dataclass
class Definition:
    """A module-level name found in some module of the project."""

    scope: Scope
    name: str

    @property
    def node(self) -> ast.AST | None:
        s = self.scope
        return s.assigns.get(self.name) or s.functions.get(self.name) or s.classes.get(self.name)


class Project:
    """The modules of one source root, read on demand (at most :data:`MAX_MODULES`)."""

    def __init__(self, root: Path, main: Scope) -> None:
        self.root = root
        self.main = main
        self._scopes: dict[str, Scope | None] = {main.source.module: main}

    def scope(self, module: str) -> Scope | None:
        """The scope of ``module`` when it is a readable file under the root."""
        if module not in self._scopes:
            path = module_file(self.root, module)
            if path is None or len(self._scopes) >= MAX_MODULES:
                self._scopes[module] = None
            else:
                try:
                    self._scopes[module] = Scope.of(read_source(path, module))
                except ImportPythonError:  # an unreadable helper module is just unknown
                    self._scopes[module] = None
        return self._scopes[module]

    def definition(self, dotted: str, depth: int = 0) -> Definition | None:
        """The module-level definition ``dotted`` names, following re-exports."""
        if depth > 10:
            return None
        module, _, name = dotted.rpartition(".")
        scope = self.scope(module) if module else None
        if scope is None:
            return None
        if name in scope.imports:
            return self.definition(scope.imports[name], depth + 1)
        found = Definition(scope, name)
        return found if found.node is not None else None
