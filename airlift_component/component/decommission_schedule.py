"""The Dagster schedule that runs a decommissioned DAG's assets where Airflow ran the DAG.

It is built from the ``decommissioned:`` block ``airlift decommission`` wrote (see
:mod:`airlift_component.decommission`): the cron and timezone derived from Airflow's
schedule, and the first tick, Airflow's own next run when it was paused. A tick
before the first one is skipped (those intervals are Airflow's); from the first one
on, each tick requests one run of exactly the DAG's assets that Dagster computes
(the keys with ``code:``; the DAG asset and observed-only keys cannot run), keyed by the logical date
it stands for, so a tick evaluated twice launches one run. The run's tags carry the
logical date and data interval Airflow would have given it: the tick itself on a
trigger timetable, the interval since the previous tick on an interval timetable.

A DAG Airflow assets triggered gets an automation condition instead (the block's
``on_assets``): its assets with ``code:`` run when the Dagster assets standing for
those Airflow assets are updated, any of them (Airflow's ``a | b``, or one asset)
or all of them since the last run (``[a, b]``, ``a & b``), evaluated by a sensor
of their own, ``<instance>__<dag_id>__automation``.

Either way the DAG's own asset is materialized once per successful Dagster run of
those assets, by one sensor per instance (:mod:`.decommissioned_runs`), so the checks
on it (a declared freshness check among them) follow the DAG's runs in Dagster.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta, timezone
from functools import reduce

import dagster as dg

from airlift_component.component.asset_specs import InstanceIndex
from airlift_component.component.dagster_private import cron_string_iterator
from airlift_component.component.decommissioned_runs import decommissioned_runs_sensor
from airlift_component.config.airlift_yaml.model import Decommissioned, Instance
from airlift_component.decommission.names import automation_sensor_name, schedule_name
from airlift_component.decommission.yaml_block import DecommissionRecord
from airlift_component.mapping_tags import (
    DATA_INTERVAL_END_TAG,
    DATA_INTERVAL_START_TAG,
    LOGICAL_DATE_TAG,
    mapping_tags,
)

log = logging.getLogger("airlift_component")


def run_interval(record: DecommissionRecord, tick: datetime) -> tuple[datetime, datetime, datetime]:
    """The logical date and data interval (start, end) Airflow gives the run of ``tick``."""
    tick = tick.astimezone(timezone.utc)
    if record.logical_date != "interval_start":
        return tick, tick, tick
    cron, tz = _cron_of(record)
    before = cron_string_iterator(
        (tick - timedelta(seconds=1)).timestamp(), cron, tz, ascending=False
    )
    start = next(before).astimezone(timezone.utc)
    return start, start, tick


def _cron_of(record: DecommissionRecord) -> tuple[str, str]:
    if record.cron is None or record.timezone is None:
        raise ValueError("the decommissioned: block has no cron and timezone")
    return record.cron, record.timezone


def decommission_schedule(
    instance: str, dag_id: str, record: DecommissionRecord, keys: Sequence[dg.AssetKey]
) -> dg.ScheduleDefinition:
    """The schedule of DAG ``dag_id`` of ``instance`` over its asset ``keys``."""
    first_tick = datetime.fromisoformat(record.first_tick).astimezone(timezone.utc)
    cron, tz = _cron_of(record)

    def evaluate(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        tick = context.scheduled_execution_time
        if tick is None or tick.astimezone(timezone.utc) < first_tick:
            return dg.SkipReason(
                f"Airflow ran {dag_id} up to {first_tick.isoformat()}, its last interval "
                "before it was paused; this schedule runs from there on"
            )
        logical, start, end = run_interval(record, tick)
        return dg.RunRequest(
            run_key=f"{instance}.{dag_id}.{logical.isoformat()}",
            tags={
                **mapping_tags(instance, dag_id),
                LOGICAL_DATE_TAG: logical.isoformat(),
                DATA_INTERVAL_START_TAG: start.isoformat(),
                DATA_INTERVAL_END_TAG: end.isoformat(),
            },
        )

    return dg.ScheduleDefinition(
        name=schedule_name(instance, dag_id),
        cron_schedule=cron,
        execution_timezone=tz,
        target=dg.AssetSelection.assets(*keys),
        execution_fn=evaluate,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Runs the assets of Airflow DAG {dag_id} ({instance}) on the schedule it had "
            f"in Airflow ({record.cron}, {record.timezone}), decommissioned there by airlift."
        ),
    )


def record_of(block: Decommissioned) -> DecommissionRecord:
    """The block as loaded from airlift.yaml, as the record the command wrote."""
    return DecommissionRecord(
        block.cron,
        block.timezone,
        block.first_tick,
        block.logical_date,
        block.paused_by_airlift,
        tuple(block.on_assets) if block.on_assets is not None else None,
        block.on_assets_updated,
    )


def assets_condition(upstream: Sequence[dg.AssetKey], mode: str) -> dg.AutomationCondition:
    """True when ``any`` of the ``upstream`` assets was just updated, or when ``all`` of
    them were updated since the asset was last requested: Airflow's asset schedule."""
    updated = [
        dg.AutomationCondition.asset_matches(key, dg.AutomationCondition.newly_updated())
        for key in upstream
    ]
    if mode == "any":
        condition = reduce(operator.or_, updated)
    else:
        requested = dg.AutomationCondition.newly_requested()
        condition = reduce(operator.and_, [part.since(requested) for part in updated])
    names = ", ".join(key.to_user_string() for key in upstream)
    return condition.with_label(f"{mode} of {names} updated (Airflow's asset schedule)")


def _with_condition(
    asset: dg.AssetSpec | dg.AssetsDefinition,
    keys: set[dg.AssetKey],
    condition: dg.AutomationCondition,
) -> dg.AssetSpec | dg.AssetsDefinition:
    if isinstance(asset, dg.AssetSpec) or not keys & set(asset.keys):
        return asset
    return asset.map_asset_specs(
        lambda spec: (
            spec.replace_attributes(automation_condition=condition) if spec.key in keys else spec
        )
    )


def decommissioned_definitions(
    instance: Instance,
    index: InstanceIndex,
    runnable: Collection[dg.AssetKey],
    assets: list[dg.AssetSpec | dg.AssetsDefinition],
) -> tuple[
    list[dg.AssetSpec | dg.AssetsDefinition], list[dg.ScheduleDefinition], list[dg.SensorDefinition]
]:
    """What replaces Airflow's schedule of each decommissioned DAG of ``instance``: a
    schedule per cron block; per ``on_assets`` block, the condition on the DAG's
    ``runnable`` assets (``assets`` is returned with it set) and the sensor evaluating it."""
    schedules: list[dg.ScheduleDefinition] = []
    sensors: list[dg.SensorDefinition] = []
    moved: list[str] = []
    for mapping in instance.mappings:
        block = mapping.decommissioned
        entry = index.dags.get(mapping.dag)
        if block is None or entry is None:
            continue
        keys = [key for keys in entry.task_keys.values() for key in keys]
        keys = [key for key in [*entry.dag_level_keys, *keys] if key in runnable]
        if not keys:
            log.warning(
                "instance %r: DAG %r is decommissioned but none of its assets has code:, so "
                "its Dagster schedule would run nothing; point the assets' code: at the "
                "Dagster code that replaced its tasks",
                instance.name,
                mapping.dag,
            )
            continue
        record = record_of(block)
        moved.append(mapping.dag)
        if record.cron is not None:
            schedules.append(decommission_schedule(instance.name, mapping.dag, record, keys))
            continue
        upstream = [dg.AssetKey(key.split("/")) for key in record.on_assets or ()]
        condition = assets_condition(upstream, record.on_assets_updated or "any")
        targets = set(keys)
        assets = [_with_condition(asset, targets, condition) for asset in assets]
        sensors.append(
            dg.AutomationConditionSensorDefinition(
                automation_sensor_name(instance.name, mapping.dag),
                target=dg.AssetSelection.assets(*keys),
                default_status=dg.DefaultSensorStatus.RUNNING,
                run_tags=mapping_tags(instance.name, mapping.dag),
                description=f"Runs the assets of Airflow DAG {mapping.dag} "
                f"({instance.name}) when the assets it was scheduled on in Airflow are "
                "updated; decommissioned there by airlift.",
            )
        )
    if moved:
        # The DAG asset follows the DAG's Dagster runs (its checks, such as a declared
        # freshness check, would go stale for good otherwise).
        interval = instance.sensor.interval_seconds
        sensors.append(decommissioned_runs_sensor(instance.name, moved, interval))
    return assets, schedules, sensors
