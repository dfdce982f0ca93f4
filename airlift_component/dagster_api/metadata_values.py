"""Metadata entries of Dagster's GraphQL API as plain JSON values.

Used to read what a Dagster run hands back to Airflow (see
:data:`~airlift_component.dagster_api.types.XCOM_RETURN_VALUE_METADATA`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, NoReturn

#: The GraphQL selection that :func:`entry_value` reads.
METADATA_ENTRY_FIELDS = """
      __typename
      label
      ... on JsonMetadataEntry { jsonString }
      ... on TextMetadataEntry { text }
      ... on IntMetadataEntry { intRepr }
      ... on FloatMetadataEntry { floatRepr }
      ... on BoolMetadataEntry { boolValue }
"""

#: Deepest nesting of lists and objects in a value handed back: far beyond any
#: XCom, far below what Python's JSON parser and Airflow's serializer recurse into.
MAX_JSON_DEPTH = 100
#: What the values must be, said once for every kind of entry.
_NO_NAN = "JSON has no NaN or Infinity; hand back a finite number, a string or null"
#: A JSON string (skipped whole) or one bracket.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')

#: The kinds of entry :func:`entry_value` turns into a value, for messages.
SUPPORTED_KINDS = "JSON (a dict or list), text, int, float, bool or None"


class UnsupportedMetadataEntry(ValueError):
    """A metadata entry of a kind that has no plain JSON value (a table, a path, ...)."""


class NotPlainJson(UnsupportedMetadataEntry):
    """A value of a supported kind that plain JSON cannot carry (NaN, deep nesting);
    the message says what to hand back instead."""


def _refuse_constant(name: str) -> NoReturn:
    raise NotPlainJson(f"JSON holding {name} ({_NO_NAN})")


def _check_depth(text: str) -> None:
    """Refuse ``text`` when its lists and objects nest deeper than :data:`MAX_JSON_DEPTH`,
    before a recursive parser meets it (a ``RecursionError`` is no message)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise NotPlainJson(
                    f"JSON nested deeper than {MAX_JSON_DEPTH} levels; hand back a flatter "
                    "value, or a path or URI to the data"
                )
        elif token in "]}":
            depth -= 1


def parse_json_value(text: str) -> Any:
    """``text`` as plain JSON: finite numbers only, nested at most :data:`MAX_JSON_DEPTH`
    deep; else :class:`NotPlainJson` (a ``ValueError``) saying which rule."""
    _check_depth(text)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:  # _check_depth bounds it; kept as a message all the same
        raise NotPlainJson(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None


def entry_value(entry: Mapping[str, Any]) -> Any:
    """The JSON value of one GraphQL metadata entry.

    Raises :class:`UnsupportedMetadataEntry` for other kinds (markdown, paths,
    tables...) and, with one rule for every kind, for what plain JSON cannot
    carry: NaN or infinity (a float, or a number inside a JSON entry) and JSON
    nested deeper than :data:`MAX_JSON_DEPTH`.
    """
    kind = str(entry.get("__typename", ""))
    if kind == "JsonMetadataEntry":
        return parse_json_value(str(entry["jsonString"]))
    if kind == "TextMetadataEntry":
        return str(entry["text"])
    if kind == "IntMetadataEntry":
        return int(str(entry["intRepr"]))
    if kind == "FloatMetadataEntry":
        value = float(str(entry["floatRepr"]))
        if math.isfinite(value):
            return value
        raise NotPlainJson(f"the float {entry['floatRepr']} has no JSON value ({_NO_NAN})")
    if kind == "BoolMetadataEntry":
        return bool(entry["boolValue"])
    if kind == "NullMetadataEntry":
        return None
    raise UnsupportedMetadataEntry(f"a {kind or 'metadata entry of unknown kind'}")
