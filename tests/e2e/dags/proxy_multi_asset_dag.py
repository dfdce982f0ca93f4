"""E2E: a task whose Dagster version is a whole @multi_asset, mapped in one line."""

from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

with manual_dag("proxy_multi_asset_dag") as dag:
    extract = recording_task(dag.dag_id, "extract")
    build_models = recording_task(dag.dag_id, "build_models")
    report = recording_task(dag.dag_id, "report")
    extract >> build_models >> report

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
