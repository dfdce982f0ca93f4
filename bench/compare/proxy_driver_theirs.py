"""dagster-airlift's proxy path for one task (run by their Airflow venv's python):
``BaseProxyTaskToDagsterOperator.launch_runs_for_task`` with a minimal Airflow
context. Prints ``{"start": epoch seconds}`` first.

    python proxy_driver_theirs.py DAGSTER_URL DAG_ID TASK_ID
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import requests
from dagster_airlift.in_airflow.task_proxy_operator import BaseProxyTaskToDagsterOperator


class BenchOperator(BaseProxyTaskToDagsterOperator):
    def get_dagster_session(self, context: Any) -> requests.Session:
        return requests.Session()

    def get_dagster_url(self, context: Any) -> str:
        return sys.argv[1]


if __name__ == "__main__":
    url, dag_id, task_id = sys.argv[1:4]
    operator = BenchOperator(task_id=task_id, dagster_run_status_poll_interval=0.5)
    context = {
        "dag_run": SimpleNamespace(run_id="bench_run", dag_id=dag_id),
        "task": SimpleNamespace(task_id=task_id),
        "logical_date": datetime(2026, 11, 1, tzinfo=timezone.utc),
    }
    print(json.dumps({"start": time.time()}), flush=True)
    operator.launch_runs_for_task(context, dag_id, task_id)  # type: ignore[arg-type]
    print(json.dumps({"end": time.time(), "status": "SUCCESS"}), flush=True)
