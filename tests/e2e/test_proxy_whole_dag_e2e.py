"""Decommissioning on real Airflow 3: `airlift proxy on DAG --dag` on a task-level file
turns the DAG into one whole-DAG proxy task; `off DAG --dag` brings back the original
tasks with their per-task flags, and the file byte for byte.

Uses ``proxy_task_dag`` (extract >> load >> report) and the Dagster project of
``test_proxy_e2e``, whose asset ``loaded`` stands for the task ``load``. Every
change is awaited by polling Airflow's REST API, never by sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.processes import poll_for
from tests.e2e.proxy_support import (
    INSTANCE,
    PROJECT,
    airflow_records,
    airlift,
    dagster_records,
    point_at_dagster,
    run_dag,
)

DAG = "proxy_task_dag"
ORIGINAL_TASKS = {"extract", "load", "report"}
ORIGINAL = (
    "# Proxied state of proxy_task_dag (hand-written; keep the comments)\n"
    "tasks:\n"
    "  - id: extract\n"
    "    proxied: false\n"
    "  - id: load   # moved to Dagster first\n"
    "    proxied: true\n"
    "\n"
    "  - id: report\n"
    "    proxied: False\n"
)


@pytest.fixture(scope="module")
def dagster(
    module_dagster_server_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DagsterServer]:
    out = tmp_path_factory.mktemp("whole-dag-dagster-out")
    server: DagsterServer = module_dagster_server_factory(
        PROJECT, env={"PROXY_E2E_OUT": str(out), "PROXY_E2E_INSTANCE": INSTANCE}, daemon=False
    )
    server.out = out  # type: ignore[attr-defined]
    yield server


@pytest.fixture
def airflow(airflow3: AirflowServer, dagster: DagsterServer) -> AirflowServer:
    """Airflow 3 with its ``dagster_default`` Connection pointing at ``dagster``."""
    return point_at_dagster(airflow3, dagster.url, INSTANCE)


def task_ids(airflow: AirflowServer) -> set[str]:
    tasks = airflow.api.json("GET", f"/dags/{DAG}/tasks")["tasks"]
    return {task["task_id"] for task in tasks}


def wait_for_tasks(airflow: AirflowServer, done: Callable[[set[str]], bool]) -> set[str]:
    """Poll the DAG's task list (served from the serialized DAG, which can trail the
    tags by a moment) until ``done`` holds; returns it."""
    last: dict[str, set[str]] = {"tasks": set()}

    def probe() -> set[str] | None:
        last["tasks"] = task_ids(airflow)
        return last["tasks"] if done(last["tasks"]) else None

    return poll_for(
        probe,
        timeout=120,
        what=f"the task list of {DAG}",
        last_state=lambda: str(sorted(last["tasks"])),
        transient=(httpx.TimeoutException,),
    )


def drift(airflow: AirflowServer, folder: Path) -> dict[str, Any]:
    """`airlift drift --format json` for an airlift.yaml mapping the DAG's three tasks;
    it must exit 0 (nothing mapped is gone)."""
    instance = airflow.instance_config(INSTANCE)
    instance["dags"] = {"include": [DAG]}
    instance["mappings"] = [
        {
            "dag": DAG,
            "tasks": [{"task": t, "assets": [f"drift/{t}"]} for t in sorted(ORIGINAL_TASKS)],
        }
    ]
    config = folder / "airlift.yaml"
    config.write_text(json.dumps({"version": 1, "instances": [instance]}))
    report: dict[str, Any] = json.loads(
        airlift("drift", "--config", str(config), "--format", "json").stdout
    )
    return report["instances"][0]


def test_decommission_and_roll_back_to_the_task_list(
    airflow: AirflowServer, dagster: DagsterServer, tmp_path: Path
) -> None:
    state_file: Path = airflow.write_dag_file(f"proxied_state/{DAG}.yaml", ORIGINAL)
    state_dir = str(state_file.parent)
    airflow.wait_for_dag_tags(DAG, lambda tags: "airlift:proxied_tasks=1" in tags, timeout=120)
    wait_for_tasks(airflow, lambda tasks: tasks == ORIGINAL_TASKS)

    out = airlift("proxy", "on", DAG, "--dag", "--dir", state_dir).stdout
    assert "DAG-level flag: proxied false -> true" in out
    airflow.wait_for_dag_tags(DAG, lambda tags: "airlift:proxied" in tags, timeout=120)
    whole = wait_for_tasks(airflow, lambda tasks: not tasks & ORIGINAL_TASKS)
    assert len(whole) == 1  # the one task that launches the DAG's assets in Dagster
    assert "proxied: true\n" in state_file.read_text()
    airlift("validate", str(state_file))
    # Drift knows the whole-DAG proxy: the mapped tasks are not reported as gone.
    report = drift(airflow, tmp_path)
    assert report["proxied_dags"] == [DAG]
    assert report["missing_tasks"] == []

    out = airlift("proxy", "off", DAG, "--dag", "--dir", state_dir).stdout
    assert "restored the task list (3 tasks; proxied: load)" in out
    assert state_file.read_text() == ORIGINAL
    airflow.wait_for_dag_tags(DAG, lambda tags: "airlift:proxied_tasks=1" in tags, timeout=120)
    wait_for_tasks(airflow, lambda tasks: tasks == ORIGINAL_TASKS)
    report = drift(airflow, tmp_path)
    assert report["proxied_dags"] == report["missing_tasks"] == []

    # The per-task flags are in force again: load runs in Dagster, the others in Airflow.
    run_id, state = run_dag(airflow, DAG)
    assert state == "success"
    assert airflow_records(airflow, run_id) == {(DAG, "extract"), (DAG, "report")}
    [materialized] = dagster_records(dagster, "loaded", run_id)
    assert materialized["airflow_task_id"] == "load"
