"""E2E: a two-task DAG that can be proxied to Dagster as a whole."""

from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

with manual_dag("proxy_whole_dag") as dag:
    first = recording_task(dag.dag_id, "first")
    second = recording_task(dag.dag_id, "second")
    first >> second

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
