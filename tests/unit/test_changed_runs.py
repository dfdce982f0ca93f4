"""Listing changed runs: the one-run page overlap that detects shifts, and the client
over both API shapes of the fake Airflow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from airlift_component.airflow_api.changed_runs import MAX_RESTARTS, RunStream
from airlift_component.airflow_api.parse import parse_task_instance
from airlift_component.airflow_api.types import DagRun
from tests.harness.fake_airflow import FakeAirflow

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def _runs(n: int) -> list[DagRun]:
    return [
        DagRun("d", f"r{i}", "success", start_date=T0, end_date=T0 + timedelta(seconds=i))
        for i in range(n)
    ]


def _server(rows: list[DagRun], before_page: Callable[[int], None] = lambda _: None):
    calls: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
        before_page(len(calls))
        calls.append((offset, limit))
        return rows[offset : offset + limit], len(rows)

    return fetch, calls


def test_reads_every_page_with_one_run_of_overlap() -> None:
    rows = _runs(7)
    fetch, calls = _server(rows)
    stream = RunStream(fetch, 3)
    assert [r.run_id for r in stream] == [f"r{i}" for i in range(7)]
    assert stream.complete and stream.problem is None
    assert calls == [(0, 3), (2, 4), (5, 4)]


def test_a_row_leaving_before_the_page_boundary_restarts_instead_of_skipping() -> None:
    rows = _runs(6)

    def shift(page: int) -> None:
        if page == 1:  # r0 is cleared (leaves the finished runs) between pages
            del rows[0]

    fetch, _ = _server(rows, shift)
    stream = RunStream(fetch, 3)
    seen = [r.run_id for r in stream]
    assert sorted(seen) == [f"r{i}" for i in range(6)]  # r3 was not skipped
    assert len(seen) == len(set(seen))  # nothing returned twice
    assert stream.complete and stream.restarts == 1


def test_runs_that_keep_shifting_end_the_listing_incomplete() -> None:
    rows = _runs(40)

    def churn(page: int) -> None:
        if page % 2:
            rows.append(rows.pop(0))  # a run updated: it moves to the end

    fetch, _ = _server(rows, churn)
    stream = RunStream(fetch, 3)
    list(stream)
    assert not stream.complete
    assert stream.restarts == MAX_RESTARTS + 1
    assert "kept changing" in (stream.problem or "")


def test_pages_that_end_before_the_total_leave_the_listing_incomplete() -> None:
    def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
        return ([] if offset else _runs(2)), 5

    stream = RunStream(fetch, 2)
    list(stream)
    assert not stream.complete
    assert stream.problem


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_client_lists_changed_runs_by_updated_at(api: str) -> None:
    with FakeAirflow(api=api, max_page_limit=2) as fake:
        fake.add_dag("d", {"t": []})
        now = datetime.now(timezone.utc)
        for i in range(5):
            fake.add_finished_run("d", f"r{i}", end_date=now - timedelta(minutes=5 - i))
        fake.add_run("d", "running", state="running")
        with fake.client() as client:
            stream = client.changed_dag_runs(updated_at_gte=now - timedelta(minutes=3, seconds=1))
            assert [r.run_id for r in stream] == ["r2", "r3", "r4"]
            assert stream.complete
        sent = fake.api_requests(r"/dags/~/dagRuns$")
        assert sent[0].query["order_by"] == ["updated_at"]
        assert sorted(sent[0].query["state"]) == ["failed", "success"]
        assert "updated_at_gte" in sent[0].query


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        pytest.param({"operator": "PythonOperator"}, "PythonOperator", id="v1-and-v2"),
        pytest.param({"operator": None, "operator_name": "Custom"}, "Custom", id="v2-name-only"),
        pytest.param({}, None, id="absent"),
    ],
)
def test_task_instance_carries_the_recorded_operator(
    record: dict[str, object], expected: str | None
) -> None:
    base = {"dag_id": "d", "dag_run_id": "r", "task_id": "t", "state": "success"}
    assert parse_task_instance({**base, **record}).operator == expected
