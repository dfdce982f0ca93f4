"""Fetching the Airflow assets of one instance for the state (the refresh's part).

:func:`fetch_airflow_assets` keeps the Airflow assets that a peered DAG produces
or is scheduled on, with:

* **producers**: the tasks whose outlets name the asset (Airflow's listing) and
  the tasks that emitted it through an asset alias (from the asset's newest
  events; Airflow records no producer for an alias);
* **consumers**: the DAGs Airflow lists as scheduled on it, and the DAGs whose
  schedule condition names it by id or URI, through an alias it was emitted
  through, or by an ``Asset.ref`` (Airflow 3 lists none of these last three in
  ``scheduled_dags``);
* each consumer's whole **schedule condition** (``&``, ``|``, asset-or-time), as
  canonical JSON text (:mod:`airlift_component.airflow_api.asset_conditions`).

Imports no Dagster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from airlift_component.airflow_api.asset_conditions import Condition, condition_refs, to_json_text
from airlift_component.airflow_api.asset_graph import alias_event_sources, dag_schedule_condition
from airlift_component.airflow_api.types import AirflowAsset, AirflowDag

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient

#: Parallel DAG-details reads (as many as Airflow's default API workers, as for tasks).
DETAIL_THREADS = 4


class HasDag(Protocol):
    """A peered DAG as the state holds it (``DagState``)."""

    @property
    def dag(self) -> AirflowDag: ...


def fetch_airflow_assets(
    client: AirflowClient, peered_dags: Mapping[str, HasDag]
) -> tuple[AirflowAsset, ...]:
    """The Airflow assets a peered DAG produces (an outlet, or through an alias) or is
    scheduled on (directly, through an alias or an ``Asset.ref``), with their producers
    and consumers narrowed to peered DAGs and each consumer's schedule condition.

    One paged listing of the assets, one DAG-details read per peered DAG whose
    schedule names assets, and one read of the newest events of each asset that was
    emitted through an alias (see :mod:`airlift_component.airflow_api.asset_graph`).
    """
    listed = client.list_airflow_assets()
    conditions = _conditions(client, peered_dags)
    consumers = resolve_consumers(listed, conditions)
    found = []
    for index, asset in enumerate(listed):
        producing = tuple(ref for ref in asset.producing_tasks if ref[0] in peered_dags)
        via_alias: tuple[tuple[str, str], ...] = ()
        if asset.aliases and asset.asset_id is not None:
            sources = alias_event_sources(client, asset.asset_id)
            via_alias = tuple(
                sorted(
                    ref
                    for ref in sources
                    if ref[0] in peered_dags and ref not in asset.producing_tasks
                )
            )
        every = set(asset.scheduled_dags) | consumers.get(index, set())
        scheduled = tuple(sorted(dag for dag in every if dag in peered_dags))
        if not (producing or via_alias or scheduled):
            continue
        kept = tuple((dag, to_json_text(conditions[dag])) for dag in scheduled if dag in conditions)
        found.append(
            replace(
                asset,
                producing_tasks=producing,
                scheduled_dags=scheduled,
                alias_producing_tasks=via_alias,
                consumer_conditions=kept,
            )
        )
    return tuple(found)


def might_be_asset_scheduled(schedule: str | None) -> bool:
    """Whether a DAG's schedule summary may hide an asset condition (``Asset``,
    ``Asset or …``, ``Partitioned Asset``, ``Dataset``, ``Triggered by datasets``…);
    an unknown schedule (``None``) may."""
    return schedule is None or any(word in schedule.lower() for word in ("asset", "dataset"))


def _conditions(client: AirflowClient, peered_dags: Mapping[str, HasDag]) -> dict[str, Condition]:
    wanted = [
        (dag_id, entry.dag.schedule)
        for dag_id, entry in sorted(peered_dags.items())
        if might_be_asset_scheduled(entry.dag.schedule)
    ]
    with ThreadPoolExecutor(max_workers=DETAIL_THREADS) as pool:
        found = pool.map(lambda item: dag_schedule_condition(client, *item), wanted)
        return {
            dag_id: condition
            for (dag_id, _), condition in zip(wanted, found, strict=True)
            if condition is not None
        }


def resolve_consumers(
    assets: Sequence[AirflowAsset], conditions: Mapping[str, Condition]
) -> dict[int, set[str]]:
    """For each asset (by position in ``assets``), the DAGs whose condition names it:
    by id (Airflow 3), by URI (Airflow 2), through an alias it was emitted through, or
    through an ``Asset.ref`` by name or URI (matching active assets, as Airflow does)."""
    by_id: dict[int, list[int]] = {}
    by_uri: dict[str, list[int]] = {}
    by_name: dict[str, list[int]] = {}
    by_alias: dict[str, list[int]] = {}
    for index, asset in enumerate(assets):
        if asset.asset_id is not None:
            by_id.setdefault(asset.asset_id, []).append(index)
        by_uri.setdefault(asset.uri, []).append(index)
        by_name.setdefault(asset.name, []).append(index)
        for alias in asset.aliases:
            by_alias.setdefault(alias, []).append(index)
    consumers: dict[int, set[str]] = {}
    for dag_id, condition in conditions.items():
        for kind, value in condition_refs(condition):
            if kind == "asset":
                asset_id = value.get("id")
                hits = (
                    by_id.get(asset_id, [])
                    if asset_id is not None
                    else by_uri.get(value["uri"], [])
                )
            elif kind == "alias":
                hits = by_alias.get(value, [])
            elif kind == "ref_name":
                hits = by_name.get(value, [])
            else:
                hits = by_uri.get(value, [])
            for index in hits:
                consumers.setdefault(index, set()).add(dag_id)
    return consumers
