"""ok -> boom, where boom always fails: the sensor records ok's asset and not the DAG's."""

from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]


def _ok() -> str:
    return "ok"


def _boom() -> None:
    raise RuntimeError("observe_failing fails on purpose")


with DAG(
    dag_id="observe_failing",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["observe_e2e"],
    default_args={"retries": 0},
):
    ok = PythonOperator(task_id="ok", python_callable=_ok)
    boom = PythonOperator(task_id="boom", python_callable=_boom)
    ok >> boom
