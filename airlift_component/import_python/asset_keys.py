"""Asset keys and the ``AssetSpec`` attributes airlift.yaml has, read from syntax.

Dagster's rules are kept: a string key is **one** part (``AssetSpec("a/b")`` is
the one-part key ``a/b``), a list or ``AssetKey([...])`` is a key of several
parts. airlift.yaml writes keys as slash-separated parts, so a one-part key
holding ``/`` cannot be written as it is: it is split, and the caller is told.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from airlift_component.import_python.symbols import Scope, api_name
from airlift_component.import_python.values import EnvRef, Unknown, evaluate, keyword

_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")

_PARTITIONS = {
    "HourlyPartitionsDefinition": "hourly",
    "DailyPartitionsDefinition": "daily",
    "WeeklyPartitionsDefinition": "weekly",
    "MonthlyPartitionsDefinition": "monthly",
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$")


#: Told the parts of a key that had to be split at ``/`` to be written.
OnSplit = Callable[[list[str]], None]


def key_text(node: ast.expr, scope: Scope, on_split: OnSplit | None = None) -> str:
    """The slash-separated airlift.yaml key of a Dagster key expression."""
    call_api = api_name(scope.dotted(node.func)) if isinstance(node, ast.Call) else None
    if call_api == "AssetKey" and isinstance(node, ast.Call) and node.args:
        node = node.args[0]
    elif call_api in ("AssetDep", "AssetSpec") and isinstance(node, ast.Call):
        inner = keyword(node, "asset" if call_api == "AssetDep" else "key", 0)
        if inner is None:
            raise Unknown(node, f"{call_api}(...) without a key")
        return key_text(inner, scope, on_split)
    return key_from_value(evaluate(node, scope), node, on_split)


def key_from_value(value: Any, node: ast.AST, on_split: OnSplit | None = None) -> str:
    """The airlift.yaml key of a key's value (a string or a list of parts) found at ``node``."""
    if isinstance(value, str):
        parts = [value]
    elif isinstance(value, list) and value and all(isinstance(p, str) for p in value):
        parts = list(value)
    else:
        raise Unknown(node, f"`{ast.unparse(node)[:60]}` is not an asset key")
    if any("/" in part for part in parts):
        if on_split is not None:
            on_split(parts)
        parts = [piece for part in parts for piece in part.split("/")]
    bad = [part for part in parts if not _PART.match(part)]
    if bad:
        raise Unknown(node, f"key part {bad[0]!r} has characters airlift.yaml keys cannot hold")
    return "/".join(parts)


def _strings(node: ast.expr, scope: Scope, what: str) -> list[str]:
    value = evaluate(node, scope)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Unknown(node, f"{what} is not a list of strings")
    return list(value)


def _metadata(node: ast.expr, scope: Scope) -> dict[str, Any]:
    value = evaluate(node, scope)
    if not isinstance(value, dict) or any(
        not isinstance(k, str) or isinstance(v, EnvRef) or not isinstance(v, str | int | float)
        for k, v in value.items()
    ):
        raise Unknown(node, "metadata other than strings, numbers and booleans")
    return value


def partitions(node: ast.expr, scope: Scope, depth: int = 0) -> dict[str, str]:
    """``DailyPartitionsDefinition(start_date="2024-01-01")`` -> ``{schedule, start}``."""
    if isinstance(node, ast.Name) and node.id in scope.assigns and depth < 5:
        return partitions(scope.assigns[node.id], scope, depth + 1)
    kind = api_name(scope.dotted(node.func)) if isinstance(node, ast.Call) else None
    if not isinstance(node, ast.Call) or kind not in _PARTITIONS:
        raise Unknown(node, "partitions other than hourly, daily, weekly or monthly time windows")
    start_node = keyword(node, "start_date", 0)
    start = evaluate(start_node, scope) if start_node is not None else None
    if not isinstance(start, str) or not _DATE.match(start):
        raise Unknown(node, "a partitions start_date that is not a literal YYYY-MM-DD date")
    out = {"schedule": _PARTITIONS[kind], "start": start}
    tz = keyword(node, "timezone")
    if tz is not None:
        zone = evaluate(tz, scope)
        if not isinstance(zone, str):
            raise Unknown(tz, "a partitions timezone that is not a literal")
        out["timezone"] = zone
    return out


def deps(
    node: ast.expr, scope: Scope, resolve_asset: Any, on_split: OnSplit | None = None
) -> list[str]:
    """Keys of a ``deps=[...]`` list: keys, ``AssetDep``, specs or asset definitions."""
    if not isinstance(node, ast.List | ast.Tuple):
        value = evaluate(node, scope)  # a name bound to a literal list of keys
        if not isinstance(value, list):
            raise Unknown(node, "deps that are not a list")
        return [key_from_value(v, node, on_split) for v in value]
    keys: list[str] = []
    for item in node.elts:
        if isinstance(item, ast.Name | ast.Attribute) and resolve_asset(item, scope) is not None:
            keys.extend(resolve_asset(item, scope))
        else:
            keys.append(key_text(item, scope, on_split))
    return keys


#: AssetSpec keyword -> airlift.yaml field.
SPEC_FIELDS = {
    "group_name": "group",
    "owners": "owners",
    "kinds": "kinds",
    "tags": "tags",
    "description": "description",
    "metadata": "metadata",
}
#: AssetSpec keywords with no place in airlift.yaml that change nothing it shows.
IGNORED_SPEC_FIELDS = {"code_version", "skippable"}


def spec_fields(
    call: ast.Call, scope: Scope, resolve_asset: Any, on_split: OnSplit | None = None
) -> tuple[dict[str, Any], list[str]]:
    """An ``AssetSpec(...)`` call as an airlift.yaml asset object, and what was left out.

    The key and the deps (the lineage) must be read, or the asset is not
    translated; an attribute that cannot be read is left out and named.
    """
    key_node = keyword(call, "key", 0)
    if key_node is None:
        raise Unknown(call, "AssetSpec(...) without a key")
    out: dict[str, Any] = {"key": key_text(key_node, scope, on_split)}
    dropped: list[str] = []
    for kw in call.keywords:
        if kw.arg is None:
            raise Unknown(call, "AssetSpec(**...) with unpacked keywords")
        if kw.arg == "key":
            continue
        if kw.arg == "deps":
            out["deps"] = deps(kw.value, scope, resolve_asset, on_split)
            continue
        if kw.arg not in SPEC_FIELDS and kw.arg != "partitions_def":
            if kw.arg not in IGNORED_SPEC_FIELDS:
                dropped.append(f"{kw.arg} (no airlift.yaml field)")
            continue
        try:
            _attribute(out, kw, scope)
        except Unknown as exc:
            dropped.append(f"{kw.arg} ({exc.reason})")
    if len(call.args) > 1:
        dropped.append("positional arguments after the key")
    return out, dropped


def _attribute(out: dict[str, Any], kw: ast.keyword, scope: Scope) -> None:
    name = kw.arg or ""
    if name == "partitions_def":
        out["partitions"] = partitions(kw.value, scope)
    elif name in ("owners", "kinds"):
        out[name] = _strings(kw.value, scope, name)
    elif name in ("group_name", "description"):
        value = evaluate(kw.value, scope)
        if not isinstance(value, str):
            raise Unknown(kw.value, f"{name} is not a string")
        out[SPEC_FIELDS[name]] = value
    elif name == "tags":
        tags = evaluate(kw.value, scope)
        if not isinstance(tags, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
        ):
            raise Unknown(kw.value, "tags that are not strings")
        out["tags"] = tags
    elif name == "metadata":
        out["metadata"] = _metadata(kw.value, scope)
