"""The daily report: a Markdown summary of the warehouse, published as ``latest.md``."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from typing import Any

from example_work.paths import data_dir, output


def _table_exists(connection: sqlite3.Connection, table: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return connection.execute(query, (table,)).fetchone() is not None


def build_daily_report(day: str | None = None) -> dict[str, Any]:
    """Write ``reports/<day>.md``: customers per region and revenue per region.

    Tables the other DAGs have not loaded yet are reported as missing, not as errors,
    so the DAGs can run in any order.
    """
    day = day or dt.date.today().isoformat()
    lines = [f"# Daily report {day}", ""]
    customers = 0
    with sqlite3.connect(output("warehouse.db")) as connection:
        lines.append("## Customers per region")
        if _table_exists(connection, "customers"):
            for region, count in connection.execute(
                "SELECT region, COUNT(*) FROM customers GROUP BY region ORDER BY region"
            ):
                lines.append(f"- {region}: {count}")
                customers += count
        else:
            lines.append("- (customers not loaded yet: run customers_etl)")
        lines += ["", "## Revenue per region"]
        if _table_exists(connection, "regional_sales"):
            for region, orders, revenue in connection.execute(
                "SELECT region, orders, revenue FROM regional_sales ORDER BY region"
            ):
                lines.append(f"- {region}: {revenue} from {orders} orders")
        else:
            lines.append("- (sales not loaded yet: run regional_sales)")
    connection.close()
    target = output(f"reports/{day}.md")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"customers": customers, "path": str(target)}


def publish_daily_report(day: str | None = None) -> dict[str, Any]:
    """Copy the day's report to ``reports/latest.md`` (atomically)."""
    day = day or dt.date.today().isoformat()
    source = data_dir() / "reports" / f"{day}.md"
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist: run build_report first")
    latest = output("reports/latest.md")
    tmp = latest.with_suffix(".tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, latest)
    return {"path": str(latest), "source": str(source)}
