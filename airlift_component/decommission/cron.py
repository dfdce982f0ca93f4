"""The Dagster cron schedule that takes over a DAG's Airflow schedule, or why none can.

Airflow's cron strings and presets keep the DAG's timezone. A ``timedelta`` schedule
steps in absolute time from ``start_date``, so it becomes a UTC cron anchored at the
start date, and only where the steps land on the same clock times every day (a
divisor of an hour or a day, one day, one week). Anything else is refused with the
reason and what to do.

Where Airflow's next run lies (``first_tick``) is taken from Airflow itself: it is
the first interval Airflow will not run once the DAG is paused, so the first Dagster
tick must be exactly there, no earlier (two orchestrators) and no later (a gap).
Across a clock change the two schedulers can disagree (tests pin both cases): a
wall time the spring change skips (Airflow runs it an hour later, Dagster at the
change), and a tick reached by jumping over a change (Airflow's timetable lands an
hour late, Dagster on the hour). Inside one UTC offset they agree (property-tested against Airflow's
own timetables). Which date a run stands for follows Airflow's own answer: an interval timetable
(Airflow 2's cron, any ``timedelta``) names a run after the start of the interval
that just ended; a trigger timetable (Airflow 3's cron) after the tick itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal

from airlift_component.decommission.airflow_schedule import AirflowSchedule

PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

_HINT = (
    "write the Dagster schedule for this DAG by hand (a ScheduleDefinition on its "
    "assets), then pause the DAG in Airflow"
)


class CannotReplaceSchedule(Exception):
    """No Dagster cron stands for this DAG's schedule; the message says why and what to do."""


@dataclass(frozen=True)
class CronSchedule:
    """A Dagster schedule: cron string, IANA timezone, first tick and date semantics."""

    cron: str
    timezone: str
    first_tick: datetime
    logical_date: Literal["interval_start", "tick"]


def replacement_cron(schedule: AirflowSchedule, timezone_name: str | None = None) -> CronSchedule:
    """The cron schedule that runs exactly the intervals Airflow would have run next.

    ``timezone_name`` replaces the timezone Airflow reports: the DAG details of
    Airflow 2.10 and 3 report the server's default timezone, not the one a DAG's
    ``start_date`` gives it. A cron
    whose ticks do not include Airflow's next run in the timezone used is refused.
    """
    dag = f"DAG {schedule.dag_id!r}"
    if schedule.asset_triggered:
        raise CannotReplaceSchedule(
            f"{dag} is triggered by Airflow assets, not a clock: it needs an automation "
            "condition on the Dagster assets those Airflow assets map to, not a cron"
        )
    if schedule.other is not None:
        raise CannotReplaceSchedule(
            f"{dag} uses a schedule no cron can stand for ({schedule.other}); {_HINT}"
        )
    if schedule.interval is not None:
        cron, tz = _interval_cron(dag, schedule.interval, schedule.start_date), "UTC"
    elif schedule.expression is not None:
        cron = _expression_cron(dag, schedule.expression)
        tz = timezone_name or schedule.timezone
    else:
        raise CannotReplaceSchedule(
            f"{dag} has no schedule (it runs only when triggered): there is nothing to "
            "move to Dagster; trigger its assets from Dagster instead"
        )
    first_tick, semantics = _next_run(dag, schedule)
    if cron_matches(cron, tz, first_tick) is False:
        raise CannotReplaceSchedule(
            f"Airflow's next run of {dag} ({first_tick.isoformat()}) is not a tick of "
            f"{cron!r} in {tz}: the DAG runs on another timezone's clock (Airflow's DAG "
            "details report the server's default timezone, not the one the DAG's "
            "start_date carries); pass the DAG's timezone with --timezone NAME"
        )
    return CronSchedule(cron=cron, timezone=tz, first_tick=first_tick, logical_date=semantics)


def _expression_cron(dag: str, expression: str) -> str:
    if expression in ("@once", "@continuous"):
        raise CannotReplaceSchedule(
            f"{dag} is scheduled {expression}, which Dagster schedules do not have; {_HINT}"
        )
    if expression.startswith("@"):
        if expression not in PRESETS:
            raise CannotReplaceSchedule(f"{dag} uses the unknown preset {expression}; {_HINT}")
        return PRESETS[expression]
    if len(expression.split()) != 5:
        raise CannotReplaceSchedule(
            f"{dag}'s cron {expression!r} does not have five fields (Dagster's cron has "
            f"no seconds field); {_HINT}"
        )
    return " ".join(expression.split())


def _interval_cron(dag: str, interval: timedelta, start: datetime | None) -> str:
    if start is None:
        raise CannotReplaceSchedule(
            f"{dag} steps every {interval} but Airflow gives no start_date to anchor the "
            f"steps; {_HINT}"
        )
    start = start.astimezone(timezone.utc)
    if start.second or start.microsecond or interval.microseconds or interval.seconds % 60:
        raise CannotReplaceSchedule(
            f"{dag} steps every {interval} from {start.isoformat()}, off whole minutes; {_HINT}"
        )
    minutes = int(interval.total_seconds()) // 60
    if 0 < minutes < 60 and 60 % minutes == 0:
        return f"{start.minute % minutes}-59/{minutes} * * * *" if minutes > 1 else "* * * * *"
    if minutes % 60 == 0 and 0 < minutes // 60 < 24 and 24 % (minutes // 60) == 0:
        hours = minutes // 60
        return f"{start.minute} {start.hour % hours}-23/{hours} * * *"
    if minutes == 24 * 60:
        return f"{start.minute} {start.hour} * * *"
    if minutes == 7 * 24 * 60:
        return f"{start.minute} {start.hour} * * {start.isoweekday() % 7}"
    raise CannotReplaceSchedule(
        f"{dag} steps every {interval}, which does not land on the same clock times "
        f"every day or week; {_HINT}"
    )


def _next_run(
    dag: str, schedule: AirflowSchedule
) -> tuple[datetime, Literal["interval_start", "tick"]]:
    nxt = schedule.next_run
    if nxt.run_after is None:
        raise CannotReplaceSchedule(
            f"Airflow gives no next run for {dag} (is the DAG parsed, and not stale?), so "
            "the first interval Dagster must run is unknown; run `airlift refresh` and try again"
        )
    interval_based = (
        nxt.interval_start is not None
        and nxt.interval_end is not None
        and nxt.interval_start < nxt.interval_end
        and nxt.logical_date == nxt.interval_start
        and nxt.run_after == nxt.interval_end
    )
    return nxt.run_after, "interval_start" if interval_based else "tick"


_NAMES = {
    3: {
        m: i + 1
        for i, m in enumerate(
            ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        )
    },
    4: {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
}
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def cron_matches(cron: str, tz: str, at: datetime) -> bool | None:
    """Whether ``at`` is a tick of the five-field ``cron`` on the clocks of ``tz``
    (``None`` when the cron uses a form this reader does not know)."""
    from zoneinfo import ZoneInfo

    local = at.astimezone(ZoneInfo(tz))
    if local.second or local.microsecond:
        return False
    values = (local.minute, local.hour, local.day, local.month, local.isoweekday() % 7)
    try:
        sets = [_field(text, i) for i, text in enumerate(cron.split())]
    except ValueError:
        return None
    if len(sets) != 5:
        return None
    minute, hour, dom, month, dow = (values[i] in sets[i] for i in range(5))
    day_fields = cron.split()[2:5:2]
    restricted = [text != "*" for text in day_fields]
    day = (dom or dow) if all(restricted) else (dom and dow)
    return minute and hour and month and day


def _field(text: str, index: int) -> set[int]:
    low, high = _BOUNDS[index]
    found: set[int] = set()
    for part in text.upper().split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body == "*":
            start, end = low, high
        else:
            first, _, last = body.partition("-")
            start = _value(first, index)
            end = _value(last, index) if last else (high if step_text else start)
        if step < 1 or not low <= start <= end <= high:
            raise ValueError(part)
        found.update(range(start, end + 1, step))
    if index == 4 and 7 in found:
        found.add(0)
    return found


def _value(text: str, index: int) -> int:
    names = _NAMES.get(index, {})
    return names[text] if text in names else int(text)
