"""MWAA, and the load_airflow_dag_asset_specs style of building the definitions by hand."""

import boto3
from dagster import AssetSpec, Definitions
from dagster_airlift.core import (
    AirflowInstance,
    assets_with_dag_mappings,
    build_airflow_polling_sensor,
    load_airflow_dag_asset_specs,
)
from dagster_airlift.mwaa import MwaaSessionAuthBackend

instance = AirflowInstance(
    auth_backend=MwaaSessionAuthBackend(
        mwaa_client=boto3.client("mwaa", region_name="eu-west-1"),
        env_name="prod-airflow",
    ),
    name="mwaa_prod",
)

mapped = assets_with_dag_mappings(
    dag_mappings={
        "reports": [AssetSpec("report_pdf"), AssetSpec("report_html", deps=["report_pdf"])],
    }
)

defs = Definitions(
    assets=[
        *mapped,
        *load_airflow_dag_asset_specs(airflow_instance=instance, mapped_assets=mapped),
    ],
    sensors=[
        build_airflow_polling_sensor(
            mapped_assets=mapped, airflow_instance=instance, minimum_interval_seconds=120
        )
    ],
)
