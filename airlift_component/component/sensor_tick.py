"""One sensor tick: finished Airflow runs in, asset materializations and a new cursor out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

import dagster as dg

from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.airflow_state.sensor_cursor import SensorCursor
from airlift_component.component.asset_specs import InstanceIndex, MappedDag
from airlift_component.config.airlift_model import Instance

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient


@dataclass
class TickResult:
    """What a tick produced: events to store, the cursor to store, warnings to log."""

    events: list[dg.AssetMaterialization]
    cursor: SensorCursor
    runs: int = 0
    warnings: list[str] = field(default_factory=list)


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


def _task_metadata(tis: Sequence[TaskInstance]) -> dict[str, Any]:
    starts = [ti.start_date for ti in tis if ti.start_date]
    ends = [ti.end_date for ti in tis if ti.end_date]
    return {
        "airflow/task_id": tis[0].task_id,
        "airflow/try_number": max(ti.try_number for ti in tis),
        "airflow/task_start_date": _iso(min(starts) if starts else None),
        "airflow/task_end_date": _iso(max(ends) if ends else None),
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


def _task_instances(
    client: AirflowClient, runs: Sequence[DagRun], batch_size: int
) -> dict[tuple[str, str, str], list[TaskInstance]]:
    by_task: dict[tuple[str, str, str], list[TaskInstance]] = defaultdict(list)
    for start in range(0, len(runs), batch_size):
        for ti in client.list_task_instances(runs[start : start + batch_size]):
            by_task[(ti.dag_id, ti.run_id, ti.task_id)].append(ti)
    return by_task


def _record_run(
    run: DagRun,
    entry: MappedDag,
    tis: dict[tuple[str, str, str], list[TaskInstance]],
    proxied: ProxiedLookup,
    run_metadata: dict[str, Any],
    emitter: _Emitter,
) -> None:
    for task_id, keys in entry.task_keys.items():
        if proxied.task_proxied(run.dag_id, task_id):
            continue  # its assets materialize in Dagster itself
        found = tis.get((run.dag_id, run.run_id, task_id))
        if not found:
            emitter.warnings.append(
                f"DAG {run.dag_id!r}: task {task_id!r} is mapped in airlift.yaml but did not "
                f"run in {run.run_id!r} (renamed or removed?); update airlift.yaml"
            )
            continue
        if all(ti.state == "success" for ti in found):
            metadata = {**run_metadata, **_task_metadata(found)}
            for key in keys:
                emitter.emit(key, run, metadata)
    if run.state != "success":
        return
    if not proxied.dag_proxied(run.dag_id):
        for key in entry.dag_level_keys:
            emitter.emit(key, run, run_metadata)
    emitter.emit(entry.dag_key, run, run_metadata)


def _matches_filter(instance: Instance, dag_id: str) -> bool:
    include = any(fnmatchcase(dag_id, pattern) for pattern in instance.dags.include)
    return include and not any(fnmatchcase(dag_id, p) for p in instance.dags.exclude)


def evaluate_tick(
    client: AirflowClient,
    instance: Instance,
    index: InstanceIndex,
    cursor: SensorCursor,
    proxied: ProxiedLookup,
    *,
    now: datetime,
    overlap: timedelta,
    max_runs: int | None = None,
) -> TickResult:
    """Record the runs that finished since ``cursor``; raises ``AirflowApiError`` untouched
    so the caller can fail the tick softly without moving the cursor."""
    settings = instance.sensor
    start = cursor.query_start(now, timedelta(hours=settings.lookback_hours), overlap)
    runs = cursor.new_runs(client.list_finished_dag_runs(end_date_gte=start), max_runs)
    warnings: list[str] = []
    known = [run for run in runs if run.dag_id in index.dags]
    unknown = sorted({run.dag_id for run in runs if run.dag_id not in index.dags})
    for dag_id in unknown:
        if _matches_filter(instance, dag_id):
            warnings.append(
                f"DAG {dag_id!r} ran in Airflow but has no asset in the definitions (new since "
                "the state was cached?); run `airlift refresh` and reload the code location"
            )
    needs_tasks = [run for run in known if index.dags[run.dag_id].task_keys]
    tis = _task_instances(client, needs_tasks, settings.batch_size) if needs_tasks else {}
    emitter = _Emitter(index, warnings)
    for run in known:
        metadata = _run_metadata(client, instance.name, run)
        _record_run(run, index.dags[run.dag_id], tis, proxied, metadata, emitter)
    return TickResult(emitter.events, cursor.advance(runs, overlap), len(runs), warnings)
