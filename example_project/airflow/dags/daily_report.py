"""Daily report: summarize the warehouse, check the report, publish it as latest.md.

    build_report >> check_report >> publish

``check_report`` is a BashOperator on purpose: the example shows that proxying
works the same for any operator.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from example_compat import DAG, BashOperator, PythonOperator
from example_work import build_daily_report, data_dir, publish_daily_report

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

REPORTS = data_dir() / "reports"

with DAG(
    dag_id="daily_report",
    description="Customers and revenue per region, as a Markdown report",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "analytics", "retries": 1},
    tags=["example", "reporting"],
) as dag:
    build_report = PythonOperator(task_id="build_report", python_callable=build_daily_report)
    check_report = BashOperator(
        task_id="check_report",
        bash_command=(
            f'report="{REPORTS}/$(date -u +%F).md"; '
            'grep -q "^# Daily report" "$report" && wc -l < "$report"'
        ),
    )
    publish = PythonOperator(task_id="publish", python_callable=publish_daily_report)
    build_report >> check_report >> publish

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
