"""Fetching the Airflow assets of one instance for the state (the refresh's part).

:func:`fetch_airflow_assets` keeps the Airflow assets that a peered DAG produces
or is scheduled on, with:

* **producers**: the tasks whose outlets name the asset (Airflow's listing) and
  the tasks that emitted it through an asset alias (from the asset's newest
  events; Airflow records no producer for an alias), within one bound on the pages
  of events a refresh reads for all aliased assets together (logged when reached);
* **consumers**: the DAGs Airflow lists as scheduled on it, and the DAGs whose
  schedule condition names it by id or URI, through an alias it was emitted
  through, or by an ``Asset.ref`` (Airflow 3 lists none of these last three in
  ``scheduled_dags``);
* each consumer's whole **schedule condition** (``&``, ``|``, asset-or-time), as
  canonical JSON text (:mod:`airlift_component.airflow_api.asset_conditions`), once:
  under the first asset (by URI) the DAG consumes, which is where
  :func:`~airlift_component.airflow_state.airflow_assets.dag_conditions` finds it.

Imports no Dagster.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from airlift_component.airflow_api.asset_conditions import Condition, condition_refs, to_json_text
from airlift_component.airflow_api.asset_graph import (
    MAX_ALIAS_EVENT_PAGES,
    AliasEventBudget,
    alias_event_sources,
    dag_schedule_condition,
)
from airlift_component.airflow_api.endpoints import PAGE_SIZE
from airlift_component.airflow_api.types import AirflowAsset, AirflowDag
from airlift_component.redact import redact_url

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient

log = logging.getLogger("airlift_component")

#: Parallel DAG-details reads (as many as Airflow's default API workers, as for tasks).
DETAIL_THREADS = 4


class HasDag(Protocol):
    """A peered DAG as the state holds it (``DagState``)."""

    @property
    def dag(self) -> AirflowDag: ...


def fetch_airflow_assets(
    client: AirflowClient,
    peered_dags: Mapping[str, HasDag],
    *,
    alias_event_pages: int | None = None,
) -> tuple[AirflowAsset, ...]:
    """The Airflow assets a peered DAG produces (an outlet, or through an alias) or is
    scheduled on (directly, through an alias or an ``Asset.ref``), with their producers
    and consumers narrowed to peered DAGs and each consumer's schedule condition.

    One paged listing of the assets, one DAG-details read per peered DAG whose
    schedule names assets, and one read of the newest events of each asset that was
    emitted through an alias (see :mod:`airlift_component.airflow_api.asset_graph`):
    at most ``alias_event_pages`` (:data:`MAX_ALIAS_EVENT_PAGES`) pages of events for
    all of them together, and as many events as fill them. Past that
    the remaining aliased assets show no producer through an alias, and a warning
    names the Airflow, how many were left unread and what to do.
    """
    listed = client.list_airflow_assets()
    conditions = _conditions(client, peered_dags)
    consumers = resolve_consumers(listed, conditions)
    texts = {dag_id: to_json_text(condition) for dag_id, condition in conditions.items()}
    stored: set[str] = set()
    pages = MAX_ALIAS_EVENT_PAGES if alias_event_pages is None else alias_event_pages
    budget = AliasEventBudget(pages, pages * PAGE_SIZE)
    found = []
    for index, asset in enumerate(listed):
        producing = tuple(ref for ref in asset.producing_tasks if ref[0] in peered_dags)
        via_alias: tuple[tuple[str, str], ...] = ()
        if asset.aliases and asset.asset_id is not None:
            sources = alias_event_sources(client, asset.asset_id, budget=budget)
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
        # Once per DAG, under the first asset it consumes: a copy under each would grow
        # the state with the square of a large condition (2,000 assets named, 2,000 copies).
        kept = tuple((dag, texts[dag]) for dag in scheduled if dag in texts and dag not in stored)
        stored.update(dag for dag, _ in kept)
        found.append(
            replace(
                asset,
                producing_tasks=producing,
                scheduled_dags=scheduled,
                alias_producing_tasks=via_alias,
                consumer_conditions=kept,
            )
        )
    if budget.unread:
        _warn_unread(client, listed, budget, pages)
    return tuple(found)


def _warn_unread(
    client: AirflowClient, listed: Sequence[AirflowAsset], budget: AliasEventBudget, pages: int
) -> None:
    unread = set(budget.unread)
    uris = [asset.uri for asset in listed if asset.asset_id in unread]
    shown = ", ".join(uris[:5]) + (f" and {len(uris) - 5} more" if len(uris) > 5 else "")
    log.warning(
        "instance %r (Airflow at %s): a refresh reads at most %s pages of asset events "
        "(%s events) to find the tasks that emit assets through an alias, and that was "
        "not enough for all of them: %d aliased asset(s) were not (fully) read (%s). "
        "Their producers through an alias are missing from the lineage (only there: "
        "their events are still recorded). Remove the assets no task emits any more "
        "from Airflow, or turn airflow_assets off for this instance if the lineage "
        "through aliases is not needed",
        client.name,
        redact_url(client.base_url),
        f"{pages:,}",
        f"{pages * PAGE_SIZE:,}",
        len(uris),
        shown,
    )


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
