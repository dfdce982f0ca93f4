"""Turn pydantic validation errors into readable, located :class:`Problem` s."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Collection, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from airlift_component.config.problems import Problem
from airlift_component.config.yaml.read import Loc, YamlDocument, format_loc

_SECRET_KEYS = frozenset({"password", "token", "api_token"})

_KIND = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}

_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}


_NO_HINTS: Mapping[str, str] = {}


def describe(value: Any) -> str:
    """A short, secret-free description of a value's type for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _show(value: Any, loc: Loc, hidden: Collection[Loc] = ()) -> str:
    if loc in hidden:
        return "the value from the environment"
    if any(part in _SECRET_KEYS for part in loc):
        return "this value"
    if isinstance(value, str) and "@" in value:
        value = re.sub(r"//[^/@\s]*@", "//***@", value)  # a URL's user:password
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _clean_loc(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Drop the union-member names pydantic puts into a location (``str``, ``int``,
    an auth model's name...): only keys and indexes that lead into ``data`` are kept,
    plus a final key that is missing from (or unknown in) a mapping."""
    out: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, dict):
            if part in node:
                node = node[part]
            elif not last:
                continue
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            continue
        out.append(part)
    return tuple(out)


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation can hold (through lists, dicts, optionals, unions)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (list, dict, typing.Union, types.UnionType):
        found: list[Any] = []
        for arg in typing.get_args(annotation):
            found.extend(_unwrap(arg))
        return found
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _models_at(root: type[BaseModel], data: Any, loc: Loc) -> list[type[BaseModel]]:
    models: list[type[BaseModel]] = [root]
    node = data
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        nxt: list[type[BaseModel]] = []
        for model in models:
            for name, info in model.model_fields.items():
                if part in (name, info.alias):
                    nxt.extend(_unwrap(info.annotation))
        node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and "type" in node and len(nxt) > 1:
            typed = [m for m in nxt if _literal_type(m) == node["type"]]
            nxt = typed or nxt
        models = nxt
    return models


def _literal_type(model: type[BaseModel]) -> Any:
    info = model.model_fields.get("type")
    if info is None:
        return None
    args = typing.get_args(info.annotation)
    return args[0] if args else None


def allowed_keys(root: type[BaseModel], data: Any, loc: Loc) -> list[str]:
    """The keys the model at ``loc`` accepts."""
    keys: list[str] = []
    for model in _models_at(root, data, loc):
        for name, info in model.model_fields.items():
            key = info.alias or name
            if key not in keys:
                keys.append(key)
    return keys


def _pattern_hint(loc: Loc, hints: Mapping[str, str]) -> str:
    # The nearest named field with a hint: ``assets[0]`` is an asset key, and so is
    # the value under an Airflow asset URI in ``keys``.
    for part in reversed(loc):
        if isinstance(part, str) and part in hints:
            return hints[part]
    return ""


def problem_from_error(
    doc: YamlDocument,
    error: ErrorDetails,
    root: type[BaseModel],
    hidden: Collection[Loc] = (),
    hints: Mapping[str, str] = _NO_HINTS,
) -> Problem:
    """One pydantic error as a located problem with a remedy; the values at ``hidden``
    locations (those that came from the environment) are never shown."""
    loc = _clean_loc(doc.data, tuple(error["loc"]))
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    last = loc[-1] if loc else None
    where = format_loc(loc)

    if kind == "missing":
        line, col = doc.position(loc[:-1])
        return Problem(
            doc.path,
            line,
            col,
            f"missing required key '{last}'",
            field=where,
            hint=f"add '{last}:'",
        )
    if kind == "extra_forbidden":
        allowed = allowed_keys(root, doc.data, loc[:-1])
        close = difflib.get_close_matches(str(last), allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "allowed keys: " + ", ".join(allowed)
        return doc.problem(loc, f"unknown key '{last}'", hint=hint, key=True)
    if kind == "union_tag_invalid":
        discriminator = str(ctx.get("discriminator", "type")).strip("'")
        return doc.problem(
            (*loc, discriminator),
            f"unknown {discriminator} {ctx.get('tag')!r}",
            hint=f"use one of {ctx.get('expected_tags', '')}",
        )
    if kind == "union_tag_not_found":
        return doc.problem(loc, "missing required key 'type'", hint="add 'type:' here")
    if kind == "literal_error":
        return doc.problem(
            loc,
            f"{_show(value, loc, hidden)} is not allowed here",
            hint=f"use {ctx.get('expected', 'one of the documented values')}",
        )
    if kind == "union_of_types":
        return doc.problem(loc, f"expected {ctx['expected']}, got {describe(value)}")
    if kind in _KIND:
        hint = "write true or false" if kind == "bool_type" else ""
        if kind in ("int_type", "int_from_float") and isinstance(value, float):
            hint = "write a whole number, without a decimal point"
        if kind == "string_type" and isinstance(value, bool | int | float):
            hint = "quote the value to make it a string"
        return doc.problem(loc, f"expected {_KIND[kind]}, got {describe(value)}", hint=hint)
    if kind == "string_pattern_mismatch":
        return doc.problem(
            loc, f"{_show(value, loc, hidden)} is not a valid value", hint=_pattern_hint(loc, hints)
        )
    if kind in _BOUNDS:
        word, key = _BOUNDS[kind]
        bound = ctx.get(key)
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        return doc.problem(loc, f"must be {word} {bound}, got {_show(value, loc, hidden)}")
    if kind == "string_too_short":
        return doc.problem(loc, "must not be empty")
    if kind == "too_short":
        minimum = ctx.get("min_length", 1)
        message = "must not be empty" if minimum == 1 else f"needs at least {minimum} items"
        return doc.problem(loc, message)
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return doc.problem(loc, message[:1].lower() + message[1:])


def _merge_type_errors(errors: list[ErrorDetails], data: Any) -> list[ErrorDetails]:
    """One error per value that matches no member of a union of plain types
    (``str | int | bool``), instead of one error per member."""
    by_loc: dict[tuple[str | int, ...], list[ErrorDetails]] = {}
    out: list[ErrorDetails] = []
    for error in errors:
        if error["type"] in _KIND:
            loc = _clean_loc(data, tuple(error["loc"]))
            group = by_loc.setdefault(loc, [])
            if not group:
                out.append(error)
            group.append(error)
        else:
            out.append(error)
    merged = []
    for error in out:
        group = (
            by_loc.get(_clean_loc(data, tuple(error["loc"])), []) if error["type"] in _KIND else []
        )
        if len(group) > 1:
            kinds = list(dict.fromkeys(_KIND[e["type"]] for e in group))
            expected = ", ".join(kinds[:-1]) + " or " + kinds[-1] if len(kinds) > 1 else kinds[0]
            error = dict(error)  # type: ignore[assignment]
            error["type"] = "union_of_types"
            error["ctx"] = {"expected": expected}
        merged.append(error)
    return merged


def problems_from_validation_error(
    doc: YamlDocument,
    exc: ValidationError,
    root: type[BaseModel],
    hidden: Collection[Loc] = (),
    hints: Mapping[str, str] = _NO_HINTS,
) -> list[Problem]:
    """Every error in ``exc`` as a problem, in file order, without repeats; values at
    ``hidden`` locations are not shown (see :func:`problem_from_error`); ``hints``
    maps a field name to the remedy shown when its value misses the field's pattern."""
    seen: set[Problem] = set()
    out: list[Problem] = []
    for error in _merge_type_errors(exc.errors(include_url=False), doc.data):
        problem = problem_from_error(doc, error, root, hidden, hints)
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return sorted(out, key=lambda p: (p.line, p.col))
