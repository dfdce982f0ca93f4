"""Shared by the exactly-once e2e tests: the airlift.yaml, Airflow's view of the tries,
and counting what Dagster recorded per (run, task, try)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import dagster as dg

from devtools.local_stack import AirflowServer
from tests.e2e.airlift_yaml_support import airlift_config as e2e_airlift_config
from tests.e2e.airlift_yaml_support import dag_mapping

DAG = "exactly_once_chain"
MAPPED = {"extract": "eo/raw", "load": "eo/clean"}
DAG_KEY = "eo/dag/exactly_once_chain"
DAG_LEVEL = "eo/report"
RUN_TIMEOUT = 600.0

TryKey = tuple[str, str, int]  # run_id, task_id, try_number


def airlift_config(airflow: AirflowServer, interval: int = 5) -> dict[str, Any]:
    return e2e_airlift_config(
        airflow,
        "eo",
        dags=["exactly_once_*"],
        sensor={"interval_seconds": interval, "lookback_hours": 1},
        http={"retries": 1, "deadline_seconds": 30, "read_timeout": 30, "connect_timeout": 5},
        mappings=[dag_mapping(DAG, {t: [k] for t, k in MAPPED.items()}, assets=[DAG_LEVEL])],
    )


def clear_task(airflow: AirflowServer, run_id: str, task_id: str) -> None:
    """Clear one task of a finished run the way the UI does (the run is reset)."""
    body: dict[str, Any] = {
        "dry_run": False,
        "task_ids": [task_id],
        "dag_run_id": run_id,
        "only_failed": False,
        "reset_dag_runs": True,
    }
    if airflow.version_major == 2:
        body.update(include_upstream=False, include_downstream=False)
    airflow.api.json("POST", f"/dags/{DAG}/clearTaskInstances", json=body)


def airflow_tries(airflow: AirflowServer, run_ids: list[str]) -> dict[TryKey, str]:
    """The current try of every mapped task in ``run_ids``, with its state and operator."""
    body = {"dag_ids": [DAG], "dag_run_ids": run_ids}
    answer = airflow.api.json("POST", "/dags/~/dagRuns/~/taskInstances/list", json=body)
    return {
        (ti["dag_run_id"], ti["task_id"], int(ti["try_number"])): str(ti["state"])
        for ti in answer["task_instances"]
        if ti["task_id"] in MAPPED
    }


def recorded_tries(instance: dg.DagsterInstance) -> Counter[TryKey]:
    """Materializations of the mapped assets per (run, task, try)."""
    counts: Counter[TryKey] = Counter()
    for key in MAPPED.values():
        records = instance.fetch_materializations(dg.AssetKey(key.split("/")), limit=1000)
        for record in records.records:
            md = record.asset_materialization.metadata  # type: ignore[union-attr]
            counts[
                (
                    str(md["airflow/run_id"].value),
                    str(md["airflow/task_id"].value),
                    int(md["airflow/try_number"].value),  # type: ignore[arg-type]
                )
            ] += 1
    return counts


def recorded_runs(instance: dg.DagsterInstance, key: str) -> Counter[tuple[str, str]]:
    """Materializations of a DAG or DAG-level asset per (run, end date)."""
    records = instance.fetch_materializations(dg.AssetKey(key.split("/")), limit=1000)
    return Counter(
        (
            str(r.asset_materialization.metadata["airflow/run_id"].value),  # type: ignore[union-attr]
            str(r.asset_materialization.metadata["airflow/end_date"].value),  # type: ignore[union-attr]
        )
        for r in records.records
    )


def tick_like_the_daemon(
    sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None
) -> tuple[Any, str | None]:
    """One evaluation of ``sensor`` with its events stored as the daemon stores them;
    the result and the cursor to keep."""
    result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
    if isinstance(result, dg.SensorResult):
        for event in result.asset_events or []:
            instance.report_runless_asset_event(event)
        cursor = result.cursor or cursor
    return result, cursor
