"""One sensor tick: what :mod:`~airlift_component.airflow_state.sensor_pass` found new
(task tries and run completions) turned into asset materializations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

import dagster as dg

from airlift_component.airflow_api.retry import Deadline
from airlift_component.airflow_api.transport import OutOfTime
from airlift_component.airflow_api.types import AirflowAssetEvent, DagRun, TaskInstance
from airlift_component.airflow_state.asset_event_pass import asset_event_pass, redacted_extra
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.airflow_state.run_ledger import Launched, RunOutcome
from airlift_component.airflow_state.sensor_cursor import SensorCursor
from airlift_component.airflow_state.sensor_pass import PassSettings, sensor_pass
from airlift_component.component.airflow_asset_specs import AirflowAssetIndex
from airlift_component.component.asset_specs import InstanceIndex, MappedDag
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.config.short_list import short_list

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient


@dataclass
class TickResult:
    """What a tick produced: events to store, the cursor to store, warnings to log."""

    events: list[dg.AssetMaterialization]
    cursor: SensorCursor
    runs: int = 0
    warnings: list[str] = field(default_factory=list)
    #: Limits of the guarantee met on this tick (also logged; they go in the reason).
    limits: list[str] = field(default_factory=list)
    #: Why the tick stopped for lack of time (also in ``limits``), if it did.
    out_of_time: str | None = None


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _run_metadata(client: AirflowClient, instance: str, run: DagRun) -> dict[str, Any]:
    return {
        "airflow/instance": instance,
        "airflow/dag_id": run.dag_id,
        "airflow/run_id": run.run_id,
        "airflow/run_url": dg.MetadataValue.url(client.run_ui_url(run.dag_id, run.run_id)),
        "airflow/logical_date": _iso(run.logical_date),
        "airflow/start_date": _iso(run.start_date),
        "airflow/end_date": _iso(run.end_date),
        "airflow/run_state": run.state,
    }


def _task_metadata(ti: TaskInstance) -> dict[str, Any]:
    return {
        "airflow/task_id": ti.task_id,
        "airflow/map_index": ti.map_index,
        "airflow/try_number": ti.try_number,
        "airflow/operator": ti.operator or "",
        "airflow/task_start_date": _iso(ti.start_date),
        "airflow/task_end_date": _iso(ti.end_date),
    }


class _Emitter:
    def __init__(self, index: InstanceIndex, warnings: list[str]) -> None:
        self.index = index
        self.warnings = warnings
        self.events: list[dg.AssetMaterialization] = []

    def emit(self, key: dg.AssetKey, run: DagRun, metadata: dict[str, Any]) -> None:
        partition = None
        pdef = self.index.partitions.get(key)
        if pdef is not None:
            partition = self._partition(pdef, key, run)
            if partition is None:
                return
        self.events.append(
            dg.AssetMaterialization(asset_key=key, partition=partition, metadata=metadata)
        )

    def _partition(
        self, pdef: dg.TimeWindowPartitionsDefinition, key: dg.AssetKey, run: DagRun
    ) -> str | None:
        if run.logical_date is None:
            self.warnings.append(
                f"run {run.run_id!r} of DAG {run.dag_id!r} has no logical date, so partitioned "
                f"asset {key.to_user_string()} cannot be recorded for it"
            )
            return None
        if run.logical_date < pdef.start:
            self.warnings.append(
                f"run {run.run_id!r} of DAG {run.dag_id!r}: logical date "
                f"{run.logical_date.isoformat()} is before the first partition of "
                f"{key.to_user_string()} ({pdef.start.isoformat()}); not recorded"
            )
            return None
        return pdef.get_partition_key_for_timestamp(run.logical_date.timestamp())


def _record(
    outcome: RunOutcome, entry: MappedDag, metadata: dict[str, Any], emitter: _Emitter
) -> None:
    run = outcome.run
    for ti in outcome.tries:
        task_metadata = {**metadata, **_task_metadata(ti)}
        for key in entry.task_keys.get(ti.task_id, ()):
            emitter.emit(key, run, task_metadata)
    if outcome.completed and not outcome.dag_proxied and outcome.task_ids:
        for task_id in sorted(set(entry.task_keys) - outcome.task_ids):
            emitter.warnings.append(
                f"DAG {run.dag_id!r}: task {task_id!r} is mapped in airlift.yaml but did not "
                f"run in {run.run_id!r} (renamed or removed?); update airlift.yaml"
            )
    if outcome.completed:
        if not outcome.dag_proxied:
            for key in entry.dag_level_keys:
                emitter.emit(key, run, metadata)
        emitter.emit(entry.dag_key, run, metadata)


def _matches_filter(instance: Instance, dag_id: str) -> bool:
    include = any(fnmatchcase(dag_id, pattern) for pattern in instance.dags.include)
    return include and not any(fnmatchcase(dag_id, p) for p in instance.dags.exclude)


#: Mapped task ids per DAG, and the DAGs whose runs need their task instances.
IndexShape = tuple[dict[str, frozenset[str]], frozenset[str]]


def index_shape(index: InstanceIndex) -> IndexShape:
    """What the pass needs of the index (the sensor computes it once)."""
    mapped = {dag_id: frozenset(entry.task_keys) for dag_id, entry in index.dags.items()}
    needs = frozenset(d for d, e in index.dags.items() if e.task_keys or e.dag_level_keys)
    return mapped, needs


def evaluate_tick(
    client: AirflowClient,
    instance: Instance,
    index: InstanceIndex,
    cursor: SensorCursor,
    proxied: ProxiedLookup,
    *,
    now: datetime,
    overlap: timedelta,
    max_runs: int,
    shape: IndexShape | None = None,
    launched: Callable[[Sequence[DagRun]], Launched] | None = None,
    airflow_assets: AirflowAssetIndex | None = None,
    budget: Deadline | None = None,
) -> TickResult:
    """Record what is new since ``cursor``; raises ``AirflowApiError`` untouched so the
    caller can fail the tick softly without moving the cursor. ``proxied`` decides only
    for task instances that Airflow sent without their operator. With
    ``airflow_assets``, Airflow's asset events are recorded too (see
    :mod:`~airlift_component.airflow_state.asset_event_pass`). ``budget`` is the
    tick's time budget (see
    :func:`~airlift_component.airflow_api.transport.time_budget`): when it runs out,
    what was settled is kept and the rest is left for the next tick."""
    settings = PassSettings(
        lookback=timedelta(hours=instance.sensor.lookback_hours),
        overlap=overlap,
        max_runs=max_runs,
        batch_size=instance.sensor.batch_size,
    )
    mapped, needs = shape or index_shape(index)
    result = sensor_pass(
        client,
        cursor,
        now=now,
        settings=settings,
        mapped_tasks=mapped,
        needs_tasks=needs,
        fallback=proxied,
        launched=launched,
        budget=budget,
    )
    warnings: list[str] = []
    for dag_id in result.unknown_dags:
        if _matches_filter(instance, dag_id):
            warnings.append(
                f"DAG {dag_id!r} ran in Airflow but has no asset in the definitions (new since "
                "the state was cached?); run `airlift refresh` and reload the code location: "
                f"its runs of the last {instance.sensor.lookback_hours:g} hour(s) are recorded then"
            )
    emitter = _Emitter(index, warnings)
    for outcome in result.outcomes:
        entry = index.dags[outcome.run.dag_id]
        metadata = _run_metadata(client, instance.name, outcome.run)
        _record(outcome, entry, metadata, emitter)
    next_cursor, limits = result.cursor, list(result.limits)
    out_of_time = result.out_of_time
    if airflow_assets is not None and airflow_assets.keys:
        try:
            if out_of_time is not None:
                raise OutOfTime("no time left")
            events = asset_event_pass(
                client,
                cursor.asset_events,
                now=now,
                lookback=settings.lookback,
                overlap=overlap,
                known_uris=airflow_assets.keys,
            )
        except OutOfTime as exc:  # the events' memory stays: the next tick reads them
            out_of_time = out_of_time or str(exc)
            limits.append(f"Airflow's asset events are read on the next tick ({exc})")
            kept = replace(next_cursor, asset_events=cursor.asset_events)
            return TickResult(
                emitter.events, kept, result.changed_runs, warnings, limits, out_of_time
            )
        for event in events.events:
            emitter.events.append(
                dg.AssetMaterialization(
                    asset_key=airflow_assets.keys[event.uri],
                    metadata=_event_metadata(client, instance.name, event),
                )
            )
        if events.unknown_uris:
            shown = short_list(events.unknown_uris, 5, quoted=True)
            warnings.append(
                f"Airflow recorded events of asset(s) {shown} "
                "that no peered DAG produced or was scheduled on when the state was fetched; "
                "not recorded. If one is now, run `airlift refresh` and reload the code location"
            )
        next_cursor = replace(next_cursor, asset_events=events.memory)
        limits += events.limits
    return TickResult(
        emitter.events, next_cursor, result.changed_runs, warnings, limits, out_of_time
    )


def _event_metadata(
    client: AirflowClient, instance: str, event: AirflowAssetEvent
) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "airflow/instance": instance,
        "airflow/asset_uri": event.uri,
        "airflow/event_id": event.event_id,
        "airflow/event_timestamp": event.timestamp.isoformat(),
        "airflow/source_dag_id": event.source_dag_id or "",
        "airflow/source_task_id": event.source_task_id or "",
        "airflow/source_run_id": event.source_run_id or "",
        "airflow/source_map_index": event.source_map_index,
    }
    if event.name and event.name != event.uri:
        metadata["airflow/asset_name"] = event.name
    if event.source_dag_id and event.source_run_id:
        url = client.run_ui_url(event.source_dag_id, event.source_run_id)
        metadata["airflow/run_url"] = dg.MetadataValue.url(url)
    if event.extra:
        metadata["airflow/event_extra"] = dg.MetadataValue.json(redacted_extra(event.extra))
    return metadata
