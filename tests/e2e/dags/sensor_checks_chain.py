"""raw_customers -> customers: the sensor-checks e2e test maps both. Task-id order
puts ``customers`` first; the sensor must store ``raw_customers`` first."""

from datetime import datetime, timedelta

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]


def _step(name: str) -> str:
    print(f"sensor_checks_chain: {name}")
    return name


with DAG(
    dag_id="sensor_checks_chain",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    max_active_runs=4,
    tags=["sensor_checks_e2e"],
    description="Observed by the sensor-checks e2e test.",
    # A loaded test machine's Airflow 3 task runner may not reach the API server in
    # time; a retry is a new try of the same run, which the test counts per run.
    default_args={"retries": 2, "retry_delay": timedelta(seconds=2)},
):
    raw_customers = PythonOperator(
        task_id="raw_customers", python_callable=_step, op_args=["raw_customers"]
    )
    customers = PythonOperator(task_id="customers", python_callable=_step, op_args=["customers"])
    raw_customers >> customers
