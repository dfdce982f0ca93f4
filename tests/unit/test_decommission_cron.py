"""The Dagster cron that replaces a DAG's schedule ticks when Airflow's own timetable would.

Airflow's timetables (installed in the test environment, never in the product's
Dagster side) and Dagster's cron iterator are both run on generated schedules,
timezones and instants; the derived cron must give the same tick instants.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pendulum
import pytest
from airflow.timetables.base import DataInterval, TimeRestriction
from airflow.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable
from airflow.timetables.trigger import CronTriggerTimetable
from dagster._utils.schedules import cron_string_iterator
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from airlift_component.decommission.airflow_schedule import parse_schedule
from airlift_component.decommission.cron import CannotReplaceSchedule, replacement_cron

ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
YEAR_START = datetime(2026, 1, 1, tzinfo=timezone.utc)
RESTRICTION = TimeRestriction(earliest=None, latest=None, catchup=True)


def _airflow_ticks(timetable: object, after: datetime, count: int) -> list[datetime]:
    at = pendulum.instance(after)
    info = timetable.next_dagrun_info(  # type: ignore[attr-defined]
        last_automated_data_interval=DataInterval(at, at), restriction=RESTRICTION
    )
    ticks = []
    for _ in range(count):
        ticks.append(datetime.fromtimestamp(info.run_after.timestamp(), timezone.utc))
        info = timetable.next_dagrun_info(  # type: ignore[attr-defined]
            last_automated_data_interval=info.data_interval, restriction=RESTRICTION
        )
    return ticks


def _dagster_ticks(cron: str, tz: str, after: datetime, count: int) -> list[datetime]:
    ticks = cron_string_iterator(after.timestamp(), cron, tz)
    return [next(ticks).astimezone(timezone.utc) for _ in range(count)]


def _near_a_clock_change(tz: str, instants: list[datetime]) -> bool:
    zone = ZoneInfo(tz)
    window = timedelta(hours=3)
    return any(
        (at - window).astimezone(zone).utcoffset() != (at + window).astimezone(zone).utcoffset()
        for at in instants
    )


def _clock_changes_between(tz: str, start: datetime, end: datetime) -> bool:
    zone = ZoneInfo(tz)
    return start.astimezone(zone).utcoffset() != end.astimezone(zone).utcoffset()


def _v2_record(summary: str | None, tz: str, **next_run: str) -> dict[str, object]:
    return {
        "dag_id": "orders",
        "timetable_summary": summary,
        "timezone": tz,
        "catchup": False,
        "start_date": "2026-01-01T00:00:00+00:00",
        "asset_expression": None,
        "next_dagrun_run_after": next_run.get("run_after", "2026-06-01T00:00:00Z"),
        "next_dagrun_logical_date": next_run.get("logical", "2026-06-01T00:00:00Z"),
        "next_dagrun_data_interval_start": next_run.get("start", "2026-06-01T00:00:00Z"),
        "next_dagrun_data_interval_end": next_run.get("end", "2026-06-01T00:00:00Z"),
    }


cron_fields = st.tuples(
    st.sampled_from(["0", "5", "30", "*/15", "10-59/20"]),
    st.sampled_from(["*", "0", "3", "2", "14", "*/6", "1-23/2"]),
    st.sampled_from(["*", "1", "15"]),
    st.sampled_from(["*", "*/3"]),
    st.sampled_from(["*", "0", "1-5", "6"]),
).map(" ".join)


@settings(max_examples=150, deadline=None)
@given(
    cron=st.one_of(
        cron_fields,
        st.sampled_from(
            sorted(
                set(
                    _p
                    for _p in ("@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly")
                )
            )
        ),
    ),
    tz=st.sampled_from(ZONES),
    offset=st.integers(min_value=0, max_value=365 * 24 * 60),
)
def test_a_cron_schedule_ticks_where_airflows_own_timetable_does(
    cron: str, tz: str, offset: int
) -> None:
    after = YEAR_START + timedelta(minutes=offset, seconds=17)
    airflow = _airflow_ticks(CronTriggerTimetable(cron, timezone=pendulum.timezone(tz)), after, 4)
    # Clock changes are pinned separately below: there Dagster's cron iterator and
    # Airflow's timetable disagree, which the decommission command must say.
    assume(not _near_a_clock_change(tz, [after, *airflow]))
    assume(not _clock_changes_between(tz, after, airflow[-1]))
    derived = replacement_cron(
        parse_schedule(_v2_record(cron, tz, run_after=airflow[0].isoformat()), "v2")
    )
    assert derived.timezone == tz
    assert derived.first_tick == airflow[0]
    assert _dagster_ticks(derived.cron, derived.timezone, after, 4) == airflow


@settings(max_examples=150, deadline=None)
@given(
    step=st.sampled_from(
        [
            timedelta(minutes=5),
            timedelta(minutes=30),
            timedelta(hours=1),
            timedelta(hours=6),
            timedelta(hours=8),
            timedelta(days=1),
            timedelta(days=7),
        ]
    ),
    anchor=st.integers(min_value=0, max_value=7 * 24 * 60 - 1),
    tz=st.sampled_from(ZONES),
    offset=st.integers(min_value=8 * 24 * 60, max_value=365 * 24 * 60),
)
def test_a_timedelta_schedule_ticks_where_airflows_own_timetable_does(
    step: timedelta, anchor: int, tz: str, offset: int
) -> None:
    start = YEAR_START + timedelta(minutes=anchor)
    after = YEAR_START + timedelta(minutes=offset)
    timetable = DeltaDataIntervalTimetable(step)
    # Airflow steps from the start date: the interval that holds `after` comes next.
    steps_done = (after - start) // step
    last = DataInterval(
        pendulum.instance(start + step * (steps_done - 1)),
        pendulum.instance(start + step * steps_done),
    )
    info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=RESTRICTION)
    airflow = []
    for _ in range(4):
        airflow.append(datetime.fromtimestamp(info.run_after.timestamp(), timezone.utc))
        info = timetable.next_dagrun_info(
            last_automated_data_interval=info.data_interval, restriction=RESTRICTION
        )
    record = _v2_record(str(step), tz, run_after=airflow[0].isoformat())
    record["start_date"] = start.isoformat()
    derived = replacement_cron(parse_schedule(record, "v2"))
    assert derived.timezone == "UTC"
    assert _dagster_ticks(derived.cron, "UTC", airflow[0] - timedelta(seconds=1), 4) == airflow


def test_airflow_2s_interval_timetable_names_a_run_after_the_interval_start() -> None:
    timetable = CronDataIntervalTimetable(
        "0 3 * * *", timezone=pendulum.timezone("Europe/Amsterdam")
    )
    info = timetable.next_dagrun_info(
        last_automated_data_interval=DataInterval(
            pendulum.datetime(2026, 7, 1, 1, tz="UTC"), pendulum.datetime(2026, 7, 2, 1, tz="UTC")
        ),
        restriction=RESTRICTION,
    )
    record = {
        "dag_id": "orders",
        "schedule_interval": {"__type": "CronExpression", "value": "0 3 * * *"},
        "timezone": "Timezone('Europe/Amsterdam')",
        "catchup": True,
        "start_date": "2026-01-01T00:00:00+00:00",
        "next_dagrun": info.logical_date.isoformat(),
        "next_dagrun_data_interval_start": info.data_interval.start.isoformat(),
        "next_dagrun_data_interval_end": info.data_interval.end.isoformat(),
        "next_dagrun_create_after": info.run_after.isoformat(),
    }
    derived = replacement_cron(parse_schedule(record, "v1"))
    assert (derived.cron, derived.timezone, derived.logical_date) == (
        "0 3 * * *",
        "Europe/Amsterdam",
        "interval_start",
    )
    assert derived.first_tick == datetime(2026, 7, 3, 1, tzinfo=timezone.utc)


def test_airflow_3s_trigger_timetable_names_a_run_after_its_tick() -> None:
    derived = replacement_cron(parse_schedule(_v2_record("@daily", "UTC"), "v2"))
    assert (derived.cron, derived.logical_date) == ("0 0 * * *", "tick")


def test_on_the_spring_forward_day_airflow_and_dagster_run_a_skipped_time_differently() -> None:
    """Pinned, not hidden: 02:30 does not exist in Amsterdam on 29 March 2026. Airflow
    runs an hour late (03:30 CEST), Dagster at 03:00 CEST; the day is still run once."""
    after = datetime(2026, 3, 28, 12, tzinfo=timezone.utc)
    tz = "Europe/Amsterdam"
    airflow = _airflow_ticks(
        CronTriggerTimetable("30 2 * * *", timezone=pendulum.timezone(tz)), after, 2
    )
    dagster = _dagster_ticks("30 2 * * *", tz, after, 2)
    assert airflow[0] == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    assert dagster[0] == datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc)
    assert airflow[1] == dagster[1]


@pytest.mark.parametrize(
    ("record", "api", "reason"),
    [
        (_v2_record("@once", "UTC"), "v2", "@once"),
        (_v2_record("@continuous", "UTC"), "v2", "@continuous"),
        (_v2_record(None, "UTC"), "v2", "no schedule"),
        (_v2_record("After each workday, at 08:00", "UTC"), "v2", "no cron can stand for"),
        (_v2_record("1 day, 0:00:00", "UTC") | {"start_date": None}, "v2", "no start_date"),
        (_v2_record("13:00:00", "UTC"), "v2", "same clock times"),
        (_v2_record("0 0 * * * *", "UTC"), "v2", "five fields"),
        (
            _v2_record("@daily", "UTC") | {"asset_expression": {"any": []}},
            "v2",
            "automation condition",
        ),
        (_v2_record("@daily", "UTC") | {"next_dagrun_run_after": None}, "v2", "airlift refresh"),
        (
            {"dag_id": "orders", "schedule_interval": {"__type": "RelativeDelta", "months": 1}},
            "v1",
            "RelativeDelta",
        ),
    ],
)
def test_a_schedule_no_cron_stands_for_is_refused_with_the_reason(
    record: dict[str, object], api: str, reason: str
) -> None:
    with pytest.raises(CannotReplaceSchedule, match=reason):
        replacement_cron(parse_schedule(record, api))  # type: ignore[arg-type]


def test_a_tick_after_a_jump_over_a_clock_change_is_an_hour_late_in_airflow() -> None:
    """Pinned, not hidden: from January, the next tick of ``0 * * */3 *`` after
    February is midnight on 1 April in Amsterdam (22:00 UTC). Dagster says so;
    Airflow's timetable, jumping over the March clock change in one step, runs it at
    01:00 local (23:00 UTC)."""
    after = datetime(2026, 1, 31, 19, 0, 17, tzinfo=timezone.utc)
    tz = "Europe/Amsterdam"
    airflow = _airflow_ticks(
        CronTriggerTimetable("0 * * */3 *", timezone=pendulum.timezone(tz)), after, 4
    )
    dagster = _dagster_ticks("0 * * */3 *", tz, after, 4)
    assert airflow[:3] == dagster[:3]
    assert dagster[3] == datetime(2026, 3, 31, 22, tzinfo=timezone.utc)
    assert airflow[3] == datetime(2026, 3, 31, 23, tzinfo=timezone.utc)
