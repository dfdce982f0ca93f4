"""What the proxy e2e modules share: pointing an Airflow at a Dagster, the
``airlift`` command, triggering a DAG and reading what each side recorded.

The Dagster project ``tests/e2e/projects/proxy`` writes one JSON line per
materialization into ``$PROXY_E2E_OUT/<asset>.jsonl``; the DAGs in
``tests/e2e/dags/proxy_*.py`` write one per Airflow task into
``<dags folder>/../proxy_out/airflow.jsonl``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.processes import poll_for

PROJECT = Path(__file__).parent / "projects" / "proxy" / "definitions.py"
INSTANCE = "e2e"
AIRLIFT = [sys.executable, "-m", "airlift_component"]


def point_at_dagster(
    airflow: AirflowServer, dagster_url: str, instance: str, conn_id: str = "dagster_default"
) -> AirflowServer:
    """(Re)create ``airflow``'s Connection ``conn_id`` for ``dagster_url``."""
    connection = {
        "connection_id": conn_id,
        "conn_type": "http",
        "host": dagster_url,
        "extra": json.dumps({"instance": instance}),
    }
    airflow.api.request("DELETE", f"/connections/{conn_id}")
    airflow.api.json("POST", "/connections", json=connection, ok=(200, 201))
    return airflow


def airlift(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``airlift ARGS`` in a child process; it must exit 0."""
    done = subprocess.run(
        [*AIRLIFT, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done


def airflow_records(airflow: AirflowServer, run_id: str) -> set[tuple[str, str]]:
    """(DAG, task) of each task that ran in Airflow for ``run_id``."""
    path = airflow.dags_folder.parent / "proxy_out" / "airflow.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    records = [json.loads(line) for line in lines]
    return {(r["dag"], r["step"]) for r in records if r["run_id"] == run_id}


def dagster_records(dagster: DagsterServer, asset: str, run_id: str) -> list[dict[str, Any]]:
    """The materializations of ``asset`` that Dagster made for Airflow's ``run_id``."""
    path = dagster.out / f"{asset}.jsonl"  # type: ignore[attr-defined]
    lines = path.read_text().splitlines() if path.exists() else []
    return [r for r in map(json.loads, lines) if r["airflow_run_id"] == run_id]


def run_dag(airflow: AirflowServer, dag_id: str, timeout: float = 300) -> tuple[str, str]:
    """Trigger ``dag_id`` and poll until the run finishes; returns (run id, state).

    A single-worker api-server can stall for a while on its first task start
    under load, so a timed-out poll is retried until the deadline.
    """
    run_id = airflow.trigger(dag_id)

    def probe() -> str | None:
        try:
            state = str(airflow.api.json("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"])
        except httpx.TimeoutException:
            return None
        return state if state in ("success", "failed") else None

    return run_id, poll_for(probe, timeout=timeout, what=f"run {run_id} of {dag_id}", interval=0.5)


def set_state(
    airflow: AirflowServer, dag_id: str, text: str, tag: str, timeout: float = 120
) -> None:
    """Write ``dag_id``'s proxied-state file and wait until Airflow's parse shows ``tag``."""
    airflow.write_dag_file(f"proxied_state/{dag_id}.yaml", text)
    airflow.wait_for_dag_tags(dag_id, lambda tags: tag in tags, timeout=timeout)
