"""A tick's decisions as Dagster asset materializations: keys, partitions, metadata.

:mod:`airlift_component.sensor.tick` decides what is new (task tries, run
completions, Airflow asset events); this module names the assets each one
materializes (from the instance's index), picks the partition of a partitioned
asset from the run's logical date, and writes the ``airflow/...`` metadata.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import dagster as dg

from airlift_component.airflow_api.types import AirflowAssetEvent, DagRun, TaskInstance
from airlift_component.component.airflow_asset_specs import AirflowAssetIndex
from airlift_component.component.asset_specs import InstanceIndex, MappedDag
from airlift_component.redact import scrub_userinfo
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.run_ledger import RunOutcome
from airlift_component.sensor.tick import TickDecisions, TickScope

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


def tick_scope(index: InstanceIndex, airflow_assets: AirflowAssetIndex | None) -> TickScope:
    """What the tick needs of the definitions (the sensor computes it once)."""
    mapped = {dag_id: frozenset(entry.task_keys) for dag_id, entry in index.dags.items()}
    needs = frozenset(d for d, e in index.dags.items() if e.task_keys or e.dag_level_keys)
    uris = airflow_assets.keys if airflow_assets is not None else {}
    return TickScope(mapped, needs, uris)


def materialize(
    tick: TickDecisions,
    client: AirflowClient,
    instance: str,
    index: InstanceIndex,
    airflow_assets: AirflowAssetIndex | None,
) -> TickResult:
    """The materializations of what ``tick`` found new, in the order found."""
    emitter = _Emitter(index, list(tick.warnings))
    for outcome in tick.outcomes:
        metadata = _run_metadata(client, instance, outcome.run)
        _record(outcome, index.dags[outcome.run.dag_id], metadata, emitter)
    for event in tick.asset_events:
        assert airflow_assets is not None  # events are read only when they are enabled
        emitter.events.append(
            dg.AssetMaterialization(
                asset_key=airflow_assets.keys[event.uri],
                metadata=_event_metadata(client, instance, event),
            )
        )
    return TickResult(
        emitter.events,
        tick.cursor,
        tick.changed_runs,
        emitter.warnings,
        tick.limits,
        tick.out_of_time,
    )


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


def redacted_extra(extra: Any, depth: int = 0) -> Any:
    """An event's ``extra`` fit for metadata: values under keys that look like secrets
    are replaced, nesting is cut at 5 levels."""
    if depth > 5:
        return "…"
    if isinstance(extra, dict):
        return {
            str(k): "<redacted>" if _secret_key(str(k)) else redacted_extra(v, depth + 1)
            for k, v in extra.items()
        }
    if isinstance(extra, list):
        return [redacted_extra(v, depth + 1) for v in extra]
    return scrub_userinfo(extra) if isinstance(extra, str) else extra


_SECRET_WORDS = ("password", "passwd", "secret", "token", "credential", "apikey", "api_key", "auth")


def _secret_key(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    return any(word in lowered for word in _SECRET_WORDS)
