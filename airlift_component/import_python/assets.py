"""The assets a mapping lists: ``AssetSpec`` calls, ``@asset`` / ``@multi_asset`` functions.

Each becomes airlift.yaml asset objects. A spec keeps its attributes; an asset
definition becomes its keys with ``code: package.module:function``, since its
own code (and so its own lineage) replaces the spec once airlift loads it, and
each entry remembers the definition it came from, so that a task producing one
definition alone is written as one line (:mod:`.task_code`). A ``@dbt_assets``
project, whose keys come from its manifest, is one entry naming only its code.
A name is followed to its module-level definition, in this module or another
module of the project read by its syntax. Anything whose keys are known only by
running code (a factory call) is a finding.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from airlift_component.config.airlift_yaml.model import AssetSpecModel
from airlift_component.import_python.asset_keys import (
    OnSplit,
    key_from_value,
    key_text,
    spec_fields,
)
from airlift_component.import_python.result import ImportResult
from airlift_component.import_python.symbols import Project, Scope, api_name
from airlift_component.import_python.values import Unknown, evaluate, keyword, short

_IDENTIFIER_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LIST_BUILDERS = {"assets_with_task_mappings", "assets_with_dag_mappings"}


@dataclass(frozen=True)
class CodeDefinition:
    """An asset definition of the project: its ``code:`` reference and its keys
    (``None`` when only running it tells them, as for ``@dbt_assets``)."""

    ref: str
    keys: tuple[str, ...] | None


@dataclass
class Entry:
    """One airlift.yaml asset object and the line of the module it came from; an entry
    of an asset definition names it (its ``data`` has no key when ``keys`` is None)."""

    line: int
    data: dict[str, Any]
    definition: CodeDefinition | None = None


class AssetReader:
    """Turns asset expressions of the main module into :class:`Entry` lists."""

    def __init__(self, project: Project, result: ImportResult) -> None:
        self.project = project
        self.result = result

    # --- one element of a mapping's list ----------------------------------------------

    def entries(self, node: ast.expr, scope: Scope, line: int) -> list[Entry]:
        """The assets ``node`` stands for; a finding (and none) when it cannot be read."""
        try:
            found = self._entries(node, scope, line, 0)
        except Unknown as exc:
            self.result.note(line, f"`{short(node)}` not translated: {exc.reason}")
            return []
        return [entry for entry in found if self._valid(entry)]

    def _valid(self, entry: Entry) -> bool:
        """Whether airlift.yaml accepts the asset as translated; a finding when not."""
        if "key" not in entry.data:
            return True  # a whole definition (its code: is checked by its own rule)
        try:
            AssetSpecModel.model_validate(entry.data)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            self.result.note(
                entry.line,
                f"asset {entry.data.get('key')} not translated: {where}: {error['msg']}",
            )
            return False
        return True

    def _on_split(self, line: int) -> OnSplit:
        def note(parts: list[str]) -> None:
            written = "/".join(parts)
            self.result.note(
                line,
                f"the key {parts!r} has a part holding '/': Dagster reads it as one part, "
                f"airlift.yaml splits keys at '/', so it is written as {written} "
                f"({len(written.split('/'))} parts); what refers to the old key must follow",
            )

        return note

    def _entries(self, node: ast.expr, scope: Scope, line: int, depth: int) -> list[Entry]:
        if depth > 15:
            raise Unknown(node, "defined through too many names")
        if isinstance(node, ast.Starred):
            return self._entries(node.value, scope, line, depth + 1)
        if isinstance(node, ast.List | ast.Tuple):
            return [e for item in node.elts for e in self._entries(item, scope, line, depth + 1)]
        if isinstance(node, ast.Call):
            kind = api_name(scope.dotted(node.func))
            if kind == "AssetSpec":
                return [Entry(line, self._spec(node, scope, line))]
            if kind in _LIST_BUILDERS:
                raise Unknown(node, f"{kind}(...) nested inside another mapping")
            callee = ast.unparse(node.func)
            raise Unknown(
                node, f"built by calling {callee}(...); its keys are known only by running it"
            )
        if isinstance(node, ast.Name | ast.Attribute):
            return self._named(node, scope, line, depth)
        raise Unknown(node, "not an AssetSpec or an asset definition")

    def _spec(self, call: ast.Call, scope: Scope, line: int) -> dict[str, Any]:
        data, dropped = spec_fields(call, scope, self.keys_of, self._on_split(line))
        if dropped:
            self.result.note(
                line,
                f"AssetSpec {data['key']}: left out: {'; '.join(dropped)}; add it by hand if it matters",
            )
        return data

    def _named(self, node: ast.expr, scope: Scope, line: int, depth: int) -> list[Entry]:
        if isinstance(node, ast.Name):
            if node.id in scope.assigns:
                return self._entries(scope.assigns[node.id], scope, line, depth + 1)
            if node.id in scope.functions:
                return self._function(scope.functions[node.id], scope, line)
        dotted = scope.dotted(node)
        found = self.project.definition(dotted) if dotted else None
        if found is None or found.node is None:
            where = f"imported as {dotted}" if dotted else "not defined at module level"
            raise Unknown(node, f"{where}, which is not a module file under {self.project.root}")
        if isinstance(found.node, ast.FunctionDef | ast.AsyncFunctionDef):
            return self._function(found.node, found.scope, line)
        if isinstance(found.node, ast.expr):
            return self._entries(found.node, found.scope, line, depth + 1)
        raise Unknown(node, "a class, not an asset")

    # --- asset definitions ---------------------------------------------------------------

    def _function(
        self, fn: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, line: int
    ) -> list[Entry]:
        kind = decorator_kind(fn, scope)
        keys = None if kind == "dbt_assets" else function_keys(fn, scope, self._on_split(line))
        module = scope.source.module
        if not _IDENTIFIER_PATH.match(module):
            raise Unknown(
                fn, f"its module name {module!r} cannot be written as code: package.module"
            )
        if scope is self.project.main:
            self.result.note(
                line,
                f"@{kind or 'asset'} {fn.name} is defined in {scope.source.path.name} itself, which imports "
                f"dagster_airlift: move it to a module of its own and point code: there "
                f"(written as {module}:{fn.name})",
            )
        ref = f"{module}:{fn.name}"
        if keys is None:
            return [Entry(line, {"code": ref}, CodeDefinition(ref, None))]
        definition = CodeDefinition(ref, tuple(keys))
        return [Entry(line, {"key": key, "code": ref}, definition) for key in keys]

    def keys_of(self, node: ast.expr, scope: Scope) -> list[str] | None:
        """The keys of a name bound to an asset definition or spec (a dep); ``None``
        otherwise. Nothing is noted: only the keys matter here."""
        found: tuple[ast.AST | None, Scope] = (None, scope)
        if isinstance(node, ast.Name) and node.id in scope.functions:
            found = (scope.functions[node.id], scope)
        elif isinstance(node, ast.Name) and node.id in scope.assigns:
            found = (scope.assigns[node.id], scope)
        else:
            dotted = scope.dotted(node)
            definition = self.project.definition(dotted) if dotted else None
            if definition is not None:
                found = (definition.node, definition.scope)
        target, where = found
        try:
            if isinstance(target, ast.FunctionDef | ast.AsyncFunctionDef):
                return function_keys(target, where)
            if isinstance(target, ast.Call) and api_name(where.dotted(target.func)) == "AssetSpec":
                key = keyword(target, "key", 0)
                return [key_text(key, where)] if key is not None else None
        except Unknown:
            return None
        return None


def decorator_kind(fn: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> str | None:
    """The Dagster decorator of ``fn`` (``asset``, ``multi_asset``, ``dbt_assets``...)."""
    for decorator in fn.decorator_list:
        node = decorator.func if isinstance(decorator, ast.Call) else decorator
        kind = api_name(scope.dotted(node))
        if kind is not None:
            return kind
    return None


def function_keys(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope, on_split: OnSplit | None = None
) -> list[str]:
    """The keys an ``@asset`` or ``@multi_asset`` function computes, from its decorator."""
    for decorator in fn.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        kind = api_name(scope.dotted(call.func if call else decorator))
        if kind == "asset":
            return [_asset_key(fn, call, scope, on_split)]
        if kind == "multi_asset" and call is not None:
            return _multi_asset_keys(fn, call, scope, on_split)
        if kind == "dbt_assets":
            raise Unknown(
                fn,
                f"@dbt_assets {fn.name}: its keys come from the dbt manifest, which is not read "
                "here; list them under the task with code: " + f"{scope.source.module}:{fn.name}",
            )
        if kind is not None:
            raise Unknown(fn, f"@{kind} {fn.name} is not an @asset or @multi_asset")
    raise Unknown(fn, f"{fn.name} is a function, not an asset definition")


def _asset_key(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    call: ast.Call | None,
    scope: Scope,
    on_split: OnSplit | None,
) -> str:
    if call is None:
        return key_from_value(fn.name, fn, on_split)
    key = keyword(call, "key")
    if key is not None:
        return key_text(key, scope, on_split)
    name_node = keyword(call, "name")
    name = evaluate(name_node, scope) if name_node is not None else fn.name
    prefix_node = keyword(call, "key_prefix")
    prefix = evaluate(prefix_node, scope) if prefix_node is not None else []
    prefix = [prefix] if isinstance(prefix, str) else prefix
    if not isinstance(name, str) or not isinstance(prefix, list):
        raise Unknown(call, "an asset name or key_prefix that is not a literal")
    return key_from_value([*prefix, name], call, on_split)


def _multi_asset_keys(
    fn: ast.FunctionDef | ast.AsyncFunctionDef,
    call: ast.Call,
    scope: Scope,
    on_split: OnSplit | None,
) -> list[str]:
    specs = keyword(call, "specs")
    if isinstance(specs, ast.List | ast.Tuple):
        return [key_text(spec, scope, on_split) for spec in specs.elts]
    outs = keyword(call, "outs")
    if isinstance(outs, ast.Dict) and all(k is not None for k in outs.keys):
        keys = []
        for name_node, out in zip(outs.keys, outs.values, strict=True):
            name = evaluate(name_node, scope) if name_node is not None else None
            key = keyword(out, "key") if isinstance(out, ast.Call) else None
            prefix = keyword(out, "key_prefix") if isinstance(out, ast.Call) else None
            if key is not None:
                keys.append(key_text(key, scope, on_split))
            else:
                parts = evaluate(prefix, scope) if prefix is not None else []
                parts = [parts] if isinstance(parts, str) else parts
                keys.append(key_from_value([*parts, name], out, on_split))
        return keys
    raise Unknown(fn, f"@multi_asset {fn.name} without literal specs= or outs=")
