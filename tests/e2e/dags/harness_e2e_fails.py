"""A DAG whose only task fails: the harness test checks trigger_and_wait reports it."""

from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]


def _fail() -> None:
    raise RuntimeError("harness_e2e_fails fails on purpose")


with DAG(
    dag_id="harness_e2e_fails",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["harness_e2e"],
    default_args={"retries": 0},
):
    PythonOperator(task_id="boom", python_callable=_fail)
