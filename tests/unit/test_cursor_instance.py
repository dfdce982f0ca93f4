"""A sensor cursor names its Airflow instance and is refused by another (issue 22).

A cursor set by hand in the Dagster UI, or Dagster storage copied from another
deployment, would otherwise make the sensor skip this instance's runs that share
DAG and run ids with the other's. Older cursors (no name) are upgraded and named.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from airlift_component.airflow_api.changed_runs import RunStream
from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.sensor.cursor import CursorError, SensorCursor
from airlift_component.sensor.tick import TickScope, read_tick

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
END = NOW - timedelta(minutes=5)


class OneRun:
    """An Airflow with one finished run, ``d``/``shared_id``, whose task ``t`` succeeded."""

    def changed_dag_runs(self, *, updated_at_gte: datetime) -> RunStream:
        run = DagRun("d", "shared_id", "success", start_date=END, end_date=END)
        return RunStream(lambda offset, limit: ([run][offset : offset + limit], 1), 10)

    def list_task_instances(self, runs: object) -> list[TaskInstance]:
        return [
            TaskInstance(
                "d", "shared_id", "t", "success", start_date=END, end_date=END, try_number=1
            )
        ]


def _instance(name: str) -> Instance:
    return Instance.model_validate(
        {"name": name, "url": "http://airflow.example", "auth": {"type": "none"}}
    )


def _tick(name: str, cursor: SensorCursor) -> SensorCursor:
    tick = read_tick(
        OneRun(),  # type: ignore[arg-type]  # runs only
        _instance(name),
        cursor,
        TickScope({"d": frozenset({"t"})}, {"d"}),
        ProxiedLookup(),
        now=NOW,
        overlap=timedelta(minutes=10),
        max_runs=100,
    )
    assert [ti.run_id for outcome in tick.outcomes for ti in outcome.tries] == (
        ["shared_id"] if not cursor.runs else []
    )
    return tick.cursor


def test_a_tick_names_its_instance_in_the_cursor() -> None:
    stored = _tick("prod", SensorCursor()).to_json()
    assert json.loads(stored)["instance"] == "prod"
    assert SensorCursor.from_json(stored).instance == "prod"
    _tick("prod", SensorCursor.from_json(stored))  # its own cursor: read, nothing again


def test_a_cursor_of_another_instance_is_refused_with_the_reset_hint() -> None:
    stored = _tick("staging", SensorCursor()).to_json()
    with pytest.raises(CursorError) as caught:
        _tick("prod", SensorCursor.from_json(stored))
    message = str(caught.value)
    assert "'staging', not 'prod'" in message
    assert "Set cursor, empty value" in message
    assert "\n" not in message


def test_an_older_cursor_without_a_name_is_upgraded_and_named() -> None:
    old = json.dumps(
        {"v": 1, "high_water": END.isoformat(), "seen": [["d", "shared_id", END.isoformat()]]}
    )
    cursor = _tick("prod", SensorCursor.from_json(old))  # the listed run: nothing again
    assert cursor.instance == "prod"
    assert json.loads(cursor.to_json())["instance"] == "prod"


def test_a_name_that_is_not_a_string_is_a_damaged_cursor() -> None:
    stored = json.loads(SensorCursor().to_json())
    stored["instance"] = 7
    with pytest.raises(CursorError, match="instance name is not a string"):
        SensorCursor.from_json(json.dumps(stored))
