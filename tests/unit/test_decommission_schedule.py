"""A decommissioned DAG's Dagster schedule: first tick, one run per logical date, Airflow's dates."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import dagster as dg
import pendulum
from airflow.timetables.base import DataInterval, TimeRestriction
from airflow.timetables.interval import CronDataIntervalTimetable
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from airlift_component.component.decommission_schedule import (
    decommission_schedule,
    schedule_name,
)
from airlift_component.decommission.yaml_block import DecommissionRecord
from airlift_component.mapping_tags import (
    DATA_INTERVAL_END_TAG,
    DATA_INTERVAL_START_TAG,
    LOGICAL_DATE_TAG,
)
from tests.unit.test_decommission_cron import ZONES, _near_a_clock_change

KEYS = [dg.AssetKey(["lake", "raw_orders"]), dg.AssetKey(["lake", "orders"])]


@dg.multi_asset(specs=[dg.AssetSpec(key) for key in KEYS])
def orders_code() -> Iterator[dg.MaterializeResult]:
    """The DAG's tasks as Dagster code (what `code:` points at once proxied)."""
    for key in KEYS:
        yield dg.MaterializeResult(asset_key=key)


def _record(cron: str, tz: str, first_tick: datetime, semantics: str) -> DecommissionRecord:
    return DecommissionRecord(cron, tz, first_tick.isoformat(), semantics, True)


def _evaluate(schedule: dg.ScheduleDefinition, tick: datetime) -> list[object]:
    defs = dg.Definitions(assets=[orders_code], schedules=[schedule])
    context = dg.build_schedule_context(
        scheduled_execution_time=tick, repository_def=defs.get_repository_def()
    )
    data = schedule.evaluate_tick(context)
    return list(data.run_requests or []) + ([data.skip_message] if data.skip_message else [])


def test_a_tick_before_airflows_last_interval_ends_is_skipped() -> None:
    first = datetime(2026, 12, 8, 2, tzinfo=timezone.utc)
    schedule = decommission_schedule(
        "prod", "orders", _record("0 3 * * *", "Europe/Amsterdam", first, "tick"), KEYS
    )
    (skip,) = _evaluate(schedule, first - timedelta(days=1))
    assert isinstance(skip, str) and "runs from there on" in skip
    (request,) = _evaluate(schedule, first)
    assert isinstance(request, dg.RunRequest)
    assert request.tags[LOGICAL_DATE_TAG] == first.isoformat()
    assert request.run_key == f"prod.orders.{first.isoformat()}"
    assert schedule.name == schedule_name("prod", "orders") == "prod__orders__schedule"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


@settings(max_examples=60, deadline=None)
@given(
    cron=st.sampled_from(["0 3 * * *", "30 */6 * * *", "0 0 * * 1", "15 2 1 * *", "@hourly"]),
    tz=st.sampled_from(ZONES),
    offset=st.integers(min_value=0, max_value=365 * 24 * 60),
)
def test_an_interval_tick_gets_the_dates_airflows_interval_timetable_gives(
    cron: str, tz: str, offset: int
) -> None:
    timetable = CronDataIntervalTimetable(cron, timezone=pendulum.timezone(tz))
    at = pendulum.instance(datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=offset))
    info = timetable.next_dagrun_info(
        last_automated_data_interval=DataInterval(at, at),
        restriction=TimeRestriction(earliest=None, latest=None, catchup=True),
    )
    start, end = info.data_interval.start, info.data_interval.end
    assume(not _near_a_clock_change(tz, [start, end]))
    derived_cron = "0 * * * *" if cron == "@hourly" else cron
    record = _record(
        derived_cron, tz, datetime.fromtimestamp(end.timestamp(), timezone.utc), "interval_start"
    )
    (request,) = _evaluate(decommission_schedule("prod", "orders", record, KEYS), end)
    assert isinstance(request, dg.RunRequest)
    assert (
        datetime.fromisoformat(request.tags[LOGICAL_DATE_TAG]).timestamp()
        == info.logical_date.timestamp()
    )
    assert (
        datetime.fromisoformat(request.tags[DATA_INTERVAL_START_TAG]).timestamp()
        == start.timestamp()
    )
    assert (
        datetime.fromisoformat(request.tags[DATA_INTERVAL_END_TAG]).timestamp() == end.timestamp()
    )


@dg.asset(key=["lake", "unrelated"])
def unrelated() -> None:
    """An asset of another DAG, in the same code location."""


def test_the_schedule_targets_exactly_the_dags_assets() -> None:
    first = datetime(2026, 12, 8, 2, tzinfo=timezone.utc)
    schedule = decommission_schedule(
        "prod", "orders", _record("0 3 * * *", "UTC", first, "tick"), KEYS
    )
    defs = dg.Definitions(
        assets=[orders_code, dg.AssetSpec(["prod", "dag", "orders"]), unrelated],
        schedules=[schedule],
    )
    job = defs.get_repository_def().get_schedule_def(schedule.name).job_name
    selected = defs.get_repository_def().get_job(job).asset_layer.selected_asset_keys
    assert selected == set(KEYS)
