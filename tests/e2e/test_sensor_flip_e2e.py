"""A flip during a running DAG, on real Airflow 2.10 and 3 with a real Dagster.

``exactly_once_flip`` runs ``gate`` (which waits for the test) then ``work``.
While ``gate`` runs, ``work`` is flipped to proxied (run 1) or back (run 2).
The sensor must decide from what Airflow ran for each try: in run 1 ``work``
ran the proxy, so its asset was made by the Dagster run it launched and the
sensor records nothing for it; in run 2 it ran in Airflow and the sensor
records it once. ``gate`` is recorded once in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from airlift_component.component import build_defs
from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.processes import poll_for
from tests.e2e.airlift_yaml_support import airlift_config, dag_mapping, write_airlift_yaml
from tests.e2e.proxy_support import point_at_dagster

PROJECT = Path(__file__).parent / "projects" / "exactly_once" / "definitions.py"
DAG = "exactly_once_flip"
RUN_TIMEOUT = 600.0
OFF = "tasks:\n  - id: gate\n    proxied: false\n  - id: work\n    proxied: false\n"
ON = "tasks:\n  - id: gate\n    proxied: false\n  - id: work\n    proxied: true\n"


@pytest.fixture(scope="module")
def dagster(module_dagster_server_factory: Any) -> DagsterServer:
    server: DagsterServer = module_dagster_server_factory(PROJECT, daemon=False)
    return server


@pytest.fixture
def flip_airflow(airflow: AirflowServer, dagster: DagsterServer) -> AirflowServer:
    """``airflow`` whose ``dagster_default`` Connection points at ``dagster``."""
    point_at_dagster(airflow, dagster.url, "eo")
    _set_state(airflow, OFF, "airlift:proxied_tasks=0")
    return airflow


def _set_state(airflow: AirflowServer, text: str, tag: str, *, parsed: bool = True) -> None:
    airflow.write_dag_file(f"proxied_state/{DAG}.yaml", text)
    if parsed:
        airflow.wait_for_dag_tags(DAG, lambda tags: tag in tags, timeout=180)


def _wait_running(airflow: AirflowServer, run_id: str, task_id: str) -> None:
    def running() -> bool | None:
        ti = airflow.api.json("GET", f"/dags/{DAG}/dagRuns/{run_id}/taskInstances/{task_id}")
        return True if ti.get("state") == "running" else None

    poll_for(running, timeout=300, what=f"{task_id} of {run_id} to run", interval=0.5)


def _open_gate(airflow: AirflowServer, run_id: str) -> None:
    gates = airflow.dags_folder.parent / "exactly_once_gates"
    gates.mkdir(exist_ok=True)
    (gates / run_id).write_text("open")


def _operators(airflow: AirflowServer, run_id: str) -> dict[str, str]:
    body = {"dag_ids": [DAG], "dag_run_ids": [run_id]}
    answer = airflow.api.json("POST", "/dags/~/dagRuns/~/taskInstances/list", json=body)
    return {ti["task_id"]: str(ti.get("operator")) for ti in answer["task_instances"]}


def _flipped_run(airflow: AirflowServer, text: str, tag: str) -> str:
    run_id = airflow.trigger(DAG)
    _wait_running(airflow, run_id, "gate")
    # The flip, while gate runs. Airflow 2's SequentialExecutor runs gate inside the
    # scheduler loop, so the DAG is not re-parsed meanwhile; the task runner reads the
    # file when work starts, which is what decides what runs.
    _set_state(airflow, text, tag, parsed=airflow.version_major >= 3)
    _open_gate(airflow, run_id)
    assert airflow.wait_for_run(DAG, run_id, timeout=RUN_TIMEOUT) == "success"
    return run_id


def _sensor(airflow: AirflowServer, tmp_path: Path) -> dg.SensorDefinition:
    tasks = {"gate": ["eo_flip/gate"], "work": ["eo_flip/work"]}
    config = airlift_config(
        airflow, "eo", dags=[DAG], sensor={"lookback_hours": 1}, mappings=[dag_mapping(DAG, tasks)]
    )
    path = write_airlift_yaml(tmp_path / "airlift.yaml", config)
    return build_defs(path, refresh="if_missing").resolve_sensor_def("airlift_eo_sensor")


def _per_run(instance: dg.DagsterInstance, key: str) -> dict[str, int]:
    records = instance.fetch_materializations(dg.AssetKey(key.split("/")), limit=100).records
    counts: dict[str, int] = {}
    for record in records:
        metadata = record.asset_materialization.metadata  # type: ignore[union-attr]
        if "airflow/run_id" not in metadata:
            continue  # made by the Dagster run a proxy launched, not by the sensor
        run_id = str(metadata["airflow/run_id"].value)
        counts[run_id] = counts.get(run_id, 0) + 1
    return counts


def test_flip_during_a_running_dag_is_decided_by_what_ran(
    flip_airflow: AirflowServer, dagster: DagsterServer, tmp_path: Path
) -> None:
    """The sensor ticks on the Dagster instance the proxies launch into, as deployed."""
    airflow = flip_airflow
    instance = dg.DagsterInstance.from_config(str(dagster.home))
    sensor = _sensor(airflow, tmp_path)
    cursor: str | None = None

    def tick() -> None:
        nonlocal cursor
        result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
        if isinstance(result, dg.SensorResult):
            for event in result.asset_events or []:
                instance.report_runless_asset_event(event)
            cursor = result.cursor or cursor

    tick()
    flipped_on = _flipped_run(airflow, ON, "airlift:proxied_tasks=1")
    flipped_off = _flipped_run(airflow, OFF, "airlift:proxied_tasks=0")
    tick()
    tick()

    # What Airflow wrote on the task instances (Airflow 3 writes it at run creation).
    operators = {run: _operators(airflow, run) for run in (flipped_on, flipped_off)}

    gate = _per_run(instance, "eo_flip/gate")
    work = _per_run(instance, "eo_flip/work")
    assert (gate.get(flipped_on), gate.get(flipped_off)) == (1, 1), gate
    assert (work.get(flipped_on, 0), work.get(flipped_off, 0)) == (0, 1), (work, operators)

    launched = instance.get_runs(filters=dg.RunsFilter(tags={"airlift/airflow_run_id": flipped_on}))
    assert [run.status for run in launched] == [dg.DagsterRunStatus.SUCCESS], operators
    assert not instance.get_runs(
        filters=dg.RunsFilter(tags={"airlift/airflow_run_id": flipped_off})
    )
    instance.dispose()
