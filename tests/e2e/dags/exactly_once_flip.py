"""gate -> work, proxiable: the flip e2e test flips ``work`` while ``gate`` runs.

``gate`` waits (inside Airflow, like any long task) until the test creates
``../exactly_once_gates/<run_id>`` next to the DAG folder, so the test decides
when the run goes on, after its flip has been parsed.
"""

import time
from datetime import datetime
from pathlib import Path

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow.models import DAG  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]

GATES = Path(__file__).resolve().parent.parent / "exactly_once_gates"


def _gate(this_run: str) -> str:
    deadline = time.monotonic() + 600
    while not (GATES / this_run).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gate {this_run} was never opened")
        time.sleep(0.2)
    return this_run


def _work() -> str:
    return "worked in Airflow"


with DAG("exactly_once_flip", start_date=datetime(2024, 1, 1), schedule=None, catchup=False) as dag:
    gate = PythonOperator(task_id="gate", python_callable=_gate, op_args=["{{ run_id }}"])
    work = PythonOperator(task_id="work", python_callable=_work)
    gate >> work

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
