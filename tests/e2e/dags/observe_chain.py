"""extract -> validate -> load; the sensor e2e tests map extract and load (validate is unmapped)."""

from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]


def _step(name: str) -> str:
    print(f"observe_chain: {name}")
    return name


with DAG(
    dag_id="observe_chain",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["observe_e2e"],
    description="Observed by the airlift sensor e2e tests.",
):
    extract = PythonOperator(task_id="extract", python_callable=_step, op_args=["extract"])
    validate = PythonOperator(task_id="validate", python_callable=_step, op_args=["validate"])
    load = PythonOperator(task_id="load", python_callable=_step, op_args=["load"])
    extract >> validate >> load
