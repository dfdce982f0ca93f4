"""Basic auth, task mappings of specs, an imported @asset and @multi_asset, a selector."""

import os

from dagster import AssetCheckResult, AssetKey, AssetSpec, Definitions, asset_check
from dagster_airlift.core import (
    AirflowBasicAuthBackend,
    AirflowInstance,
    assets_with_task_mappings,
    build_defs_from_airflow_instance,
)

from shop.assets import customers_clean, marts

AIRFLOW_URL = "https://airflow.shop.example.com"


@asset_check(asset=AssetKey(["mart", "orders"]))
def orders_not_empty() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


mapped = assets_with_task_mappings(
    dag_id="shop_daily",
    task_mappings={
        "load_customers": [
            AssetSpec(
                key=["raw", "customers"],
                group_name="raw",
                owners=["team:data"],
                kinds=["s3"],
                tags={"tier": "bronze"},
                metadata={"table": "raw.customers", "columns": 12},
            )
        ],
        "clean_customers": [customers_clean],
        "build_marts": [marts],
        "export": [
            AssetSpec(
                key="orders_csv",
                deps=[AssetKey(["mart", "orders"]), AssetKey(["mart", "revenue"])],
                description="Orders as CSV for finance.",
            )
        ],
    },
)

defs = build_defs_from_airflow_instance(
    airflow_instance=AirflowInstance(
        auth_backend=AirflowBasicAuthBackend(
            webserver_url=AIRFLOW_URL,
            username=os.environ["AIRFLOW_USER"],
            password="admin",
        ),
        name="shop",
    ),
    defs=Definitions(assets=mapped, asset_checks=[orders_not_empty]),
    sensor_minimum_interval_seconds=45,
    dag_selector_fn=lambda dag: dag.dag_id in ["shop_daily", "shop_hourly"],
)
