"""Pure helpers of the client: Retry-After, backoff, glob → LIKE, paging, parsing."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from email.utils import format_datetime

import pytest

from airlift_component.airflow_api.endpoints import glob_to_like
from airlift_component.airflow_api.pagination import collect_pages
from airlift_component.airflow_api.parse import parse_dag, parse_dag_run, parse_datetime
from airlift_component.airflow_api.retry import RetryPolicy, parse_retry_after


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3.0), (" 0 ", 0.0), ("1.5", 1.5), ("-4", 0.0), ("soon", None), ("", None), (None, None)],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=timezone.utc).timestamp()
    later = format_datetime(datetime(2026, 11, 25, 12, 0, 7, tzinfo=timezone.utc), usegmt=True)
    earlier = format_datetime(datetime(2026, 11, 25, 11, 0, 0, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(7)
    assert parse_retry_after(earlier, now=now) == 0.0


def test_backoff_is_full_jitter_under_an_exponential_cap() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_max=4)
    rng = random.Random(7)
    for attempt, cap in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0)]:
        waits = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= w <= cap for w in waits)
        assert max(waits) > cap * 0.8 and min(waits) < cap * 0.2


@pytest.mark.parametrize(
    ("glob", "like"),
    [("*", None), ("sales_*", "sales_"), ("*_daily", "_daily"), ("a?c", "a_c"), ("[ab]*", None)],
)
def test_glob_to_server_side_pattern(glob: str, like: str | None) -> None:
    assert glob_to_like(glob) == like


def test_collect_pages_without_total_stops_on_a_short_page() -> None:
    data = list(range(25))
    calls: list[int] = []

    def fetch(offset: int, limit: int) -> tuple[list[int], int | None]:
        calls.append(offset)
        return data[offset : offset + limit], None

    assert collect_pages(fetch, page_size=10, key=lambda x: x) == data
    assert calls == [0, 10, 20]


def test_parse_accepts_z_offsets_naive_times_and_both_run_date_fields() -> None:
    assert parse_datetime("2026-01-02T03:04:05Z") == datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc
    )
    assert parse_datetime("2026-01-02T03:04:05").tzinfo is timezone.utc  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="start_date"):
        parse_datetime("yesterday", "start_date")
    run = parse_dag_run(
        {
            "dag_id": "d",
            "dag_run_id": "r",
            "state": "success",
            "execution_date": "2026-01-01T00:00:00+00:00",
        }
    )
    assert run.logical_date == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_parse_dag_reads_v1_and_v2_schedules_and_tags() -> None:
    v1 = parse_dag(
        {
            "dag_id": "a",
            "tags": [{"name": "x"}],
            "schedule_interval": {"__type": "CronExpression", "value": "0 * * * *"},
        }
    )
    v2 = parse_dag(
        {"dag_id": "a", "tags": [{"name": "x", "dag_id": "a"}], "timetable_summary": "@daily"}
    )
    assert (v1.schedule, v1.tags) == ("0 * * * *", ("x",))
    assert (v2.schedule, v2.tags) == ("@daily", ("x",))
