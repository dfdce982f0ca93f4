"""A DAG's schedule as Airflow's REST API describes it (``GET /dags/{dag_id}/details``).

Both API versions are read into one :class:`AirflowSchedule`:

- v1 (Airflow 2): ``schedule_interval`` is an object with ``__type`` ``CronExpression``
  (``value``), ``TimeDelta`` (``days``, ``seconds``, ``microseconds``) or
  ``RelativeDelta``; ``timezone`` is written ``Timezone('Europe/Amsterdam')``; a
  dataset-triggered DAG has a ``dataset_expression``; Airflow's next run is
  ``next_dagrun`` / ``next_dagrun_data_interval_*`` / ``next_dagrun_create_after``.
- v2 (Airflow 3): ``timetable_summary`` is the cron expression or preset, or
  ``str(timedelta)`` (``1 day, 0:00:00``); ``timezone`` is the bare name; an
  asset-triggered DAG has an ``asset_expression``; the next run is
  ``next_dagrun_logical_date`` / ``next_dagrun_data_interval_*`` /
  ``next_dagrun_run_after``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from airlift_component.airflow_api.parse import parse_datetime

ApiVersion = Literal["v1", "v2"]

_TIMEDELTA_TEXT = re.compile(
    r"^(?:(?P<days>-?\d+) days?, )?(?P<hours>\d{1,2}):(?P<minutes>\d{2}):(?P<seconds>\d{2})"
    r"(?:\.(?P<micro>\d{1,6}))?$"
)
_CRON = re.compile(r"^[\d*/,-]+ [\d*/,-]+( [\w*/,?#-]+){3,4}$")
_WRAPPED_TIMEZONE = re.compile(r"^(?:Timezone|FixedTimezone)\((?P<inner>.*)\)$")


@dataclass(frozen=True)
class NextRun:
    """The run Airflow will create next: the first interval it has not run."""

    logical_date: datetime | None
    interval_start: datetime | None
    interval_end: datetime | None
    run_after: datetime | None


@dataclass(frozen=True)
class AirflowSchedule:
    """What replaces a DAG's schedule is derived from this.

    ``expression`` is a cron string or preset as the DAG wrote it (``None`` for an
    unscheduled DAG); ``interval`` is set instead for a ``timedelta`` schedule;
    ``other`` names a schedule no cron can stand for (``RelativeDelta``, a custom
    timetable's summary); ``asset_triggered`` when Airflow assets or datasets
    trigger the DAG.
    """

    dag_id: str
    expression: str | None
    interval: timedelta | None
    other: str | None
    asset_triggered: bool
    timezone: str
    start_date: datetime | None
    catchup: bool
    next_run: NextRun


def parse_schedule(record: Any, api: ApiVersion) -> AirflowSchedule:
    """One ``GET /dags/{dag_id}/details`` answer; ``ValueError`` names what is malformed."""
    if not isinstance(record, dict):
        raise ValueError("the DAG details are not an object")
    dag_id = record.get("dag_id")
    if not isinstance(dag_id, str) or not dag_id:
        raise ValueError("the DAG details have no dag_id")
    if api == "v1":
        expression, interval, other = _v1_schedule(record.get("schedule_interval"))
        triggered = bool(record.get("dataset_expression"))
        next_run = NextRun(
            _datetime(record, "next_dagrun"),
            _datetime(record, "next_dagrun_data_interval_start"),
            _datetime(record, "next_dagrun_data_interval_end"),
            _datetime(record, "next_dagrun_create_after"),
        )
    else:
        expression, interval, other = _v2_schedule(record.get("timetable_summary"))
        triggered = bool(record.get("asset_expression"))
        next_run = NextRun(
            _datetime(record, "next_dagrun_logical_date"),
            _datetime(record, "next_dagrun_data_interval_start"),
            _datetime(record, "next_dagrun_data_interval_end"),
            _datetime(record, "next_dagrun_run_after"),
        )
    if triggered:
        expression, interval, other = None, None, None
    return AirflowSchedule(
        dag_id=dag_id,
        expression=expression,
        interval=interval,
        other=other,
        asset_triggered=triggered,
        timezone=_timezone_name(record.get("timezone")),
        start_date=_datetime(record, "start_date"),
        catchup=bool(record.get("catchup", False)),
        next_run=next_run,
    )


def _v1_schedule(value: Any) -> tuple[str | None, timedelta | None, str | None]:
    if value is None:
        return None, None, None
    if not isinstance(value, dict):
        raise ValueError("schedule_interval is not an object")
    kind = value.get("__type")
    if kind == "CronExpression":
        expression = value.get("value")
        if not isinstance(expression, str):
            raise ValueError("schedule_interval has no cron value")
        return expression, None, None
    if kind == "TimeDelta":
        parts = [value.get(name, 0) for name in ("days", "seconds", "microseconds")]
        if not all(isinstance(part, int) for part in parts):
            raise ValueError("schedule_interval's time delta is not whole numbers")
        return None, timedelta(days=parts[0], seconds=parts[1], microseconds=parts[2]), None
    return None, None, str(kind or "an unknown schedule")


def _v2_schedule(summary: Any) -> tuple[str | None, timedelta | None, str | None]:
    if summary is None or summary == "None":
        return None, None, None
    if not isinstance(summary, str):
        raise ValueError("timetable_summary is not text")
    match = _TIMEDELTA_TEXT.match(summary)
    if match:
        return None, _timedelta_of(match), None
    if summary.startswith("@") or _CRON.match(summary):
        return summary, None, None
    return None, None, summary


def _timedelta_of(match: re.Match[str]) -> timedelta:
    micro = (match["micro"] or "0").ljust(6, "0")
    return timedelta(
        days=int(match["days"] or 0),
        hours=int(match["hours"]),
        minutes=int(match["minutes"]),
        seconds=int(match["seconds"]),
        microseconds=int(micro),
    )


def _timezone_name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "UTC"
    wrapped = _WRAPPED_TIMEZONE.match(value)
    name = wrapped["inner"].strip("'\"") if wrapped else value
    return "UTC" if name in ("+00:00", "UTC", "Etc/UTC") else name


def _datetime(record: dict[str, Any], key: str) -> datetime | None:
    value = parse_datetime(record.get(key), key)
    return value.astimezone(timezone.utc) if value is not None else None
