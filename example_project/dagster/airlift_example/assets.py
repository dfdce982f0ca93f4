"""Dagster assets for the migrated tasks, referenced by ``code:`` in ``airlift.yaml``.

Each asset has the key ``airlift.yaml`` maps to its Airflow task and calls the same
function the task ran, so downstream tasks still in Airflow read the same files.
Once a task is proxied (``airlift proxy on customers_etl transform.clean``), its
Airflow task launches a Dagster run of exactly these assets and waits for it.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

# example_work is importable: this package's __init__ put the DAGs folder on sys.path.
from example_work import build_daily_report, clean_customers, enrich_customers, load_customers


def _metadata(summary: dict[str, Any]) -> dict[str, Any]:
    """Row counts and paths as materialization metadata (paths rendered as paths)."""
    return {
        name: dg.MetadataValue.path(value) if name == "path" else value
        for name, value in summary.items()
    }


@dg.asset(
    key=["staging", "customers_clean"],
    deps=[dg.AssetKey(["raw", "customers"])],
    group_name="customers",
    owners=["team:data-eng"],
    kinds={"python", "csv"},
    description="Customers with valid, normalized emails and unique ids.",
)
def customers_clean() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_metadata(clean_customers()))


@dg.asset(
    key=["staging", "customers_enriched"],
    deps=[dg.AssetKey(["staging", "customers_clean"])],
    group_name="customers",
    owners=["team:data-eng"],
    kinds={"python", "csv"},
    description="Cleaned customers with their sales region and signup cohort.",
)
def customers_enriched() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_metadata(enrich_customers()))


@dg.asset(
    key=["warehouse", "customers"],
    deps=[dg.AssetKey(["staging", "customers_enriched"])],
    group_name="customers",
    owners=["team:data-eng"],
    kinds={"sqlite"},
    description="The customers table of warehouse.db.",
)
def warehouse_customers() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_metadata(load_customers()))


@dg.asset(
    key=["reports", "daily_report"],
    deps=[dg.AssetKey(["warehouse", "customers"]), dg.AssetKey(["warehouse", "regional_sales"])],
    group_name="reporting",
    owners=["team:analytics"],
    kinds={"markdown"},
    description="Customers and revenue per region for the day.",
)
def daily_report() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_metadata(build_daily_report()))
