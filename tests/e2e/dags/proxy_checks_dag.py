"""E2E: three tasks whose middle one gets acceptance checks in Dagster, then is proxied."""

from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

with manual_dag("proxy_checks_dag") as dag:
    extract = recording_task(dag.dag_id, "extract")
    load = recording_task(dag.dag_id, "load")
    report = recording_task(dag.dag_id, "report")
    extract >> load >> report

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
