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
    {"other": "(cut: <why>)"}         # past the bounds (MAX_DEPTH, MAX_NODES)

Asset-or-time (``AssetOrTimeSchedule``) is ``{"any": [<assets>, {"schedule": …}]}``:
the time half comes from the DAG's schedule summary (``Asset or 0 0 * * *``),
since the expression holds only the assets. :func:`condition_text` writes a
condition for people (``s3://a & (s3://b | alias:x)``). URIs, asset names and
alias names lose any ``user:password@`` here, as everywhere else they are read
(an alias's name is redacted as the asset listing's ``aliases`` are, so the two
still match).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from airlift_component.redact import redact_uri

#: Nesting and size bounds. A part nested deeper than :data:`MAX_DEPTH` is cut, and
#: once :data:`MAX_NODES` parts are read no more are: each ``all`` / ``any`` list
#: still open then ends in one cut part. Either way the cut shows as an ``other``
#: part, ``(cut: …)``, which the readers of a condition already handle: its
#: text shows it (``?(cut: …)``), it names no asset, and the decommission command
#: refuses to derive automation from a condition holding one.
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
    scheduled on assets. Reads at most :data:`MAX_NODES` parts, however large or deep
    the expression: what lies past the bounds is not read and shows as a cut part."""
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
    """A shape this version does not know, as the first :data:`MAX_OTHER` characters of
    its JSON, with no URL userinfo: all from the first ``://`` to the last ``@`` goes
    (a password may hold ``@``, ``/`` or a space), or, when the text is cut short
    (a userinfo may run past the cut), all after that ``://``."""
    text, whole = _preview(value)
    first = text.find("://") + 3
    if first >= 3:
        at = text.rfind("@")
        if not whole:
            text = f"{text[:first]}…"
        elif at >= first:
            text = f"{text[:first]}***{text[at:]}"
    return {"other": text}


def _preview(value: Any) -> tuple[str, bool]:
    """Up to :data:`MAX_OTHER` characters of ``value`` as JSON, and whether that is all
    of it. Encoded lazily: a huge or deeply nested value costs no more than that."""
    text = ""
    try:
        for chunk in json.JSONEncoder(sort_keys=True, default=str).iterencode(value):
            text += chunk
            if len(text) > MAX_OTHER:
                return text[:MAX_OTHER], False
    except (TypeError, ValueError, RecursionError):
        return f"({type(value).__name__})", True
    return text, True


def _cut(reason: str) -> Condition:
    return {"other": f"(cut: {reason})"}


def _node(value: Any, depth: int, budget: list[int]) -> Condition:
    budget[0] -= 1  # every part read counts, a cut one too: a wide list of them ends
    if depth > MAX_DEPTH:
        return _cut(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, str):  # Airflow 2: a dataset is its URI
        uri = redact_uri(value)
        return {"asset": {"uri": uri, "name": uri}}
    if not isinstance(value, dict) or len(value) != 1:
        return _other(value)
    [(kind, body)] = value.items()
    if kind in ("all", "any") and isinstance(body, list):
        return {kind: _parts(body, depth + 1, budget)}
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
        if isinstance(name, str) and name:
            return {"alias": {"name": redact_uri(name)}}
    if kind == "asset_ref" and isinstance(body, dict):
        for field in ("name", "uri"):
            if _text(body.get(field)):
                return {"asset_ref": {field: redact_uri(body[field])}}
    return _other(value)


def _parts(items: list[Any], depth: int, budget: list[int]) -> list[Condition]:
    """The parts of one ``all`` / ``any``, read while the budget lasts; the rest is
    not read at all, and stands as one cut part."""
    kept: list[Condition] = []
    for number, item in enumerate(items):
        if budget[0] <= 0:
            left = len(items) - number
            kept.append(_cut(f"{left} more part(s) here; a condition keeps {MAX_NODES} parts"))
            break
        kept.append(_node(item, depth, budget))
    return kept


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
