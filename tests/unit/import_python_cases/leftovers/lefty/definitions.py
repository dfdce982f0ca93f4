"""Everything import-python cannot translate as written, one per line it names."""

from dagster import AssetSpec, Definitions, asset
from dagster_airlift.core import (
    AirflowBasicAuthBackend,
    AirflowInstance,
    assets_with_multiple_task_mappings,
    assets_with_task_mappings,
    build_defs_from_airflow_instance,
)
from dagster_dbt import dbt_assets

from lefty.factories import load_table_asset


@dbt_assets(manifest="target/manifest.json")
def dbt_models(context, dbt):  # type: ignore[no-untyped-def]
    yield from dbt.cli(["build"], context=context).stream()


@asset
def local_asset() -> None:
    """Defined in the definitions module itself."""


def add_tags(context, defs_data, events):  # type: ignore[no-untyped-def]
    return events


defs = build_defs_from_airflow_instance(
    airflow_instance=AirflowInstance(
        auth_backend=AirflowBasicAuthBackend(
            webserver_url="http://localhost:8080", username="admin", password="admin"
        ),
        name="Legacy-Airflow",
    ),
    defs=Definitions(
        assets=[
            *assets_with_task_mappings(
                dag_id="legacy",
                task_mappings={
                    "dbt": [dbt_models],
                    "load": [load_table_asset(AssetSpec("loaded"))],
                    "split": [AssetSpec("raw/orders")],
                    "local": [local_asset],
                },
            ),
            *assets_with_multiple_task_mappings(
                assets=[AssetSpec("shared")],
                task_handles=[{"dag_id": "legacy", "task_id": "a"}],
            ),
            AssetSpec("orphan"),
        ],
    ),
    event_transformer_fn=add_tags,
    dag_selector_fn=lambda dag: len(dag.dag_id) > 3,
)
