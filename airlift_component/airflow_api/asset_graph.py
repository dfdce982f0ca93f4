"""The two reads behind aliases and conditions that the asset listing does not give.

Airflow's asset listing names the tasks whose outlets are an asset and the DAGs
scheduled on it, but not:

* **the tasks that emit it through an asset alias** (``outlets=[AssetAlias(x)]``
  and ``outlet_events[AssetAlias(x)].add(asset)``): Airflow keeps no producer
  record for an alias, only, once a task has emitted an asset through it, the
  alias on the asset (``aliases``) and the source task on each event.
  :func:`alias_event_sources` reads the asset's newest events (at most
  :data:`MAX_ALIAS_EVENTS`) for their source tasks, within what is left of the
  refresh's :class:`AliasEventBudget` (all aliased assets together);
* **a DAG's whole schedule condition** (``&``, ``|``, aliases, ``Asset.ref``,
  asset-or-time): :func:`dag_schedule_condition` reads it from the DAG details.
  On Airflow 3 a DAG scheduled on an alias or a ref is in no asset's
  ``scheduled_dags``; its condition is how it is found.

Both go through the client's JSON reader (its retries, deadline and errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airlift_component.airflow_api.asset_conditions import Condition, parse_condition
from airlift_component.airflow_api.endpoints import PAGE_SIZE
from airlift_component.airflow_api.parse import parse_asset_event
from airlift_component.errors import AirflowApiError

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient

#: Events read per aliased asset to find the tasks emitting it through an alias.
MAX_ALIAS_EVENTS = 500
#: Pages of asset events one refresh reads for all its aliased assets together, and
#: the events in them (what a server sends counts, not what was asked for): against
#: an Airflow with very many aliased assets, or one that never ends its pages.
MAX_ALIAS_EVENT_PAGES = 2_000
MAX_ALIAS_EVENTS_PER_REFRESH = MAX_ALIAS_EVENT_PAGES * PAGE_SIZE


@dataclass
class AliasEventBudget:
    """What one refresh may still read of asset events to find the tasks emitting
    assets through aliases, and the ids of the assets it left (partly) unread."""

    pages: int = MAX_ALIAS_EVENT_PAGES
    events: int = MAX_ALIAS_EVENTS_PER_REFRESH
    unread: list[int] = field(default_factory=list)

    @property
    def spent(self) -> bool:
        return self.pages <= 0 or self.events <= 0


def dag_schedule_condition(
    client: AirflowClient, dag_id: str, schedule: str | None
) -> Condition | None:
    """The DAG's asset schedule condition (see :mod:`.asset_conditions`), ``None``
    when it is not scheduled on assets."""
    endpoints = client.endpoints
    field = endpoints.asset_expression_field

    def expression(body: Any) -> Any:
        if not isinstance(body, dict):
            raise ValueError("DAG details are not an object")
        return body.get(field)

    path = endpoints.dag_details_path(dag_id)
    try:
        raw = client._reader.one("GET", path, expression)  # client.py has no public reader
    except AirflowApiError as exc:
        if exc.status == 404:  # deleted since it was listed: it schedules nothing now
            return None
        raise
    return parse_condition(raw, schedule)


def alias_event_sources(
    client: AirflowClient,
    asset_id: int,
    max_events: int = MAX_ALIAS_EVENTS,
    budget: AliasEventBudget | None = None,
) -> set[tuple[str, str]]:
    """The ``(dag_id, task_id)`` that emitted the asset's newest ``max_events`` events,
    read within ``budget`` (the whole refresh's; one of its own when ``None``). When
    the budget runs out first, the asset's id is added to ``budget.unread``."""
    budget = budget if budget is not None else AliasEventBudget()
    endpoints = client.endpoints
    path = endpoints.asset_events_path()
    events_field = endpoints.asset_events_field
    sources: set[tuple[str, str]] = set()
    offset = 0
    while offset < max_events:
        if budget.spent:
            budget.unread.append(asset_id)
            break
        limit = min(PAGE_SIZE, max_events - offset)
        params = endpoints.asset_events_of_params(asset_id=asset_id, offset=offset, limit=limit)
        events, total = client._reader.page(
            "GET", path, events_field, parse_asset_event, params=params
        )
        budget.pages -= 1
        budget.events -= len(events)
        for event in events:
            if event.source_dag_id and event.source_task_id:
                sources.add((event.source_dag_id, event.source_task_id))
        offset += len(events)
        if not events or (total is not None and offset >= total):
            break
    return sources
