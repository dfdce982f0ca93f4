"""A tick's decisions as Dagster asset materializations: keys, partitions, metadata.

:mod:`airlift_component.sensor.tick` decides what is new (task tries, run
completions, Airflow asset events); this module names the assets each one
materializes (from the instance's index), picks the partition of a partitioned
asset from the run's logical date, and writes the ``airflow/...`` metadata. The
tries and completions are recorded upstream first
(:mod:`airlift_component.sensor.record_order`), then the Airflow asset events;
what each Airflow run recorded is one batch whose asset checks the sensor
requests (:mod:`.check_requests`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import dagster as dg

from airlift_component.airflow_api.types import AirflowAssetEvent, DagRun, TaskInstance
from airlift_component.component.airflow_asset_specs import AirflowAssetIndex
from airlift_component.component.asset_specs import InstanceIndex, MappedDag
from airlift_component.component.check_requests import CheckBatch
from airlift_component.redact import scrub_userinfo
from airlift_component.sensor.check_batches import batch_run_key
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.record_order import TaskOrder, ordered_records
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
    #: What each Airflow run recorded, for the run of its asset checks.
    batches: list[CheckBatch] = field(default_factory=list)


def tick_scope(
    index: InstanceIndex,
    airflow_assets: AirflowAssetIndex | None,
    decommissioned: Mapping[str, datetime] | None = None,
) -> TickScope:
    """What the tick needs of the definitions (the sensor computes it once);
    ``decommissioned`` holds the first Dagster tick of each decommissioned DAG."""
    mapped = {dag_id: frozenset(entry.task_keys) for dag_id, entry in index.dags.items()}
    needs = frozenset(d for d, e in index.dags.items() if e.task_keys or e.dag_level_keys)
    uris = airflow_assets.keys if airflow_assets is not None else {}
    ids = airflow_assets.ids if airflow_assets is not None else {}
    return TickScope(mapped, needs, uris, ids, dict(decommissioned or {}))


def materialize(
    tick: TickDecisions,
    client: AirflowClient,
    instance: str,
    index: InstanceIndex,
    airflow_assets: AirflowAssetIndex | None,
    order: TaskOrder | None = None,
) -> TickResult:
    """The materializations of what ``tick`` found new: the runs' tries and
    completions upstream first (by ``order``, the task graphs; without it, by end
    time only), then the Airflow asset events in the order found."""
    emitter = _Emitter(index, list(tick.warnings))
    metadata: dict[int, dict[str, Any]] = {}
    recorded: dict[int, set[dg.AssetKey]] = {}
    for record in ordered_records(tick.outcomes, order or TaskOrder(lambda _dag: ())):
        outcome = record.outcome
        if id(outcome) not in metadata:
            metadata[id(outcome)] = _run_metadata(client, instance, outcome.run)
        entry = index.dags[outcome.run.dag_id]
        keys = recorded.setdefault(id(outcome), set())
        if record.ti is None:
            keys |= _record_completion(outcome, entry, metadata[id(outcome)], emitter)
        else:
            task_metadata = {**metadata[id(outcome)], **_task_metadata(record.ti)}
            for key in entry.task_keys.get(record.ti.task_id, ()):
                if emitter.emit(key, outcome.run, task_metadata):
                    keys.add(key)
    for event in tick.asset_events:
        assert airflow_assets is not None  # events are read only when they are enabled
        emitter.events.append(
            dg.AssetMaterialization(
                asset_key=airflow_assets.keys[event.uri],
                metadata=_event_metadata(client, instance, event),
            )
        )
    batches = [
        CheckBatch(
            batch_run_key(instance, outcome),
            instance,
            outcome.run.dag_id,
            outcome.run.run_id,
            frozenset(recorded[id(outcome)]),
        )
        for outcome in tick.outcomes
        if recorded.get(id(outcome))
    ]
    return TickResult(
        emitter.events,
        tick.cursor,
        tick.changed_runs,
        emitter.warnings,
        tick.limits,
        tick.out_of_time,
        batches,
    )


class _Emitter:
    def __init__(self, index: InstanceIndex, warnings: list[str]) -> None:
        self.index = index
        self.warnings = warnings
        self.events: list[dg.AssetMaterialization] = []

    def emit(self, key: dg.AssetKey, run: DagRun, metadata: dict[str, Any]) -> bool:
        """Record ``key`` for ``run``; false when it cannot be (no partition for it)."""
        partition = None
        pdef = self.index.partitions.get(key)
        if pdef is not None:
            partition = self._partition(pdef, key, run)
            if partition is None:
                return False
        self.events.append(
            dg.AssetMaterialization(asset_key=key, partition=partition, metadata=metadata)
        )
        return True

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


def _record_completion(
    outcome: RunOutcome, entry: MappedDag, metadata: dict[str, Any], emitter: _Emitter
) -> set[dg.AssetKey]:
    """The DAG-level assets (unless the run was proxied as a whole) and the DAG asset of
    a successful completion; the keys recorded."""
    run = outcome.run
    if not outcome.dag_proxied and outcome.task_ids:
        for task_id in sorted(set(entry.task_keys) - outcome.task_ids):
            emitter.warnings.append(
                f"DAG {run.dag_id!r}: task {task_id!r} is mapped in airlift.yaml but did not "
                f"run in {run.run_id!r} (renamed or removed?); update airlift.yaml"
            )
    keys = [] if outcome.dag_proxied else list(entry.dag_level_keys)
    return {key for key in [*keys, entry.dag_key] if emitter.emit(key, run, metadata)}


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
    if event.partition_key is not None:
        metadata["airflow/partition_key"] = scrub_userinfo(event.partition_key)
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
