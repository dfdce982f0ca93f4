"""Metadata entries of Dagster's GraphQL API as plain JSON values.

Used to read what a Dagster run hands back to Airflow (see
:data:`~airlift_component.dagster_api.types.XCOM_RETURN_VALUE_METADATA`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

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

#: The kinds of entry :func:`entry_value` turns into a value, for messages.
SUPPORTED_KINDS = "JSON (a dict or list), text, int, float, bool or None"


class UnsupportedMetadataEntry(ValueError):
    """A metadata entry of a kind that has no plain JSON value (a table, a path, ...)."""


def entry_value(entry: Mapping[str, Any]) -> Any:
    """The JSON value of one GraphQL metadata entry.

    Raises :class:`UnsupportedMetadataEntry` for other kinds (markdown, paths,
    tables...) and for floats that JSON cannot carry (NaN, infinity).
    """
    kind = str(entry.get("__typename", ""))
    if kind == "JsonMetadataEntry":
        return json.loads(str(entry["jsonString"]))
    if kind == "TextMetadataEntry":
        return str(entry["text"])
    if kind == "IntMetadataEntry":
        return int(str(entry["intRepr"]))
    if kind == "FloatMetadataEntry":
        value = float(str(entry["floatRepr"]))
        if math.isfinite(value):
            return value
        raise UnsupportedMetadataEntry(f"the float {entry['floatRepr']} has no JSON value")
    if kind == "BoolMetadataEntry":
        return bool(entry["boolValue"])
    if kind == "NullMetadataEntry":
        return None
    raise UnsupportedMetadataEntry(f"a {kind or 'metadata entry of unknown kind'}")
