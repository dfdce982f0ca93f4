"""E2E: a DAG whose task ``explode`` is proxied to a Dagster asset that fails.

Each task records that it ran in Airflow under ``../proxy_out/`` (next to the
DAG folder), so tests can tell which tasks ran where.
"""

import json
from datetime import datetime
from pathlib import Path

try:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:
    from airflow.models import DAG
    from airflow.operators.python import PythonOperator

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

OUT = Path(__file__).resolve().parent.parent / "proxy_out"


def record(step: str, airflow_run: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "airflow.jsonl").open("a") as handle:
        handle.write(
            json.dumps({"dag": "proxy_fail_dag", "step": step, "run_id": airflow_run}) + "\n"
        )


with DAG("proxy_fail_dag", start_date=datetime(2024, 1, 1), schedule=None, catchup=False) as dag:
    explode = PythonOperator(
        task_id="explode", python_callable=record, op_args=["explode", "{{ run_id }}"], retries=0
    )

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
