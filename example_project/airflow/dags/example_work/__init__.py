"""The example's business logic: small, real work on local files, standard library only.

Both sides call these functions: the Airflow tasks in ``../*.py`` and, once a task
is migrated, the Dagster assets in ``example_project/dagster``. That is how a
real migration usually goes: the logic moves into a library, and only the thing
that schedules it changes. Every function reads and writes under
:func:`data_dir` and returns a small summary (row counts, paths) that the Dagster
side records as materialization metadata.

The package is listed in ``.airflowignore``: it holds no DAGs.
"""

from example_work.customers import (
    clean_customers,
    enrich_customers,
    extract_customers,
    load_customers,
)
from example_work.paths import data_dir
from example_work.report import build_daily_report, publish_daily_report
from example_work.sales import REGIONS, aggregate_region, combine_regions, fetch_orders

__all__ = [
    "REGIONS",
    "aggregate_region",
    "build_daily_report",
    "clean_customers",
    "combine_regions",
    "data_dir",
    "enrich_customers",
    "extract_customers",
    "fetch_orders",
    "load_customers",
    "publish_daily_report",
]
