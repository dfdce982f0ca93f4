"""E2E: Airflow's TaskFlow tutorial pattern, extract -> transform -> load, with
``transform`` proxied to Dagster (asset ``proxy/order_summary``), whose run hands
the total back (``airlift/xcom_return_value``) for ``load`` to format.

``load`` appends ``{"dag", "step", "run_id", "value"}`` to ``proxy_out/airflow.jsonl``.
"""

import json
from pathlib import Path

from proxy_e2e_tasks import OUT, manual_dag

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

try:
    from airflow.sdk import get_current_context, task
except ImportError:
    from airflow.decorators import task
    from airflow.operators.python import get_current_context

with manual_dag("proxy_taskflow_dag") as dag:

    @task()
    def extract() -> dict:
        return json.loads('{"1001": 301.27, "1002": 433.21, "1003": 502.22}')

    @task(multiple_outputs=True)
    def transform(order_data: dict) -> dict:
        return {"total_order_value": sum(order_data.values())}

    @task()
    def load(total_order_value: float) -> None:
        value = f"Total order value is: {total_order_value:.2f}"
        OUT.mkdir(parents=True, exist_ok=True)
        run_id = get_current_context()["run_id"]
        line = {"dag": "proxy_taskflow_dag", "step": "load", "run_id": run_id, "value": value}
        with (OUT / "airflow.jsonl").open("a") as handle:
            handle.write(json.dumps(line) + "\n")

    order_summary = transform(extract())
    load(order_summary["total_order_value"])

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
