"""E2E (test_decommission_e2e.py): DAGs whose schedule `airlift decommission` moves to Dagster.

All paused at creation (the shared Airflows unpause new DAGs): the test unpauses
the one it decommissions and pauses it again at its end, so the every-minute
schedule does not run all session.

- ``decommission_e2e_cron``: a cron in a timezone with DST, every minute (the test
  waits at most a minute for its next run);
- ``decommission_e2e_daily``: 02:30 in that timezone, whose UTC time moves with DST;
- ``decommission_e2e_consumer``: scheduled on an Airflow asset (dataset).
"""

from datetime import datetime

try:
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG, Asset
except ImportError:  # Airflow 2
    from airflow.datasets import Dataset as Asset  # type: ignore[no-redef]
    from airflow.models import DAG  # type: ignore[no-redef]
    from airflow.operators.empty import EmptyOperator  # type: ignore[no-redef]

try:
    import pendulum

    AMSTERDAM = pendulum.timezone("Europe/Amsterdam")
except ImportError:  # pragma: no cover - every Airflow ships pendulum
    AMSTERDAM = None

ORDERS = Asset("s3://airlift-e2e/decommission/orders.csv")
PAUSED = {"is_paused_upon_creation": True, "catchup": False}

with DAG(
    "decommission_e2e_cron",
    start_date=datetime(2024, 1, 1, tzinfo=AMSTERDAM),
    schedule="* * * * *",
    **PAUSED,
) as cron_dag:
    EmptyOperator(task_id="work")

with DAG(
    "decommission_e2e_daily",
    start_date=datetime(2024, 1, 1, tzinfo=AMSTERDAM),
    schedule="30 2 * * *",
    **PAUSED,
) as daily_dag:
    EmptyOperator(task_id="work")

with DAG(
    "decommission_e2e_consumer", start_date=datetime(2024, 1, 1), schedule=[ORDERS], **PAUSED
) as consumer:
    EmptyOperator(task_id="report")
