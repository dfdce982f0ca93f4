"""E2E (test_airflow_assets_e2e.py): a producer DAG whose tasks have outlet assets
(Airflow 3 Assets, Airflow 2 Datasets) and a consumer DAG scheduled on one of them.

``extract`` can be proxied to Dagster (``proxied_state/assets_e2e_producer.yaml``,
through the ``dagster_assets_e2e`` Connection);
the proxy keeps its outlets, so Airflow still records the asset event and the
consumer still runs after a proxied producer run.
"""

from datetime import datetime
from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import (
    DefaultProxyTaskToDagsterOperator,
    load_proxied_state_from_yaml,
    proxying_to_dagster,
)

try:
    from airflow.sdk import DAG, Asset
except ImportError:  # Airflow 2
    from airflow.datasets import Dataset as Asset
    from airflow.models import DAG

ORDERS = Asset("s3://airlift-e2e/raw/orders.parquet")
SUMMARY = Asset("s3://airlift-e2e/summary.csv")

with manual_dag("assets_e2e_producer") as producer:
    extract = recording_task(producer.dag_id, "extract", outlets=[ORDERS])
    publish = recording_task(producer.dag_id, "publish", outlets=[SUMMARY])
    extract >> publish

with DAG(
    "assets_e2e_consumer", start_date=datetime(2024, 1, 1), schedule=[ORDERS], catchup=False
) as consumer:
    recording_task(consumer.dag_id, "report")


class AssetsE2EProxyTaskToDagsterOperator(DefaultProxyTaskToDagsterOperator):
    """Its own Connection, so the shared Airflow's ``dagster_default`` stays the
    proxy tests' (the class name keeps the suffix the sensor knows proxies by)."""

    dagster_conn_id = "dagster_assets_e2e"


proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
    dagster_operator_klass=AssetsE2EProxyTaskToDagsterOperator,
)
