"""E2E for `airlift generate`: a Bash task and a TaskFlow task whose Dagster assets
are generated from this file, proxied, and checked against what Airflow did.

``check`` and ``load`` append ``{"dag", "step", "run_id", "value"}`` to
``proxy_out/airflow.jsonl`` with the XCom they received, so a test can compare a
proxied run with one run by Airflow's own operators.
"""

import json
from datetime import datetime, timedelta
from pathlib import Path

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

try:
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG, get_current_context, task
except ImportError:
    from airflow.decorators import task
    from airflow.models import DAG
    from airflow.operators.bash import BashOperator
    from airflow.operators.python import PythonOperator, get_current_context

OUT = Path(__file__).resolve().parent.parent / "proxy_out"


def record(dag_id: str, step: str, airflow_run: str, value: object) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    line = {"dag": dag_id, "step": step, "run_id": airflow_run, "value": value}
    with (OUT / "airflow.jsonl").open("a") as handle:
        handle.write(json.dumps(line) + "\n")


with DAG(
    "generate_e2e_bash",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    params={"who": "nobody"},
    # A loaded machine may fail a task's start before it runs (the executor reports it
    # failed while it is still queued); one quick retry keeps the test about the code.
    default_args={"retries": 1, "retry_delay": timedelta(seconds=2)},
) as bash_dag:
    hello = BashOperator(
        task_id="hello",
        bash_command='echo "starting in $PWD"; echo "run={{ run_id }} who={{ params.who }} task={{ task.task_id }}"',
    )
    check = PythonOperator(
        task_id="check",
        python_callable=record,
        op_args=[
            "generate_e2e_bash",
            "check",
            "{{ run_id }}",
            "{{ ti.xcom_pull(task_ids='hello') }}",
        ],
    )
    hello >> check


with DAG(
    "generate_e2e_taskflow",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    default_args={"retries": 1, "retry_delay": timedelta(seconds=2)},
) as taskflow_dag:

    @task()
    def extract() -> dict:
        return json.loads('{"1001": 301.27, "1002": 433.21, "1003": 502.22}')

    @task(multiple_outputs=True)
    def transform(order_data: dict) -> dict:
        return {"total_order_value": round(sum(order_data.values()), 2)}

    @task()
    def load(total_order_value: float) -> None:
        run_id = get_current_context()["run_id"]
        record("generate_e2e_taskflow", "load", run_id, f"{total_order_value:.2f}")

    order_summary = transform(extract())
    load(order_summary["total_order_value"])

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
