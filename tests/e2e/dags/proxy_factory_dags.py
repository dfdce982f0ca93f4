"""E2E: a DAG factory file; one DAG's broken proxied-state file must not take the others down.

Builds ``proxy_factory_a``, ``proxy_factory_b`` and ``proxy_factory_c`` in one
module, each with its own ``proxied_state/<dag_id>.yaml`` (``b`` has none).
"""

from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

for dag_id in ("proxy_factory_a", "proxy_factory_b", "proxy_factory_c"):
    with manual_dag(dag_id) as dag:
        recording_task(dag_id, "first") >> recording_task(dag_id, "second")
    globals()[dag_id] = dag

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
