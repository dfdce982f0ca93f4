"""Two quick tasks in a chain; the client e2e tests trigger it and watch it succeed."""

from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]


def _say(word: str) -> str:
    print(f"client_e2e_chain says {word}")
    return word


with DAG(
    dag_id="client_e2e_chain",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["client_e2e", "team_a"],
    description="Two tasks in a chain, triggered by the e2e tests.",
):
    extract = PythonOperator(task_id="extract", python_callable=_say, op_args=["extract"])
    load = PythonOperator(task_id="load", python_callable=_say, op_args=["load"])
    extract >> load
