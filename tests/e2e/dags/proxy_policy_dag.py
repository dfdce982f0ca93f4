"""E2E: a plain DAG file (no proxying_to_dagster call) proxied by the airflow_side cluster policy.

The words "airflow" and "DAG" must appear here for Airflow's safe-mode scan: this
file imports its operators through proxy_e2e_tasks.
"""

from proxy_e2e_tasks import manual_dag, recording_task

with manual_dag("proxy_policy_dag") as dag:
    extract = recording_task(dag.dag_id, "extract")
    load = recording_task(dag.dag_id, "load")
    report = recording_task(dag.dag_id, "report")
    extract >> load >> report
