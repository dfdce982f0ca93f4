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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import dagster as dg

from airlift_component.component.dagster_private import cron_string_iterator
from airlift_component.decommission.yaml_block import DecommissionRecord
from airlift_component.mapping_tags import (
    DATA_INTERVAL_END_TAG,
    DATA_INTERVAL_START_TAG,
    LOGICAL_DATE_TAG,
    mapping_tags,
)

_NOT_A_NAME_CHARACTER = re.compile(r"[^A-Za-z0-9_]")


def schedule_name(instance: str, dag_id: str) -> str:
    """``<instance>__<dag_id>__schedule``, with characters Dagster refuses in names as ``_``."""
    return _NOT_A_NAME_CHARACTER.sub("_", f"{instance}__{dag_id}__schedule")


def run_interval(record: DecommissionRecord, tick: datetime) -> tuple[datetime, datetime, datetime]:
    """The logical date and data interval (start, end) Airflow gives the run of ``tick``."""
    tick = tick.astimezone(timezone.utc)
    if record.logical_date != "interval_start":
        return tick, tick, tick
    before = cron_string_iterator(
        (tick - timedelta(seconds=1)).timestamp(), record.cron, record.timezone, ascending=False
    )
    start = next(before).astimezone(timezone.utc)
    return start, start, tick


def decommission_schedule(
    instance: str, dag_id: str, record: DecommissionRecord, keys: Sequence[dg.AssetKey]
) -> dg.ScheduleDefinition:
    """The schedule of DAG ``dag_id`` of ``instance`` over its asset ``keys``."""
    first_tick = datetime.fromisoformat(record.first_tick).astimezone(timezone.utc)

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
        cron_schedule=record.cron,
        execution_timezone=record.timezone,
        target=dg.AssetSelection.assets(*keys),
        execution_fn=evaluate,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Runs the assets of Airflow DAG {dag_id} ({instance}) on the schedule it had "
            f"in Airflow ({record.cron}, {record.timezone}), decommissioned there by airlift."
        ),
    )
