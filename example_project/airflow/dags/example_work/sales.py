"""Regional sales: fetch the day's orders, total them per region, combine the totals."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Any

from example_work.customers import COUNTRY_REGION
from example_work.paths import SEED_DIR, data_dir, output, read_rows, write_rows

REGIONS = ("emea", "amer", "apac", "latam")
ORDER_FIELDS = ["order_id", "customer_id", "country", "amount", "ordered_on"]
TOTAL_FIELDS = ["region", "orders", "revenue", "largest_order"]


def fetch_orders() -> dict[str, Any]:
    """Copy the order export (the seed CSV) into ``raw/orders.csv``."""
    rows = read_rows(SEED_DIR / "orders.csv")
    target = output("raw/orders.csv")
    count = write_rows(target, ORDER_FIELDS, rows)
    return {"rows": count, "path": str(target)}


def aggregate_region(region: str) -> dict[str, Any]:
    """Total one region's orders into ``sales/<region>.csv`` (exact decimal sums)."""
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; expected one of {', '.join(REGIONS)}")
    amounts = [
        Decimal(row["amount"])
        for row in read_rows(data_dir() / "raw/orders.csv")
        if COUNTRY_REGION.get(row["country"]) == region
    ]
    total = {
        "region": region,
        "orders": len(amounts),
        "revenue": str(sum(amounts, Decimal("0"))),
        "largest_order": str(max(amounts, default=Decimal("0"))),
    }
    target = output(f"sales/{region}.csv")
    write_rows(target, TOTAL_FIELDS, [total])
    return {"orders": total["orders"], "revenue": total["revenue"], "path": str(target)}


def combine_regions() -> dict[str, Any]:
    """Replace the ``regional_sales`` table of ``warehouse.db`` with every region's total."""
    totals = [row for region in REGIONS for row in read_rows(data_dir() / f"sales/{region}.csv")]
    database = output("warehouse.db")
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TABLE IF EXISTS regional_sales")
        connection.execute(
            "CREATE TABLE regional_sales (region TEXT PRIMARY KEY, orders INTEGER,"
            " revenue TEXT, largest_order TEXT)"
        )
        connection.executemany(
            "INSERT INTO regional_sales VALUES (:region, :orders, :revenue, :largest_order)",
            totals,
        )
    connection.close()
    revenue = sum((Decimal(row["revenue"]) for row in totals), Decimal("0"))
    return {"regions": len(totals), "revenue": str(revenue), "path": str(database)}
