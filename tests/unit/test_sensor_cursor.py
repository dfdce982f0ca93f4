"""The sensor cursor alone: exactly-once bookkeeping over finished runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from airlift_stub import T0

from airlift_component.airflow_api.types import DagRun
from airlift_component.airflow_state.sensor_cursor import CursorError, SensorCursor

OVERLAP = timedelta(minutes=10)


def run(dag: str, run_id: str, minutes: float) -> DagRun:
    return DagRun(dag, run_id, "success", end_date=T0 + timedelta(minutes=minutes))


def test_empty_cursor_starts_at_lookback() -> None:
    assert SensorCursor().query_start(T0, timedelta(hours=24), OVERLAP) == T0 - timedelta(hours=24)


def test_advance_moves_high_water_to_latest_end_and_queries_with_overlap() -> None:
    cursor = SensorCursor().advance([run("a", "1", 1), run("a", "2", 5)], OVERLAP)
    assert cursor.high_water == T0 + timedelta(minutes=5)
    assert cursor.query_start(T0, timedelta(hours=1), OVERLAP) == T0 - timedelta(minutes=5)


def test_recorded_runs_are_not_new_again() -> None:
    runs = [run("a", "1", 1), run("b", "1", 1)]
    cursor = SensorCursor().advance(runs, OVERLAP)
    assert cursor.new_runs(runs) == []


def test_duplicates_at_identical_end_date_split_across_ticks() -> None:
    same = [run("a", str(i), 3) for i in range(5)]
    first = SensorCursor().new_runs(same, max_runs=2)
    cursor = SensorCursor().advance(first, OVERLAP)
    rest = cursor.new_runs(same, max_runs=10)
    assert {r.run_id for r in first} | {r.run_id for r in rest} == {"0", "1", "2", "3", "4"}
    assert not {r.run_id for r in first} & {r.run_id for r in rest}


def test_out_of_order_run_within_overlap_is_still_recorded() -> None:
    cursor = SensorCursor().advance([run("a", "late", 10)], OVERLAP)
    earlier = run("b", "early", 4)  # ended before the high-water mark, visible only now
    assert earlier.end_date and earlier.end_date >= cursor.query_start(T0, timedelta(0), OVERLAP)
    assert cursor.new_runs([earlier, run("a", "late", 10)]) == [earlier]


def test_seen_ids_outside_overlap_are_pruned() -> None:
    cursor = SensorCursor().advance([run("a", "old", 0)], OVERLAP)
    cursor = cursor.advance([run("a", "new", 30)], OVERLAP)
    assert set(cursor.seen) == {("a", "new")}


def test_high_water_never_moves_back() -> None:
    cursor = SensorCursor().advance([run("a", "1", 10)], OVERLAP)
    cursor = cursor.advance([run("b", "1", 5)], OVERLAP)
    assert cursor.high_water == T0 + timedelta(minutes=10)


def test_round_trip_through_json_survives_restart() -> None:
    cursor = SensorCursor().advance([run("a", "1", 1), run("b", "x", 2)], OVERLAP)
    restored = SensorCursor.from_json(cursor.to_json())
    assert restored == cursor
    assert restored.new_runs([run("a", "1", 1), run("b", "x", 2)]) == []


@pytest.mark.parametrize(
    "text",
    [pytest.param("{", id="not-json"), pytest.param('{"v": 7}', id="wrong-version")],
)
def test_unreadable_cursor_says_how_to_reset(text: str) -> None:
    with pytest.raises(CursorError, match="Set cursor"):
        SensorCursor.from_json(text)


def test_empty_text_is_the_empty_cursor() -> None:
    assert SensorCursor.from_json("") == SensorCursor()
    assert SensorCursor.from_json(None) == SensorCursor()
