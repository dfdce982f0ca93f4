"""A DAG without tags, so the e2e tests can prove tag and exclude filters drop it."""

from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.empty import EmptyOperator  # type: ignore[no-redef]

with DAG(
    dag_id="client_e2e_untagged",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
):
    EmptyOperator(task_id="only")
