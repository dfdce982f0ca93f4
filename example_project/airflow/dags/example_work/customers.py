"""Customers ETL: extract the CRM export, clean it, enrich it, load it into SQLite."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from example_work.paths import SEED_DIR, data_dir, output, read_rows, write_rows

FIELDS = ["customer_id", "name", "email", "country", "signed_up"]
ENRICHED_FIELDS = [*FIELDS, "region", "cohort"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")

#: Country code to sales region; the regional_sales DAG uses the same regions.
COUNTRY_REGION = {
    "GB": "emea", "DE": "emea", "FR": "emea", "NL": "emea",
    "US": "amer", "CA": "amer",
    "BR": "latam", "MX": "latam",
    "JP": "apac", "IN": "apac", "AU": "apac", "SG": "apac",
}  # fmt: skip


def extract_customers() -> dict[str, Any]:
    """Copy the CRM export (the seed CSV) into ``raw/customers.csv``."""
    rows = read_rows(SEED_DIR / "customers.csv")
    target = output("raw/customers.csv")
    count = write_rows(target, FIELDS, rows)
    return {"rows": count, "path": str(target)}


def clean_customers() -> dict[str, Any]:
    """Trim and lower-case emails, drop invalid ones and duplicate ids (first wins)."""
    seen: set[str] = set()
    kept: list[dict[str, str]] = []
    dropped = 0
    for row in read_rows(data_dir() / "raw/customers.csv"):
        email = row["email"].strip().lower()
        if not _EMAIL.match(email) or row["customer_id"] in seen:
            dropped += 1
            continue
        seen.add(row["customer_id"])
        kept.append({**row, "email": email, "name": row["name"].strip()})
    target = output("staging/customers_clean.csv")
    write_rows(target, FIELDS, kept)
    return {"rows": len(kept), "dropped": dropped, "path": str(target)}


def enrich_customers() -> dict[str, Any]:
    """Add the sales region (from the country) and the signup cohort (year-month)."""
    rows = [
        {
            **row,
            "region": COUNTRY_REGION.get(row["country"], "other"),
            "cohort": row["signed_up"][:7],
        }
        for row in read_rows(data_dir() / "staging/customers_clean.csv")
    ]
    target = output("staging/customers_enriched.csv")
    count = write_rows(target, ENRICHED_FIELDS, rows)
    return {"rows": count, "path": str(target)}


def load_customers() -> dict[str, Any]:
    """Replace the ``customers`` table of ``warehouse.db`` with the enriched rows."""
    rows = read_rows(data_dir() / "staging/customers_enriched.csv")
    database = output("warehouse.db")
    with sqlite3.connect(database) as connection:
        connection.execute("DROP TABLE IF EXISTS customers")
        connection.execute(
            "CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name TEXT, email TEXT,"
            " country TEXT, signed_up TEXT, region TEXT, cohort TEXT)"
        )
        connection.executemany(
            "INSERT INTO customers VALUES (:customer_id, :name, :email, :country, :signed_up,"
            " :region, :cohort)",
            rows,
        )
    connection.close()
    return {"rows": len(rows), "table": "customers", "path": str(database)}
