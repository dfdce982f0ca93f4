"""Dagster code for ``assets_e2e_producer.extract`` once proxied (``code:`` in the
airlift.yaml of ``test_airflow_assets_e2e.py``), one asset per Airflow instance.

Importable as ``assets_e2e_code`` with this folder on ``PYTHONPATH``.
"""

from dagster import AssetExecutionContext, asset


@asset(key=["assets_af2", "orders_table"])
def orders_table_af2(context: AssetExecutionContext) -> None:
    context.log.info("orders loaded for %s", context.run.tags.get("airlift/airflow_run_id"))


@asset(key=["assets_af3", "orders_table"])
def orders_table_af3(context: AssetExecutionContext) -> None:
    context.log.info("orders loaded for %s", context.run.tags.get("airlift/airflow_run_id"))
