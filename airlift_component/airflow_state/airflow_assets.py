"""Airflow assets (Airflow 3) and datasets (Airflow 2) as the component sees them.

With ``airflow_assets: {enabled: true}`` on an instance, a refresh stores the
Airflow assets that a peered DAG produces (a task's outlet, or through an asset
alias) or is scheduled on (:mod:`.airflow_asset_fetch`), in the state file
under ``airflow_assets``::

    "airflow_assets": [{"uri", "name", "id", "producing_tasks": [[dag_id, task_id]],
                        "scheduled_dags": [dag_id],
                        # only when set (older states have none of these):
                        "aliases": [alias name],
                        "alias_producing_tasks": [[dag_id, task_id]],
                        "consumer_conditions": {dag_id: "<condition JSON text>"}}]

Each becomes a Dagster asset whose key is :func:`airflow_asset_key`: the
override from ``airflow_assets.keys`` (by URI, then by name), else the key
derived from the URI by one rule (:func:`derived_key`):

    ``<instance>/airflow_asset/<scheme>/<part>/<part>…``

where ``<scheme>`` is what precedes ``://`` (left out when there is none), the
rest is split on ``/`` (empty parts dropped), and in every part each character
other than ``A-Z a-z 0-9 _ . -`` becomes ``_`` (a part starting with ``.`` or
``-`` gets a leading ``_``). So ``s3://lake/raw/orders.parquet`` on instance
``analytics`` is ``analytics/airflow_asset/s3/lake/raw/orders.parquet`` and
``postgres://db:5432/sales?table=x`` is
``analytics/airflow_asset/postgres/db_5432/sales_table_x``. The keys are valid
``airlift.yaml`` keys too (``deps:`` may name them). Two URIs that give the same
key are an error at load time that asks for an override.

Imports no Dagster.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from airlift_component.airflow_api.types import AirflowAsset

if TYPE_CHECKING:
    from airlift_component.airflow_api.asset_conditions import Condition
    from airlift_component.airflow_state.airflow_asset_fetch import fetch_airflow_assets
    from airlift_component.config.airlift_yaml.model import Instance

__all__ = [
    "AIRFLOW_ASSET_PREFIX",
    "airflow_asset_key",
    "assets_from_json",
    "assets_to_json",
    "dag_conditions",
    "derived_key",
    "fetch_airflow_assets",
]

#: The asset-key part between the instance and the URI's parts.
AIRFLOW_ASSET_PREFIX = "airflow_asset"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


def __getattr__(name: str) -> Any:
    # Fetching needs the REST client; reading a stored state (`airlift validate`'s
    # hints, the component's load) does not import it.
    if name == "fetch_airflow_assets":
        from airlift_component.airflow_state.airflow_asset_fetch import fetch_airflow_assets

        return fetch_airflow_assets
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _part(text: str) -> str:
    safe = _UNSAFE.sub("_", text)
    return safe if safe[:1] not in (".", "-") else f"_{safe}"


def derived_key(instance: str, uri: str) -> list[str]:
    """The asset key of an Airflow asset URI, by the rule in the module docstring."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        scheme, rest = "", uri
    parts = [_part(piece) for piece in rest.split("/") if piece]
    if scheme:
        parts.insert(0, _part(scheme))
    return [instance, AIRFLOW_ASSET_PREFIX, *(parts or ["_"])]


def airflow_asset_key(instance: Instance, asset: AirflowAsset) -> list[str]:
    """The key of ``asset``: the instance's override (by URI, then name) or the derived one."""
    keys = instance.airflow_assets.keys
    override = keys.get(asset.uri) or keys.get(asset.name)
    return override.split("/") if override else derived_key(instance.name, asset.uri)


def dag_conditions(assets: Iterable[AirflowAsset]) -> dict[str, Condition]:
    """The schedule condition of each consumer DAG the assets name."""
    from airlift_component.airflow_api.asset_conditions import from_json_text

    return {
        dag_id: from_json_text(text)
        for asset in assets
        for dag_id, text in asset.consumer_conditions
    }


def _pairs(items: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in items or ())


def assets_to_json(assets: Iterable[AirflowAsset]) -> list[dict[str, Any]]:
    """The state file's ``airflow_assets``; the alias and condition fields are written
    only when set, so a state without them reads as before."""
    out = []
    for asset in assets:
        item: dict[str, Any] = {
            "uri": asset.uri,
            "name": asset.name,
            "id": asset.asset_id,
            "producing_tasks": [list(ref) for ref in asset.producing_tasks],
            "scheduled_dags": list(asset.scheduled_dags),
        }
        if asset.aliases:
            item["aliases"] = list(asset.aliases)
        if asset.alias_producing_tasks:
            item["alias_producing_tasks"] = [list(ref) for ref in asset.alias_producing_tasks]
        if asset.consumer_conditions:
            item["consumer_conditions"] = dict(asset.consumer_conditions)
        out.append(item)
    return out


def assets_from_json(items: Iterable[Mapping[str, Any]]) -> tuple[AirflowAsset, ...]:
    return tuple(
        AirflowAsset(
            uri=str(item["uri"]),
            name=str(item["name"]),
            asset_id=item["id"] if isinstance(item["id"], int) else None,
            producing_tasks=_pairs(item["producing_tasks"]),
            scheduled_dags=tuple(str(dag) for dag in item["scheduled_dags"]),
            aliases=tuple(str(alias) for alias in item.get("aliases") or ()),
            alias_producing_tasks=_pairs(item.get("alias_producing_tasks")),
            consumer_conditions=tuple(
                (str(dag), _stored_condition(str(text)))
                for dag, text in (item.get("consumer_conditions") or {}).items()
            ),
        )
        for item in items
    )


def _stored_condition(text: str) -> str:
    """``text`` when it holds a schedule condition nested no deeper than a refresh
    writes one (:data:`~airlift_component.airflow_api.asset_conditions.MAX_DEPTH`
    levels, a cut part below them, an asset-or-time pair above); else
    :class:`ValueError`, which makes the state file unreadable with the hint to
    refresh it (a state file edited by hand or damaged). Checked without recursion:
    the condition is walked recursively when the assets are built, where a deeper one
    failed the whole code location with a RecursionError."""
    from airlift_component.airflow_api.asset_conditions import MAX_DEPTH

    deepest = MAX_DEPTH + 2
    try:
        value = json.loads(text)
    except RecursionError:
        value = None
        stack: list[tuple[Any, int]] = [(None, deepest + 1)]
    else:
        stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            raise ValueError(f"a stored schedule condition is nested deeper than {deepest} levels")
        if not isinstance(node, dict) or len(node) != 1:
            raise ValueError("a stored schedule condition is not a condition")
        [(kind, body)] = node.items()
        if kind in ("all", "any"):
            if not isinstance(body, list):
                raise ValueError("a stored schedule condition is not a condition")
            stack.extend((part, depth + 1) for part in body)
    return text
