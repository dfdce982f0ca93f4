"""Airflow assets (Airflow 3) and datasets (Airflow 2) as the component sees them.

With ``airflow_assets: {enabled: true}`` on an instance, a refresh stores the
Airflow assets that a peered DAG produces (a task's outlet) or is scheduled on
(:func:`fetch_airflow_assets`), in the state file under ``airflow_assets``::

    "airflow_assets": [{"uri", "name", "id", "producing_tasks": [[dag_id, task_id]],
                        "scheduled_dags": [dag_id]}]

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

import re
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from airlift_component.airflow_api.types import AirflowAsset

if TYPE_CHECKING:
    from airlift_component.config.airlift_yaml.model import Instance

#: The asset-key part between the instance and the URI's parts.
AIRFLOW_ASSET_PREFIX = "airflow_asset"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")


class AssetLister(Protocol):
    def list_airflow_assets(self) -> list[AirflowAsset]: ...


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


def fetch_airflow_assets(
    client: AssetLister, peered_dags: Collection[str]
) -> tuple[AirflowAsset, ...]:
    """The Airflow assets a peered DAG produces or is scheduled on (one paged listing),
    with their producers and consumers narrowed to peered DAGs."""
    found = []
    for asset in client.list_airflow_assets():
        producing = tuple(ref for ref in asset.producing_tasks if ref[0] in peered_dags)
        scheduled = tuple(dag for dag in asset.scheduled_dags if dag in peered_dags)
        if producing or scheduled:
            found.append(AirflowAsset(asset.uri, asset.name, asset.asset_id, producing, scheduled))
    return tuple(found)


def assets_to_json(assets: Iterable[AirflowAsset]) -> list[dict[str, Any]]:
    return [
        {
            "uri": asset.uri,
            "name": asset.name,
            "id": asset.asset_id,
            "producing_tasks": [list(ref) for ref in asset.producing_tasks],
            "scheduled_dags": list(asset.scheduled_dags),
        }
        for asset in assets
    ]


def assets_from_json(items: Iterable[Mapping[str, Any]]) -> tuple[AirflowAsset, ...]:
    return tuple(
        AirflowAsset(
            uri=str(item["uri"]),
            name=str(item["name"]),
            asset_id=item["id"] if isinstance(item["id"], int) else None,
            producing_tasks=tuple((str(d), str(t)) for d, t in item["producing_tasks"]),
            scheduled_dags=tuple(str(dag) for dag in item["scheduled_dags"]),
        )
        for item in items
    )
