"""A fan-out/fan-in DAG that is never run: the e2e tests read its task graph."""

from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.empty import EmptyOperator  # type: ignore[no-redef]

with DAG(
    dag_id="client_e2e_fanout",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    tags=["client_e2e", "team_b"],
):
    start = EmptyOperator(task_id="start")
    left = EmptyOperator(task_id="left")
    right = EmptyOperator(task_id="right")
    end = EmptyOperator(task_id="end")
    start >> [left, right] >> end
