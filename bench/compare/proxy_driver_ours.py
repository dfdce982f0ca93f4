"""Our proxy path for one task (run by our venv's python): find the task's assets,
launch the Dagster run, follow it to success. Prints ``{"start": epoch seconds}`` first.

    python proxy_driver_ours.py DAGSTER_URL DAG_ID TASK_ID
"""

from __future__ import annotations

import json
import sys
import time

from airflow_side._dagster_run import DagsterRunner, ProxyRequest
from airlift_component.dagster_api import DagsterClient

if __name__ == "__main__":
    url, dag_id, task_id = sys.argv[1:4]
    print(json.dumps({"start": time.time()}), flush=True)
    with DagsterClient(url) as client:
        run = DagsterRunner(client).run(
            ProxyRequest(
                instance="bench",
                dag_id=dag_id,
                task_id=task_id,
                airflow_run_id="bench_run",
                try_number=1,
                poll_interval_seconds=0.5,
            )
        )
    print(json.dumps({"end": time.time(), "status": run.status}), flush=True)
