"""One sensor tick's decisions, without Dagster: the runs, then the asset events.

:func:`read_tick` runs the pass over the runs (:func:`~.run_pass.sensor_pass`),
warns about the runs of a decommissioned DAG that Airflow ran for an interval of
the Dagster schedule (not recorded, see :mod:`~.decommissioned`), about the DAGs that ran in Airflow but are not in the definitions (those
the instance's ``dags:`` filter selects), and, when Airflow assets are enabled,
runs the pass over Airflow's asset events (:func:`~.event_pass.asset_event_pass`).
When the time budget ran out during the runs, the events wait for the next tick
and their memory stays as it was. The Dagster side turns what it returns into
materializations (:mod:`airlift_component.component.materializations`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import Protocol, runtime_checkable

from airlift_component.airflow_api.time_budget import OutOfTime, TimeBudget
from airlift_component.airflow_api.types import AirflowAssetEvent, DagRun
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.config.short_list import short_list
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.decommissioned import first_ticks
from airlift_component.sensor.event_memory import EventMemory
from airlift_component.sensor.event_pass import EventSource, asset_event_pass
from airlift_component.sensor.run_ledger import Launched, RunOutcome
from airlift_component.sensor.run_pass import PassSettings, RunSource, sensor_pass


class TickSource(RunSource, EventSource, Protocol):
    """What a tick needs of an Airflow client."""


@runtime_checkable
class BoundedSource(Protocol):
    """A client whose requests a time budget can bound (``AirflowClient``; a stand-in
    that sends no HTTP request has no need to)."""

    def bounded(self, budget: TimeBudget) -> TickSource:
        """The same client, its requests sharing ``budget``."""
        ...


@dataclass(frozen=True)
class TickScope:
    """What the definitions hold that a tick needs (computed once per sensor)."""

    #: Mapped task ids per DAG of the definitions.
    mapped_tasks: Mapping[str, Collection[str]]
    #: The DAGs whose runs need their task instances (mapped tasks or DAG-level assets).
    needs_tasks: Collection[str]
    #: The URIs of the Airflow assets in the definitions; empty when not enabled.
    known_uris: Collection[str] = ()
    #: Airflow's id of the asset known by each URI, where the state holds one.
    known_ids: Mapping[str, int | None] = field(default_factory=dict)
    #: The first Dagster tick of each decommissioned DAG (see :mod:`~.decommissioned`).
    boundaries: Mapping[str, datetime] = field(default_factory=dict)


@dataclass
class TickDecisions:
    """What a tick found new, the cursor to store, and what to log."""

    outcomes: list[RunOutcome]
    asset_events: list[AirflowAssetEvent]
    cursor: SensorCursor
    changed_runs: int
    warnings: list[str]
    #: Limits of the guarantee met on this tick (they go in the tick's reason).
    limits: list[str]
    #: Why the tick stopped for lack of time (also in ``limits``), if it did.
    out_of_time: str | None = None


def read_tick(
    client: TickSource,
    instance: Instance,
    cursor: SensorCursor,
    scope: TickScope,
    fallback: ProxiedLookup,
    *,
    now: datetime,
    overlap: timedelta,
    max_runs: int,
    launched: Callable[[Sequence[DagRun]], Launched] | None = None,
    budget: TimeBudget | None = None,
) -> TickDecisions:
    """What is new since ``cursor``; raises ``AirflowApiError`` untouched (but for
    :class:`OutOfTime`) so the caller can fail the tick softly without moving the
    cursor, and :class:`~.cursor.CursorError` for a cursor written for another
    instance. The cursor returned names ``instance``. ``fallback`` decides only for task instances that Airflow sent without
    their operator; ``budget`` is the tick's time budget: when it runs out, what was
    settled is kept and the rest is left for the next tick."""
    cursor = cursor.check_instance(instance.name)
    if budget is not None and isinstance(client, BoundedSource):
        client = client.bounded(budget)  # every request of the tick shares the budget
    settings = PassSettings(
        lookback=timedelta(hours=instance.sensor.lookback_hours),
        overlap=overlap,
        max_runs=max_runs,
        batch_size=instance.sensor.batch_size,
    )
    runs = sensor_pass(
        client,
        cursor,
        now=now,
        settings=settings,
        mapped_tasks=scope.mapped_tasks,
        needs_tasks=scope.needs_tasks,
        fallback=fallback,
        launched=launched,
        budget=budget,
        # The sensor's instance holds no mappings (the scope has them); a caller's may.
        boundaries={**first_ticks(instance.mappings), **scope.boundaries},
    )
    warnings = list(runs.skipped)
    warnings += [_unknown_dag(instance, d) for d in runs.unknown_dags if _selects(instance, d)]
    # What the pass over the runs does not carry over from the cursor it was given.
    kept = replace(runs.cursor, settled_before=cursor.settled_before, instance=instance.name)
    tick = TickDecisions(
        runs.outcomes, [], kept, runs.changed_runs, warnings, runs.limits, runs.out_of_time
    )
    if scope.known_uris:
        _read_asset_events(client, cursor.asset_events, tick, now, settings, scope)
    return tick


def _read_asset_events(
    client: EventSource,
    memory: EventMemory,
    tick: TickDecisions,
    now: datetime,
    settings: PassSettings,
    scope: TickScope,
) -> None:
    """Add the new asset events, their memory and their limits to ``tick``."""
    if tick.out_of_time is not None:
        _defer_events(tick, memory, "no time left")
        return
    try:
        events = asset_event_pass(
            client,
            memory,
            now=now,
            lookback=settings.lookback,
            overlap=settings.overlap,
            known_uris=scope.known_uris,
            known_ids=scope.known_ids,
        )
    except OutOfTime as exc:
        tick.out_of_time = str(exc)
        _defer_events(tick, memory, str(exc))
        return
    tick.asset_events = events.events
    if events.unknown_uris:
        shown = short_list(events.unknown_uris, 5, quoted=True)
        tick.warnings.append(
            f"Airflow recorded events of asset(s) {shown} "
            "that no peered DAG produced or was scheduled on when the state was fetched; "
            "not recorded. If one is now, run `airlift refresh` and reload the code location"
        )
    tick.cursor = replace(tick.cursor, asset_events=events.memory)
    tick.limits += events.limits


def _defer_events(tick: TickDecisions, memory: EventMemory, why: str) -> None:
    """The events' memory stays as it was: the next tick reads the same window."""
    tick.limits.append(f"Airflow's asset events are read on the next tick ({why})")
    tick.cursor = replace(tick.cursor, asset_events=memory)


def _selects(instance: Instance, dag_id: str) -> bool:
    """Whether the instance's ``dags:`` globs select ``dag_id``."""
    include = any(fnmatchcase(dag_id, pattern) for pattern in instance.dags.include)
    return include and not any(fnmatchcase(dag_id, p) for p in instance.dags.exclude)


def _unknown_dag(instance: Instance, dag_id: str) -> str:
    return (
        f"DAG {dag_id!r} ran in Airflow but has no asset in the definitions (new since "
        "the state was cached?); run `airlift refresh` and reload the code location: "
        f"its runs of the last {instance.sensor.lookback_hours:g} hour(s) are recorded then"
    )
