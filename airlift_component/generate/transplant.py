"""Copying a function out of a DAG file with the module-level names it uses.

The function's source is copied as written (its TaskFlow decorator dropped),
preceded by what it needs from the module level: imports (Airflow's are
refused, naming the name), other functions, classes and assignments, each
copied the same way, dependencies first.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from airlift_component.generate.names import ModuleNames
from airlift_component.generate.refusals import Refusal
from airlift_component.generate.source import DagSource

_BUILTINS = frozenset(dir(builtins)) | {"__file__", "__name__"}
Function = ast.FunctionDef | ast.AsyncFunctionDef


def free_names(node: ast.AST) -> dict[str, int]:
    """Names read in ``node`` and bound nowhere in it (nor built in), with a line each."""
    loads: dict[str, int] = {}
    bound: set[str] = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        # Decorators (and a function's defaults) are read at module level: the
        # caller looks at them apart.
        roots: list[ast.AST] = [*node.body]
        if isinstance(node, ast.ClassDef):
            roots += node.bases
        else:
            roots.append(node.args)
            roots = [r for r in roots]
    else:
        roots = [node]
    for child in (c for root in roots for c in ast.walk(root)):
        if isinstance(child, ast.Name):
            if isinstance(child.ctx, ast.Load):
                loads.setdefault(child.id, child.lineno)
            else:
                bound.add(child.id)
        elif isinstance(child, ast.arg):
            bound.add(child.arg)
        elif (
            isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
            and child is not node
        ):
            bound.add(child.name)
        elif isinstance(child, ast.alias):
            bound.add(child.asname or child.name.split(".")[0])
        elif isinstance(child, ast.ExceptHandler) and child.name:
            bound.add(child.name)
    return {
        name: line for name, line in loads.items() if name not in bound and name not in _BUILTINS
    }


def import_line(imported: ast.Import | ast.ImportFrom, local: str) -> str:
    """The import statement binding ``local`` alone."""
    for alias in imported.names:
        bound = alias.asname or alias.name.split(".")[0]
        if bound != local:
            continue
        as_part = f" as {alias.asname}" if alias.asname else ""
        if isinstance(imported, ast.Import):
            return f"import {alias.name}{as_part}"
        return f"from {imported.module} import {alias.name}{as_part}"
    raise KeyError(local)


@dataclass
class Transplant:
    """The imports and module-level code a function needs, dependencies first."""

    imports: set[str] = field(default_factory=set)
    code: list[str] = field(default_factory=list)
    #: Module-level names the copied code binds.
    defines: set[str] = field(default_factory=set)


def _strip_task_decorators(source: DagSource, function: Function, names: ModuleNames) -> str:
    text = source.segment(function)
    kept = []
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualified = names.qualified(target) or ""
        if qualified.startswith(("airflow.decorators.task", "airflow.sdk.task")):
            continue
        kept.append(decorator)
    head = [f"@{source.segment(d)}" for d in kept]
    return "\n".join([*head, text])


def transplant(
    source: DagSource, names: ModuleNames, function: Function, *, module_level: bool
) -> Transplant:
    """What to copy to run ``function`` outside its DAG file; :class:`Refusal` when it
    needs Airflow, or (``module_level`` False: defined inside the DAG) a name of the
    function around it."""
    out = Transplant()
    seen: set[str] = set()

    def need(name: str, line: int) -> None:
        if name in seen:
            return
        seen.add(name)
        imported = names.imports.get(name)
        if imported is not None:
            if imported.from_airflow:
                raise Refusal(f"uses Airflow API {imported.qualified} (line {line})", line)
            out.imports.add(import_line(imported.node, name))
            return
        node: ast.stmt | None = names.functions.get(name) or names.classes.get(name)
        node = node or names.assignments.get(name)
        if node is None:
            where = "the DAG function around it" if not module_level else "the module level"
            raise Refusal(f"callable uses {name}, which is not defined at {where}", line)
        for dep, dep_line in sorted(free_names(node).items(), key=lambda item: item[1]):
            need(dep, dep_line)
        for dec in getattr(node, "decorator_list", []):
            for dep, dep_line in free_names(dec).items():
                need(dep, dep_line)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.code.append(_strip_task_decorators(source, node, names))
        else:
            segment = source.segment(node)
            if isinstance(node, ast.ClassDef):
                segment = "\n".join(
                    [*(f"@{source.segment(d)}" for d in node.decorator_list), segment]
                )
            out.code.append(segment)
        out.defines.add(name)

    for dep, line in sorted(free_names(function).items(), key=lambda item: item[1]):
        need(dep, line)
    for arg in [*function.args.defaults, *(d for d in function.args.kw_defaults if d is not None)]:
        for dep, line in free_names(arg).items():
            need(dep, line)
    out.code.append(_strip_task_decorators(source, function, names))
    out.defines.add(function.name)
    return out
