"""Regional sales: fetch the orders, total them per region in parallel, combine the totals.

fetch_orders >> [aggregate_emea, aggregate_amer, aggregate_apac, aggregate_latam] >> combine
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from example_compat import DAG, PythonOperator
from example_work import REGIONS, aggregate_region, combine_regions, fetch_orders

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

with DAG(
    dag_id="regional_sales",
    description="Order totals per sales region, fanned out and joined",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "sales-ops", "retries": 1},
    tags=["example", "sales"],
) as dag:
    fetch = PythonOperator(task_id="fetch_orders", python_callable=fetch_orders)
    combine = PythonOperator(task_id="combine", python_callable=combine_regions)
    for region in REGIONS:
        aggregate = PythonOperator(
            task_id=f"aggregate_{region}",
            python_callable=aggregate_region,
            op_kwargs={"region": region},
        )
        fetch >> aggregate >> combine

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
