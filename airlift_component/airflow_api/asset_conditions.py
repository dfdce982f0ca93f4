"""A DAG's asset schedule as one condition, the same on Airflow 2 and Airflow 3.

Airflow stores the condition a DAG is scheduled on (``schedule=[a, b]``,
``a & b``, ``a | b``, an alias, an ``Asset.ref``, and asset-or-time) in the DAG
details: ``asset_expression`` on ``/api/v2``, ``dataset_expression`` on
``/api/v1``. The two spell it differently (Airflow 2 writes a dataset as its URI
string and an alias as ``{"alias": name}``); :func:`parse_condition` reads
either into one canonical JSON shape::

    {"asset": {"uri": ..., "name": ..., "id": 7}}   # "id" on Airflow 3 only
    {"alias": {"name": ...}}
    {"asset_ref": {"name": ...}}  or  {"asset_ref": {"uri": ...}}
    {"all": [<condition>, ...]}   # a & b, and schedule=[a, b]
    {"any": [<condition>, ...]}   # a | b
    {"schedule": "<time schedule>"}   # the time half of asset-or-time
    {"other": "<what Airflow sent>"}  # a shape this version does not know

Asset-or-time (``AssetOrTimeSchedule``) is ``{"any": [<assets>, {"schedule": …}]}``:
the time half comes from the DAG's schedule summary (``Asset or 0 0 * * *``),
since the expression holds only the assets. :func:`condition_text` writes a
condition for people (``s3://a & (s3://b | alias:x)``). URIs lose any
``user:password@`` here, as everywhere else they are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from airlift_component.redact import redact_uri

#: Nesting and size bounds: a deeper or larger expression is cut (``other``).
MAX_DEPTH = 32
MAX_NODES = 2_000
#: Longest text kept from a shape this version does not know.
MAX_OTHER = 200
#: The prefixes of a schedule summary that mean "assets or this time schedule".
_OR_TIME = ("Asset or ", "Dataset or ")

Condition = dict[str, Any]


def parse_condition(expression: Any, schedule: str | None = None) -> Condition | None:
    """Airflow's ``asset_expression`` / ``dataset_expression`` (and the DAG's schedule
    summary, for asset-or-time) as a canonical condition; ``None`` when the DAG is not
    scheduled on assets."""
    if expression is None or expression == {}:
        return None
    budget = [MAX_NODES]
    condition = _node(expression, 0, budget)
    time = _time_half(schedule)
    if time is not None:
        condition = {"any": [condition, {"schedule": time}]}
    return condition


def _time_half(schedule: str | None) -> str | None:
    for prefix in _OR_TIME:
        if schedule and schedule.startswith(prefix) and schedule[len(prefix) :].strip():
            return schedule[len(prefix) :].strip()
    return None


def _other(value: Any) -> Condition:
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return {"other": redact_uri(text[:MAX_OTHER])}


def _node(value: Any, depth: int, budget: list[int]) -> Condition:
    budget[0] -= 1
    if depth > MAX_DEPTH or budget[0] < 0:
        return {"other": "(cut: too deep or too large)"}
    if isinstance(value, str):  # Airflow 2: a dataset is its URI
        uri = redact_uri(value)
        return {"asset": {"uri": uri, "name": uri}}
    if not isinstance(value, dict) or len(value) != 1:
        return _other(value)
    [(kind, body)] = value.items()
    if kind in ("all", "any") and isinstance(body, list):
        return {kind: [_node(item, depth + 1, budget) for item in body]}
    if kind == "asset" and isinstance(body, dict) and isinstance(body.get("uri"), str):
        uri = redact_uri(body["uri"])
        name = body.get("name")
        asset: dict[str, Any] = {"uri": uri, "name": uri}
        if isinstance(name, str) and name:
            asset["name"] = redact_uri(name)
        if isinstance(body.get("id"), int) and not isinstance(body.get("id"), bool):
            asset["id"] = body["id"]
        return {"asset": asset}
    if kind == "alias":
        name = body.get("name") if isinstance(body, dict) else body
        if _text(name):
            return {"alias": {"name": name}}
    if kind == "asset_ref" and isinstance(body, dict):
        for field in ("name", "uri"):
            if _text(body.get(field)):
                return {"asset_ref": {field: redact_uri(body[field])}}
    return _other(value)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def condition_text(condition: Condition) -> str:
    """The condition for people: ``&`` and ``|`` between parts, parentheses where
    they nest, ``alias:<name>``, ``ref:<name or uri>``, ``schedule:<time>``."""
    return _text_of(condition, top=True)


def _text_of(condition: Condition, *, top: bool = False) -> str:
    [(kind, body)] = condition.items()
    if kind in ("all", "any"):
        joined = (" & " if kind == "all" else " | ").join(_text_of(part) for part in body)
        return joined if top or len(body) < 2 else f"({joined})"
    if kind == "asset":
        return str(body["uri"])
    if kind == "alias":
        return f"alias:{body['name']}"
    if kind == "asset_ref":
        return f"ref:{next(iter(body.values()))}"
    if kind == "schedule":
        return f"schedule:{body}"
    return f"?{body}"


def condition_refs(condition: Condition) -> Iterator[tuple[str, Any]]:
    """What the condition names, in order: ``("asset", {"uri", "name", "id"?})``,
    ``("alias", name)``, ``("ref_name", name)``, ``("ref_uri", uri)``."""
    [(kind, body)] = condition.items()
    if kind in ("all", "any"):
        for part in body:
            yield from condition_refs(part)
    elif kind == "asset":
        yield "asset", body
    elif kind == "alias":
        yield "alias", body["name"]
    elif kind == "asset_ref":
        [(field, value)] = body.items()
        yield f"ref_{field}", value


def to_json_text(condition: Condition) -> str:
    """Canonical JSON text (sorted keys, no spaces): equal conditions, equal text."""
    return json.dumps(condition, sort_keys=True, separators=(",", ":"))


def from_json_text(text: str) -> Condition:
    """The condition :func:`to_json_text` wrote."""
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("a schedule condition is not a JSON object")
    return value
