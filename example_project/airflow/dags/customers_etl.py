"""Customers ETL: extract the CRM export, clean and enrich it in a task group, load it.

    extract >> transform (clean >> enrich) >> load

The work itself lives in ``example_work.customers`` (standard library only), so the
Dagster side can run the same functions once a task is migrated.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from example_compat import DAG, PythonOperator, TaskGroup
from example_work import clean_customers, enrich_customers, extract_customers, load_customers

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

with DAG(
    dag_id="customers_etl",
    description="CRM export -> cleaned, enriched customers in the warehouse",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "data-eng", "retries": 1, "retry_delay": timedelta(seconds=10)},
    tags=["example", "customers"],
) as dag:
    extract = PythonOperator(task_id="extract", python_callable=extract_customers)
    with TaskGroup(group_id="transform") as transform:
        clean = PythonOperator(task_id="clean", python_callable=clean_customers)
        enrich = PythonOperator(task_id="enrich", python_callable=enrich_customers)
        clean >> enrich
    load = PythonOperator(task_id="load", python_callable=load_customers)
    extract >> transform >> load

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
