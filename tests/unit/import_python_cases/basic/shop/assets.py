"""Assets already migrated to Dagster code: only Dagster is imported here."""

import dagster as dg


@dg.asset(key=["staging", "customers_clean"], deps=[dg.AssetKey(["raw", "customers"])])
def customers_clean() -> None:
    """Clean the raw customers."""


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["mart", "orders"], deps=[["staging", "customers_clean"]]),
        dg.AssetSpec(["mart", "revenue"], deps=[["mart", "orders"]]),
    ]
)
def marts():  # type: ignore[no-untyped-def]  # Dagster wants no annotation here
    """Build both marts in one step."""
