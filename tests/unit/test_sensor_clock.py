"""A cursor whose high-water mark is ahead of the tick's clock (a clock that ran ahead
and went back, a cursor copied from another deployment)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from airlift_stub import T0, StubAirflow

from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.run_pass import PassResult, PassSettings, sensor_pass


def _pass(stub: StubAirflow, cursor: SensorCursor, now_minutes: float) -> PassResult:
    return sensor_pass(
        stub.client(),
        cursor,
        now=T0 + timedelta(minutes=now_minutes),
        settings=PassSettings(timedelta(hours=24), timedelta(minutes=10), 100, 10),
        mapped_tasks={"customers": frozenset({"extract"})},
        needs_tasks={"customers"},
        fallback=ProxiedLookup(),
    )


def _stub() -> StubAirflow:
    stub = StubAirflow()
    stub.add_dag("customers", {"extract": []})
    return stub


@pytest.mark.parametrize("ahead", [timedelta(hours=1), timedelta(days=400)], ids=["1h", "400d"])
def test_a_run_finishing_under_a_mark_ahead_of_the_clock_is_recorded(ahead: timedelta) -> None:
    stub = _stub()
    cursor = SensorCursor(T0 + ahead, T0 - timedelta(hours=23), dags=frozenset({"customers"}))
    stub.finish_run("customers", "now", end=T0)  # changed at T0, before the mark
    result = _pass(stub, cursor, 0)
    assert [o.run.run_id for o in result.outcomes] == ["now"]
    assert result.cursor.high_water == T0  # from this clock, not the mark ahead
    (limit,) = result.limits
    assert "ahead of this tick's clock" in limit and "24 hour(s) are read again" in limit
    # The next tick is an ordinary one: nothing again, no limit.
    stub.finish_run("customers", "later", end=T0 + timedelta(minutes=2))
    again = _pass(stub, result.cursor, 3)
    assert [o.run.run_id for o in again.outcomes] == ["later"] and not again.limits


def test_the_look_back_skips_what_was_recorded_and_keeps_a_past_horizon() -> None:
    stub = _stub()
    stub.finish_run("customers", "old", end=T0 - timedelta(hours=2))
    first = _pass(stub, SensorCursor(), 0)
    assert [o.run.run_id for o in first.outcomes] == ["old"]
    ahead = SensorCursor(
        T0 + timedelta(hours=3), first.cursor.horizon, first.cursor.runs, dags=first.cursor.dags
    )
    result = _pass(stub, ahead, 1)
    assert result.outcomes == [] and result.cursor.horizon == first.cursor.horizon


def test_a_horizon_set_by_a_clock_ahead_moves_back_to_the_window() -> None:
    stub = _stub()
    stub.finish_run("customers", "r", end=T0 - timedelta(hours=1))
    # The first tick ran with a clock 30 hours ahead: its horizon is in the future.
    first = _pass(stub, SensorCursor(), 30 * 60)
    assert first.outcomes == []
    result = _pass(stub, first.cursor, 0)
    assert [(o.run.run_id, len(o.tries), o.completed) for o in result.outcomes] == [("r", 1, True)]
    assert result.cursor.horizon == T0 - timedelta(hours=24)


def test_a_mark_ahead_within_the_tolerance_is_taken_as_now_without_a_limit() -> None:
    stub = _stub()
    cursor = SensorCursor(T0 + timedelta(seconds=30), T0 - timedelta(hours=1))
    stub.finish_run("customers", "r", end=T0 - timedelta(minutes=9))
    result = _pass(stub, cursor, 0)
    assert [o.run.run_id for o in result.outcomes] == ["r"] and not result.limits
    assert result.cursor.high_water == T0
