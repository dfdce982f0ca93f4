"""Airflow 2.10's own next runs of many schedules at once, for the decommission property test.

Run by ``tests/unit/test_decommission_airflow2.py`` with ``.venv-airflow2``'s
interpreter (this environment has Airflow 3 only), one process per batch so that
Airflow's import is paid once. Reads a JSON list on standard input, each case
``{"cron": TEXT, "tz": NAME, "after": ISO, "count": N}`` (Airflow 2's default
timetable of a cron, ``CronDataIntervalTimetable``, from the first tick at or after
``after``) or ``{"step_seconds": N, "start": ISO, "after": ISO, "count": N}``
(``DeltaDataIntervalTimetable`` anchored at ``start``, the interval holding
``after`` done), and prints one JSON list: per case the next ``count`` runs as
``[logical_date, interval_start, interval_end, run_after]`` (ISO, UTC).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from typing import Any


def runs(case: dict[str, Any]) -> list[list[str]]:
    import pendulum
    from airflow.timetables.base import DataInterval, TimeRestriction
    from airflow.timetables.interval import CronDataIntervalTimetable, DeltaDataIntervalTimetable

    after = pendulum.instance(datetime.fromisoformat(case["after"]))
    if "cron" in case:
        timetable: Any = CronDataIntervalTimetable(case["cron"], pendulum.timezone(case["tz"]))
        restriction = TimeRestriction(earliest=after, latest=None, catchup=True)
        info = timetable.next_dagrun_info(
            last_automated_data_interval=None, restriction=restriction
        )
    else:
        step = timedelta(seconds=case["step_seconds"])
        start = datetime.fromisoformat(case["start"])
        timetable = DeltaDataIntervalTimetable(step)
        done = (datetime.fromisoformat(case["after"]) - start) // step
        last = DataInterval(
            pendulum.instance(start + step * (done - 1)), pendulum.instance(start + step * done)
        )
        restriction = TimeRestriction(earliest=None, latest=None, catchup=True)
        info = timetable.next_dagrun_info(
            last_automated_data_interval=last, restriction=restriction
        )
    found = []
    for _ in range(case["count"]):
        found.append(
            [
                _utc(info.logical_date),
                _utc(info.data_interval.start),
                _utc(info.data_interval.end),
                _utc(info.run_after),
            ]
        )
        info = timetable.next_dagrun_info(
            last_automated_data_interval=info.data_interval, restriction=restriction
        )
    return found


def _utc(value: datetime) -> str:
    return datetime.fromtimestamp(value.timestamp(), timezone.utc).isoformat()


if __name__ == "__main__":
    print(json.dumps([runs(case) for case in json.load(sys.stdin)]))
