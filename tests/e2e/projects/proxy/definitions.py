"""Dagster code for the proxy end-to-end tests: executable assets for proxied tasks.

Stands in for what the airlift component emits: assets tagged with
``airlift/task`` / ``airlift/dag``, and each DAG's asset ``[instance, "dag", dag_id]``
depending on the DAG's leaf assets. ``proxy_fallback_dag`` has no DAG asset, so
the Airflow side must find its asset by tag. Assets write files under
``$PROXY_E2E_OUT`` so tests can see real work was done.
"""

import json
import os
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    Definitions,
    MaterializeResult,
    asset,
    in_process_executor,
)

INSTANCE = os.environ.get("PROXY_E2E_INSTANCE", "e2e")


def _out(context: AssetExecutionContext, name: str) -> None:
    out = Path(os.environ["PROXY_E2E_OUT"])
    out.mkdir(parents=True, exist_ok=True)
    tags = context.run.tags
    record = {
        "asset": name,
        "run_id": context.run_id,
        "airflow_run_id": tags.get("airlift/airflow_run_id"),
        "airflow_task_id": tags.get("airlift/airflow_task_id"),
        "airflow_try_number": tags.get("airlift/airflow_try_number"),
        "partition": tags.get("dagster/partition"),
    }
    with (out / f"{name}.jsonl").open("a") as handle:
        handle.write(json.dumps(record) + "\n")


def _tags(dag_id: str, task_id: str | None = None) -> dict[str, str]:
    tags = {"airlift/dag": f"{INSTANCE}.{dag_id}"}
    if task_id:
        tags["airlift/task"] = f"{INSTANCE}.{dag_id}.{task_id}"
    return tags


@asset(key=["proxy", "loaded"], tags=_tags("proxy_task_dag", "load"))
def loaded(context: AssetExecutionContext) -> None:
    _out(context, "loaded")


@asset(key=["proxy", "exploded"], tags=_tags("proxy_fail_dag", "explode"))
def exploded(context: AssetExecutionContext) -> None:
    raise RuntimeError("boom: this asset fails on purpose")


@asset(key=["proxy", "whole_a"], tags=_tags("proxy_whole_dag", "first"))
def whole_a(context: AssetExecutionContext) -> None:
    _out(context, "whole_a")


@asset(key=["proxy", "whole_b"], deps=[whole_a], tags=_tags("proxy_whole_dag", "second"))
def whole_b(context: AssetExecutionContext) -> None:
    _out(context, "whole_b")


@asset(key=["proxy", "by_tag"], tags=_tags("proxy_fallback_dag", "work"))
def by_tag(context: AssetExecutionContext) -> None:
    _out(context, "by_tag")


@asset(key=["proxy", "cleared"], tags=_tags("proxy_clear_dag", "load"))
def cleared(context: AssetExecutionContext) -> None:
    _out(context, "cleared")


@asset(key=["proxy", "policy_loaded"], tags=_tags("proxy_policy_dag", "load"))
def policy_loaded(context: AssetExecutionContext) -> None:
    _out(context, "policy_loaded")


@asset(key=["proxy", "custom_loaded"], tags=_tags("proxy_custom_dag", "load"))
def custom_loaded(context: AssetExecutionContext) -> None:
    _out(context, "custom_loaded")


@asset(key=["proxy", "link_loaded"], tags=_tags("proxy_link_dag", "load"))
def link_loaded(context: AssetExecutionContext) -> None:
    _out(context, "link_loaded")


@asset(key=["proxy", "link_whole"], tags=_tags("proxy_link_whole_dag", "work"))
def link_whole(context: AssetExecutionContext) -> None:
    _out(context, "link_whole")


@asset(key=["proxy", "order_summary"], tags=_tags("proxy_taskflow_dag", "transform"))
def order_summary(context: AssetExecutionContext) -> MaterializeResult:
    """The TaskFlow tutorial's ``transform``, rewritten in Dagster: it hands the total
    back to Airflow, where ``load`` reads ``summary["total_order_value"]``."""
    _out(context, "order_summary")
    orders = {"1001": 301.27, "1002": 433.21, "1003": 502.22}
    total = round(sum(orders.values()), 2)
    return MaterializeResult(
        metadata={"airlift/xcom_return_value": {"total_order_value": total}, "orders": 3}
    )


@asset(key=["proxy", "handback_first"])
def handback_first(context: AssetExecutionContext) -> MaterializeResult:
    """Hands back the id of the run that materialized it (no Airflow task: the
    hand-back test reads run groups of its own)."""
    return MaterializeResult(metadata={"airlift/xcom_return_value": context.run_id})


@asset(key=["proxy", "handback_then"], deps=[handback_first])
def handback_then(context: AssetExecutionContext) -> None:
    """Fails while ``$PROXY_E2E_OUT/handback_then_fails`` exists (a run to retry)."""
    if (Path(os.environ["PROXY_E2E_OUT"]) / "handback_then_fails").exists():
        raise RuntimeError("handback_then fails on purpose")


def _dag_asset(dag_id: str, leaves: list) -> AssetSpec:
    """The DAG's asset, depending on its leaf mapped assets, as the component builds it."""
    return AssetSpec(
        key=[INSTANCE, "dag", dag_id],
        deps=leaves,
        kinds={"airflow"},
        tags=_tags(dag_id),
        metadata={"airlift/dag_id": dag_id},
    )


# Runs execute in their run worker: these tests are about the proxy, not the executor
# (a step process costs 5-8 s on the CI machine).
defs = Definitions(
    executor=in_process_executor,
    assets=[
        loaded,
        exploded,
        whole_a,
        whole_b,
        by_tag,
        policy_loaded,
        cleared,
        custom_loaded,
        link_loaded,
        link_whole,
        order_summary,
        handback_first,
        handback_then,
        _dag_asset("proxy_task_dag", [loaded]),
        _dag_asset("proxy_fail_dag", [exploded]),
        _dag_asset("proxy_whole_dag", [whole_b]),
        _dag_asset("proxy_policy_dag", [policy_loaded]),
        _dag_asset("proxy_clear_dag", [cleared]),
        _dag_asset("proxy_custom_dag", [custom_loaded]),
        _dag_asset("proxy_link_dag", [link_loaded]),
        _dag_asset("proxy_link_whole_dag", [link_whole]),
        _dag_asset("proxy_taskflow_dag", [order_summary]),
    ],
)
