"""Dagster code for the multi-asset mapping e2e: the Dagster version of task
``build_models``, one ``@multi_asset`` computing three keys (a small dbt project's
shape: a staging model and two marts built on it). Importable as
``multi_asset_e2e_assets`` with this folder on ``PYTHONPATH``.
"""

import dagster as dg

STAGING = dg.AssetKey(["models", "stg_customers"])
CUSTOMERS = dg.AssetKey(["models", "customers"])
ORDERS = dg.AssetKey(["models", "orders"])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(STAGING, deps=[["raw", "customers"]], group_name="staging"),
        dg.AssetSpec(CUSTOMERS, deps=[STAGING], group_name="marts"),
        dg.AssetSpec(ORDERS, deps=[STAGING], group_name="marts"),
    ]
)
def models(context: dg.AssetExecutionContext):
    for key in (STAGING, CUSTOMERS, ORDERS):
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={"airflow_task": context.run.tags.get("airlift/airflow_task_id", "")},
        )
