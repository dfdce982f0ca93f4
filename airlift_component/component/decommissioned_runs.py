"""A decommissioned DAG's own asset, materialized by its runs in Dagster.

While Airflow runs a DAG, its asset ``[<instance>, "dag", <dag_id>]`` is
materialized by the airlift sensor once per successful DAG run. Once ``airlift
decommission`` moved the schedule to Dagster, Airflow no longer runs it, so that
asset would never be updated again, and a freshness check declared on it (or any
check of "the DAG ran") would go stale for good. The sensor
``airlift_<instance>_decommissioned_dags`` keeps the asset's meaning: it records one
materialization of the DAG asset for each **successful** Dagster run of the DAG's
schedule or automation condition (the runs tagged with the DAG's ``airlift/instance``
and ``airlift/dag`` tags), with the run id (and the logical date it stood for) in
the metadata, and requests a run of the checks on the DAG asset after it, as the
airlift sensor does after a recorded Airflow run. A failed Dagster run records
nothing, as a failed Airflow run does.

Once per run: the cursor remembers the runs it recorded among those updated in the
last :data:`OVERLAP` before its mark (the latest update it has seen), and each tick
reads the successful runs updated since the mark minus that overlap, oldest update
first. The checks' run key is derived from the Dagster run id. The Dagster daemon
stores a tick's events before its cursor, so a crash between the two records those
events again on the next tick (limit 10 of docs/exactly-once.md), and the checks run
once (their run key).
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from datetime import datetime, timezone

import dagster as dg

from airlift_component.component.check_requests import (
    CHECKS_DAG_TAG,
    CHECKS_INSTANCE_TAG,
    CheckTargets,
)
from airlift_component.mapping_tags import (
    DAG_TAG,
    INSTANCE_TAG,
    LOGICAL_DATE_TAG,
    dag_asset_key,
    dag_tag_value,
)

#: Runs updated this long before the mark are read again (late commits of run storage).
OVERLAP = 600.0
#: How far back the first tick looks.
FIRST_LOOKBACK = 24 * 3600.0
#: Successful runs read per tick at most (the rest on the next ticks).
RUNS_PER_TICK = 200
#: Metadata of the materialization: the Dagster run that did the DAG's work.
DAGSTER_RUN_METADATA = "airlift/dagster_run_id"
#: Tag of the checks' run: the Dagster run whose success it follows.
CHECKS_DAGSTER_RUN_TAG = "airlift/checks_for_dagster_run_id"


def sensor_name(instance: str) -> str:
    """``airlift_<instance>_decommissioned_dags``."""
    return f"airlift_{instance}_decommissioned_dags"


def _read(cursor: str | None, now: float) -> tuple[float, dict[str, float]]:
    try:
        data = json.loads(cursor) if cursor else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    mark = data.get("mark")
    handled = data.get("handled")
    return (
        float(mark) if isinstance(mark, int | float) else now - FIRST_LOOKBACK,
        {str(k): float(v) for k, v in handled.items() if isinstance(v, int | float)}
        if isinstance(handled, dict)
        else {},
    )


def decommissioned_runs_sensor(
    instance: str, dags: Collection[str], interval_seconds: int = 30
) -> dg.SensorDefinition:
    """The sensor recording the DAG asset of each of ``dags`` (the decommissioned DAG
    ids of ``instance``) when one of its Dagster runs succeeds (module docstring), every
    ``interval_seconds`` (the instance's ``sensor.interval_seconds``)."""
    by_tag = {dag_tag_value(instance, dag_id): dag_id for dag_id in dags}
    keys = {dag_id: dg.AssetKey(list(dag_asset_key(instance, dag_id))) for dag_id in dags}

    @dg.sensor(
        name=sensor_name(instance),
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        asset_selection=dg.AssetSelection.checks_for_assets(*keys.values()),
        description=f"Materializes the DAG asset of each decommissioned DAG of airlift "
        f"instance {instance!r} once per successful Dagster run of its schedule or "
        "automation condition, and runs the checks on it.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        mark, handled = _read(context.cursor, time.time())
        records = context.instance.get_run_records(
            filters=dg.RunsFilter(
                tags={INSTANCE_TAG: instance, DAG_TAG: sorted(by_tag)},
                statuses=[dg.DagsterRunStatus.SUCCESS],
                updated_after=_utc(mark - OVERLAP),
            ),
            limit=RUNS_PER_TICK,
            order_by="update_timestamp",
            ascending=True,
        )
        targets = CheckTargets(context.repository_def) if context.repository_def else None
        events: list[dg.AssetMaterialization] = []
        requests: list[dg.RunRequest] = []
        for record in records:
            run = record.dagster_run
            updated = record.update_timestamp.timestamp()
            mark = max(mark, updated)
            dag_id = by_tag.get(run.tags.get(DAG_TAG, ""))
            if dag_id is None or run.run_id in handled:
                continue
            handled[run.run_id] = updated
            events.append(_materialization(run, keys[dag_id]))
            checks = targets.for_assets([keys[dag_id]]) if targets is not None else []
            if checks:
                requests.append(_checks_request(instance, dag_id, run, checks))
        handled = {k: v for k, v in handled.items() if v >= mark - OVERLAP}
        cursor = json.dumps({"mark": mark, "handled": handled}, sort_keys=True)
        if not events:
            context.update_cursor(cursor)
            return dg.SkipReason(
                "no decommissioned DAG's Dagster run succeeded since the last tick"
            )
        context.log.info(
            "recorded %d successful Dagster run(s) of decommissioned DAGs as their DAG asset",
            len(events),
        )
        return dg.SensorResult(asset_events=events, run_requests=requests, cursor=cursor)

    return _sensor


def _materialization(run: dg.DagsterRun, key: dg.AssetKey) -> dg.AssetMaterialization:
    """The DAG asset's materialization for a successful Dagster run of the DAG."""
    metadata = {DAGSTER_RUN_METADATA: run.run_id}
    if LOGICAL_DATE_TAG in run.tags:
        metadata[LOGICAL_DATE_TAG] = run.tags[LOGICAL_DATE_TAG]
    return dg.AssetMaterialization(asset_key=key, metadata=metadata)


def _checks_request(
    instance: str, dag_id: str, run: dg.DagsterRun, checks: list[dg.AssetCheckKey]
) -> dg.RunRequest:
    """One run of the checks on the DAG asset, keyed by the Dagster run it records."""
    return dg.RunRequest(
        run_key=f"airlift-checks:{instance}:dagster-run:{run.run_id}",
        asset_selection=[],
        asset_check_keys=checks,
        tags={
            CHECKS_INSTANCE_TAG: instance,
            CHECKS_DAG_TAG: dag_id,
            CHECKS_DAGSTER_RUN_TAG: run.run_id,
        },
    )


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)
