"""The sensor cursor alone: storage, the format-1 upgrade, forgetting old runs."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest
from airlift_stub import T0

from airlift_component.airflow_api.types import DagRun
from airlift_component.sensor.cursor import (
    CursorError,
    RunMemory,
    SensorCursor,
    run_version,
)

OVERLAP = timedelta(minutes=10)


def _memory(minutes: float, seen: float, **tries: int) -> RunMemory:
    end = T0 + timedelta(minutes=minutes)
    return RunMemory(
        ("success", end.isoformat(), end.isoformat()),
        end,
        end,
        {(task, -1): number for task, number in tries.items()},
        T0 + timedelta(minutes=seen),
    )


def test_empty_cursor_starts_at_lookback_then_at_high_water_minus_overlap() -> None:
    assert SensorCursor().query_start(T0, timedelta(hours=24), OVERLAP) == T0 - timedelta(hours=24)
    cursor = SensorCursor(high_water=T0)
    assert cursor.query_start(T0, timedelta(hours=24), OVERLAP) == T0 - OVERLAP


def test_round_trip_keeps_every_field() -> None:
    cursor = SensorCursor(
        T0,
        T0 - timedelta(hours=7),
        {("d", "r1"): _memory(1, 2, a=1, b=3), ("e", "x"): _memory(3, 4)},
    )
    assert SensorCursor.from_json(cursor.to_json()) == cursor
    assert SensorCursor.from_json(None) == SensorCursor() == SensorCursor.from_json("")
    covering = replace(cursor, dags=frozenset({"d", "e", "quiet"}))
    assert SensorCursor.from_json(covering.to_json()) == covering


def test_a_cursor_without_dag_ids_reads_as_none_and_keeps_its_runs() -> None:
    cursor = SensorCursor(T0, T0 - timedelta(hours=7), {("d", "r1"): _memory(1, 2, a=1)})
    data = json.loads(cursor.to_json())
    assert "dags" not in data  # as written before the field existed
    assert SensorCursor.from_json(json.dumps(data)) == cursor
    assert SensorCursor.from_json(json.dumps(data)).dags is None


def test_five_thousand_dag_ids_stay_small() -> None:
    ids = frozenset(f"team_{n % 40}__pipeline_{n:05d}_daily" for n in range(5000))
    text = SensorCursor(T0, T0, dags=ids).to_json()
    assert len(text) < 40_000, len(text)  # stored compressed
    assert SensorCursor.from_json(text).dags == ids


def test_format_1_is_upgraded_not_restarted() -> None:
    old = json.dumps({"v": 1, "high_water": T0.isoformat(), "seen": [["d", "r1", T0.isoformat()]]})
    cursor = SensorCursor.from_json(old)
    assert cursor.high_water == T0
    assert cursor.horizon == T0  # runs that ended by then were recorded by format 1
    memory = cursor.runs[("d", "r1")]
    assert memory.completion == memory.covered == T0
    assert memory.version is None  # first listing re-reads it; its tries count as covered


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{", id="not-json"),
        pytest.param('{"v": 9}', id="future-format"),
        pytest.param('{"v": 2, "high_water": "x", "horizon": null, "runs": []}', id="bad-date"),
        pytest.param('{"v": 2, "high_water": null, "horizon": null, "runs": [[1]]}', id="bad-run"),
        pytest.param(
            '{"v": 2, "high_water": null, "horizon": null, "runs": [], "dags": [1]}',
            id="bad-dag-ids",
        ),
    ],
)
def test_unreadable_cursor_says_how_to_reset(text: str) -> None:
    with pytest.raises(CursorError, match="Set cursor"):
        SensorCursor.from_json(text)


def test_forgotten_runs_keep_their_covered_end_in_the_compact_record() -> None:
    cursor = SensorCursor(
        T0 + timedelta(hours=10),
        T0 - timedelta(days=1),
        {("d", "old"): _memory(0.51, 1, a=1), ("d", "new"): _memory(590, 595, a=1)},
    )
    kept, gone = cursor.forget_old(OVERLAP, timedelta(hours=6))
    assert gone == 1
    assert set(kept.runs) == {("d", "new")}
    forgotten = kept.forgotten_run(("d", "old"))
    assert forgotten is not None
    assert forgotten.covered == T0 + timedelta(minutes=0.51)
    assert forgotten.completed
    assert forgotten.same_start(
        DagRun("d", "old", "success", start_date=T0 + timedelta(minutes=0.51))
    )
    assert not forgotten.same_start(DagRun("d", "old", "success", start_date=T0))
    assert kept.forgotten_run(("d", "never-seen")) is None
    assert SensorCursor.from_json(kept.to_json()) == kept


def test_compact_record_drops_the_oldest_beyond_its_limit() -> None:
    runs = {("d", f"r{i}"): _memory(i, i) for i in range(5)}
    cursor = SensorCursor(T0 + timedelta(days=2), None, runs)
    kept, _ = cursor.forget_old(OVERLAP, timedelta(hours=1), forgotten_limit=2)
    assert kept.dropped == 3
    assert kept.forgotten_run(("d", "r0")) is None
    assert kept.forgotten_run(("d", "r4")) is not None


def test_nothing_is_forgotten_while_the_high_water_mark_is_unset() -> None:
    cursor = SensorCursor(None, None, {("d", "r"): _memory(0, 0)})
    assert cursor.forget_old(OVERLAP, timedelta(0)) == (cursor, 0)


def test_count_limit_forgets_oldest_first() -> None:
    runs = {("d", f"r{i}"): _memory(i, i) for i in range(5)}
    kept, gone = SensorCursor(T0 + timedelta(minutes=30), None, runs).forget_old(
        OVERLAP, timedelta(days=1), limit=2
    )
    assert gone == 3
    assert set(kept.runs) == {("d", "r3"), ("d", "r4")}


def test_run_version_changes_on_clear_and_rerun() -> None:
    first = DagRun("d", "r", "success", start_date=T0, end_date=T0 + timedelta(minutes=1))
    again = DagRun(
        "d",
        "r",
        "success",
        start_date=T0 + timedelta(minutes=5),
        end_date=T0 + timedelta(minutes=6),
    )
    assert run_version(first) != run_version(again)


def test_a_large_cursor_is_stored_compressed_and_reads_back() -> None:
    runs = {("d", f"r{i}"): _memory(i, i, a=1, b=2) for i in range(300)}
    cursor = SensorCursor(T0, T0, runs)
    text = cursor.to_json()
    assert '"zlib"' in text
    assert SensorCursor.from_json(text) == cursor
    with pytest.raises(CursorError):
        SensorCursor.from_json('{"v": 2, "zlib": "bm90IHpsaWI="}')
