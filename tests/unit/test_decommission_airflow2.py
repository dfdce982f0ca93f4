"""The decommission translation against Airflow 2.10's own timetables (Airflow 3's:
test_decommission_cron.py): over generated cron strings, presets, timedeltas and
timezones, Dagster's next ticks of the derived cron (its own cron iterator) are
Airflow 2's next run-afters, and the data interval the Dagster schedule tags each
run with is the one Airflow 2 gives it, or the translation is refused.

Airflow 2 lives in ``.venv-airflow2``: ``tests/unit/airflow2_timetables.py`` computes
a whole batch of cases in one child process.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from dagster._utils.schedules import cron_string_iterator
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from airlift_component.component.decommission_schedule import run_interval
from airlift_component.decommission.airflow_schedule import parse_schedule
from airlift_component.decommission.cron import CannotReplaceSchedule, replacement_cron
from airlift_component.decommission.yaml_block import DecommissionRecord
from tests.unit.child_python import airflow_home_env, json_answer
from tests.unit.test_decommission_cron import (
    YEAR_START,
    ZONES,
    _clock_changes_between,
    _near_a_clock_change,
    cron_fields,
)

HELPER = Path(__file__).with_name("airflow2_timetables.py")
COUNT = 4
PRESETS = ["@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly"]
STEPS = [300, 1800, 3600, 6 * 3600, 8 * 3600, 86400, 7 * 86400, 13 * 3600, 90]


def _airflow2(cases: list[dict[str, Any]], home: Path) -> list[list[list[datetime]]]:
    answer = json_answer([str(HELPER)], env=airflow_home_env(home), stdin=json.dumps(cases))
    return [[[datetime.fromisoformat(v) for v in run] for run in runs] for runs in answer]


def _v1_record(case: dict[str, Any], first: list[datetime]) -> dict[str, Any]:
    if "cron" in case:
        schedule = {"__type": "CronExpression", "value": case["cron"]}
        start = "2025-01-01T00:00:00+00:00"
    else:
        step = timedelta(seconds=case["step_seconds"])
        schedule = {"__type": "TimeDelta", "days": step.days, "seconds": step.seconds}
        schedule["microseconds"] = 0
        start = case["start"]
    return {
        "dag_id": "orders",
        "schedule_interval": schedule,
        "timezone": f"Timezone('{case.get('tz', 'UTC')}')",
        "catchup": False,
        "start_date": start,
        "next_dagrun": first[0].isoformat(),
        "next_dagrun_data_interval_start": first[1].isoformat(),
        "next_dagrun_data_interval_end": first[2].isoformat(),
        "next_dagrun_create_after": first[3].isoformat(),
    }


case_strategy = st.one_of(
    st.builds(
        lambda cron, tz, minutes: {
            "cron": cron,
            "tz": tz,
            "after": (YEAR_START + timedelta(minutes=minutes, seconds=17)).isoformat(),
            "count": COUNT,
        },
        st.one_of(cron_fields, st.sampled_from(PRESETS)),
        st.sampled_from(ZONES),
        st.integers(min_value=0, max_value=365 * 24 * 60),
    ),
    st.builds(
        lambda step, anchor, minutes: {
            "step_seconds": step,
            "start": (YEAR_START + timedelta(minutes=anchor)).isoformat(),
            "after": (YEAR_START + timedelta(minutes=minutes)).isoformat(),
            "count": COUNT,
        },
        st.sampled_from(STEPS),
        st.integers(min_value=0, max_value=7 * 24 * 60 - 1),
        st.integers(min_value=8 * 24 * 60, max_value=365 * 24 * 60),
    ),
)


# Each example is one batch of 60 cases in one Airflow 2 process; no shrinking (a failing
# batch names its case in the assertion).
@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(cases=st.lists(case_strategy, min_size=60, max_size=60))
def test_dagsters_ticks_are_airflow_2s_next_runs_with_the_same_data_intervals(
    cases: list[dict[str, Any]], tmp_path_factory: Any
) -> None:
    answers = _airflow2(cases, tmp_path_factory.mktemp("airflow2"))
    compared = 0
    for case, runs in zip(cases, answers, strict=True):
        ends = [run[3] for run in runs]
        tz = case.get("tz", "UTC")
        after = datetime.fromisoformat(case["after"])
        if "cron" in case and (
            _near_a_clock_change(tz, [after, runs[0][1], *ends])
            or _clock_changes_between(tz, runs[0][1], ends[-1])
        ):
            continue  # the pinned clock-change differences (test_decommission_cron.py)
        try:
            derived = replacement_cron(parse_schedule(_v1_record(case, runs[0]), "v1"))
        except CannotReplaceSchedule as refused:
            assert "step_seconds" in case and case["step_seconds"] in (13 * 3600, 90), case
            assert "does not land" in str(refused) or "whole minutes" in str(refused)
            continue
        assert derived.first_tick == ends[0] and derived.logical_date == "interval_start"
        ticks = cron_string_iterator(
            (ends[0] - timedelta(seconds=1)).timestamp(), derived.cron, derived.timezone
        )
        dagster = [next(ticks).astimezone(timezone.utc) for _ in range(COUNT)]
        assert dagster == ends, case
        record = DecommissionRecord(
            derived.cron, derived.timezone, ends[0].isoformat(), "interval_start", True
        )
        for run, tick in zip(runs, dagster, strict=True):
            assert list(run_interval(record, tick)) == run[:3], (case, tick)
        compared += 1
    assert compared >= len(cases) // 2  # most cases are compared, not skipped
