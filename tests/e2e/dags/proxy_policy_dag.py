"""E2E: a plain DAG file (no proxying_to_dagster call) proxied by the airflow_side cluster policy.

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

OUT = Path(__file__).resolve().parent.parent / "proxy_out"


def record(step: str, airflow_run: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "airflow.jsonl").open("a") as handle:
        handle.write(
            json.dumps({"dag": "proxy_policy_dag", "step": step, "run_id": airflow_run}) + "\n"
        )


with DAG("proxy_policy_dag", start_date=datetime(2024, 1, 1), schedule=None, catchup=False) as dag:
    extract = PythonOperator(
        task_id="extract", python_callable=record, op_args=["extract", "{{ run_id }}"]
    )
    load = PythonOperator(task_id="load", python_callable=record, op_args=["load", "{{ run_id }}"])
    report = PythonOperator(
        task_id="report", python_callable=record, op_args=["report", "{{ run_id }}"]
    )
    extract >> load >> report
