"""Dagster code for the decommission e2e: the Dagster versions of the decommissioned
DAGs' tasks. Importable as ``decommission_e2e_assets`` with this folder on
``PYTHONPATH``. Each asset records the run's logical-date tags as metadata."""

import dagster as dg

TAGS = ("airlift/logical_date", "airlift/data_interval_start", "airlift/data_interval_end")


def _tags(context: dg.AssetExecutionContext) -> dict[str, str]:
    return {tag: context.run.tags.get(tag, "") for tag in TAGS}


@dg.asset(key=["decommission_e2e", "cron_out"])
def cron_out(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_tags(context))


@dg.asset(key=["decommission_e2e", "report"])
def report(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_tags(context))


@dg.asset(key=["decommission_e2e", "daily_out"])
def daily_out(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata=_tags(context))
