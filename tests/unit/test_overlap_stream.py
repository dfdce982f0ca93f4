"""pagination.OverlapStream, the one paging algorithm under the sensor's two listings
(changed runs, oldest first; asset events, newest first): rows that move under the
listing are never skipped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from airlift_component.airflow_api.pagination import (
    MAX_OVERLAP_RESTARTS,
    OverlapStream,
    RowOrder,
)


@dataclass(frozen=True)
class Row:
    name: str
    state: int = 0
    age: int = 0


OLDEST_FIRST = RowOrder("rows", key=lambda r: r.name, version=lambda r: (r.name, r.state))
NEWEST_FIRST = RowOrder("rows", key=lambda r: r.name, newest_first=True)


def _server(rows: list[Row], between: Callable[[int, list[Row]], None]):  # type: ignore[no-untyped-def]
    calls: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> tuple[list[Row], int | None]:
        between(len(calls), rows)
        calls.append((offset, limit))
        return rows[offset : offset + limit], len(rows)

    return fetch, calls


def _rows(n: int) -> list[Row]:
    return [Row(f"r{i}") for i in range(n)]


@pytest.mark.parametrize("order", [OLDEST_FIRST, NEWEST_FIRST], ids=["oldest", "newest"])
def test_every_page_overlaps_the_last_by_one_row(order: RowOrder[Row]) -> None:
    fetch, calls = _server(_rows(7), lambda page, rows: None)
    stream = OverlapStream(fetch, 3, order)
    assert [r.name for r in stream] == [f"r{i}" for i in range(7)]
    assert stream.complete and stream.problem is None and stream.restarts == 0
    assert calls == [(0, 3), (2, 4), (5, 4)]


@pytest.mark.parametrize("order", [OLDEST_FIRST, NEWEST_FIRST], ids=["oldest", "newest"])
def test_a_row_leaving_before_the_offset_restarts_the_listing(order: RowOrder[Row]) -> None:
    def leave(page: int, rows: list[Row]) -> None:
        if page == 1:
            del rows[0]

    fetch, _ = _server(_rows(6), leave)
    stream = OverlapStream(fetch, 3, order)
    assert sorted(r.name for r in stream) == [f"r{i}" for i in range(6)]
    assert stream.complete and stream.restarts == 1


def test_newest_first_a_row_committed_at_the_top_is_read_twice_returned_once() -> None:
    def commit(page: int, rows: list[Row]) -> None:
        if page == 1:
            rows.insert(0, Row("new"))

    fetch, _ = _server(_rows(6), commit)
    stream = OverlapStream(fetch, 3, NEWEST_FIRST)
    assert [r.name for r in stream] == [f"r{i}" for i in range(6)]
    assert stream.complete and stream.restarts == 0  # the new row is the next window's


def test_oldest_first_the_last_row_changed_and_moved_to_the_end_skips_nothing() -> None:
    """Between two pages the rows before the last one read leave, and the last one
    changes (it moves to the end, where the overlap row is then found): the row that
    was still unread must not be skipped."""

    def churn(page: int, rows: list[Row]) -> None:
        if page == 1:  # r0 leaves, r1 is cleared and finishes again
            rows[:] = [rows[2], Row("r1", state=1)]

    fetch, _ = _server(_rows(3), churn)
    stream = OverlapStream(fetch, 2, OLDEST_FIRST)
    got = [(r.name, r.state) for r in stream]
    assert ("r2", 0) in got and ("r1", 1) in got
    assert stream.complete


def test_rows_older_than_the_window_end_the_listing_unreturned() -> None:
    order = RowOrder(
        "rows", key=lambda r: r.name, newest_first=True, before_window=lambda r: r.age > 1
    )
    rows = [Row("a", age=0), Row("b", age=1), Row("c", age=2), Row("d", age=3)]
    fetch, calls = _server(rows, lambda page, rows: None)
    stream = OverlapStream(fetch, 2, order)
    assert [r.name for r in stream] == ["a", "b"]
    assert stream.complete and len(calls) == 2


def test_a_listing_that_keeps_moving_ends_incomplete_and_says_so() -> None:
    def churn(page: int, rows: list[Row]) -> None:
        rows.append(rows.pop(0))

    fetch, _ = _server(_rows(40), churn)
    stream = OverlapStream(fetch, 3, OLDEST_FIRST)
    list(stream)
    assert not stream.complete and stream.restarts == MAX_OVERLAP_RESTARTS + 1
    assert "rows kept changing under the listing" in (stream.problem or "")
