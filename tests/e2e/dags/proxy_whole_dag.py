"""E2E: a two-task DAG that can be proxied to Dagster as a whole, and a DAG scheduled
on the asset its ``second`` task produces: it must still run when the whole DAG is
proxied (the whole-DAG proxy carries the tasks' outlets)."""

from datetime import datetime
from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

try:
    from airflow.sdk import DAG, Asset
except ImportError:  # Airflow 2
    from airflow.datasets import Dataset as Asset
    from airflow.models import DAG

WHOLE_OUTPUT = Asset("s3://airlift-e2e/whole/second.csv")

with manual_dag("proxy_whole_dag") as dag:
    first = recording_task(dag.dag_id, "first")
    second = recording_task(dag.dag_id, "second", outlets=[WHOLE_OUTPUT])
    first >> second

with DAG(
    "proxy_whole_consumer", start_date=datetime(2024, 1, 1), schedule=[WHOLE_OUTPUT], catchup=False
) as consumer:
    recording_task(consumer.dag_id, "consume")

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
