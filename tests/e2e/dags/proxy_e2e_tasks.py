"""Shared by the ``proxy_*`` e2e DAG files (not a DAG itself).

Airflow puts the DAG folder on ``sys.path``, so those files import this module.
Each task appends ``{"dag", "step", "run_id"}`` to ``../proxy_out/airflow.jsonl``
(next to the DAG folder), so tests can tell which tasks ran in Airflow.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

try:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:
    from airflow.models import DAG
    from airflow.operators.python import PythonOperator

OUT = Path(__file__).resolve().parent.parent / "proxy_out"


def record(dag_id: str, step: str, airflow_run: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "airflow.jsonl").open("a") as handle:
        handle.write(json.dumps({"dag": dag_id, "step": step, "run_id": airflow_run}) + "\n")


def manual_dag(dag_id: str) -> Any:
    """A manually triggered DAG, as the e2e tests need it."""
    return DAG(dag_id, start_date=datetime(2024, 1, 1), schedule=None, catchup=False)


def recording_task(dag_id: str, task_id: str, **kwargs: Any) -> Any:
    """A task that records that it ran in Airflow."""
    return PythonOperator(
        task_id=task_id,
        python_callable=record,
        op_args=[dag_id, task_id, "{{ run_id }}"],
        **kwargs,
    )
