"""E2E: the "Dagster run" link on a proxied task (``proxy_link_dag.load``) and on
the task of a whole proxied DAG (``proxy_link_whole_dag``)."""

from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

with manual_dag("proxy_link_dag") as proxy_link_dag:
    recording_task("proxy_link_dag", "extract") >> recording_task("proxy_link_dag", "load")

with manual_dag("proxy_link_whole_dag") as proxy_link_whole_dag:
    recording_task("proxy_link_whole_dag", "work")

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
