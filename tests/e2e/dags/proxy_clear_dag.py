"""E2E: a DAG whose one task ``load`` is proxied; the test clears it and expects a rerun."""

from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

with manual_dag("proxy_clear_dag") as dag:
    recording_task(dag.dag_id, "load", retries=0)

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
