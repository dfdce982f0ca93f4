"""extract -> middle -> load; the exactly-once e2e tests map extract and load."""

from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]


def _step(name: str) -> str:
    print(f"exactly_once_chain: {name}")
    return name


with DAG(
    dag_id="exactly_once_chain",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=4,
    tags=["exactly_once_e2e"],
    description="Observed by the exactly-once e2e tests.",
):
    extract = PythonOperator(task_id="extract", python_callable=_step, op_args=["extract"])
    middle = PythonOperator(task_id="middle", python_callable=_step, op_args=["middle"])
    load = PythonOperator(task_id="load", python_callable=_step, op_args=["load"])
    extract >> middle >> load
