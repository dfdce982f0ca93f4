"""A DAG that runs in Airflow before the definitions know it (docs/exactly-once.md).

Its runs are warned about, not remembered as handled; once a refresh and a reload
put it in the definitions, the next tick looks back ``lookback_hours`` before its
window for that DAG alone and records what it finds, once. Other DAGs keep their
window; an older cursor (without the DAG ids it covers) is upgraded without a look
back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest
from airlift_stub import T0, StubAirflow
from sensor_project import SensorProject

from airlift_component.airflow_api.changed_runs import RunStream
from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.run_pass import PassSettings, sensor_pass


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Project(SensorProject):
    """The prod sensor over stub Airflows; ``reload(refresh=True)`` is `airlift refresh`
    followed by a code-location reload."""

    def reload(self, *, refresh: bool) -> None:
        self.defs = self.build("always" if refresh else "if_missing")
        self.sensor = self.defs.resolve_sensor_def("airlift_prod_sensor")

    def tick(self) -> list[tuple[str, str]]:
        """(asset key, run id) of what the tick recorded."""
        result = self.sensor(dg.build_sensor_context(instance=self.instance, cursor=self.cursor))
        if not isinstance(result, dg.SensorResult):
            return []
        self.cursor = result.cursor or self.cursor
        return sorted(
            (e.asset_key.to_user_string(), str(e.metadata["airflow/run_id"].value))
            for e in result.asset_events or []
        )


@pytest.fixture
def p(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_runs_before_the_refresh_are_recorded_once_after_it(
    p: Project, capfd: pytest.CaptureFixture[str]
) -> None:
    p.tick()
    p.prod.add_dag("brand_new", {"t": []})
    p.prod.finish_run("brand_new", "x", _now() - timedelta(minutes=30))  # before the window
    p.prod.finish_run("brand_new", "y", _now() - timedelta(minutes=1))  # in it: listed twice
    p.prod.finish_run("brand_new", "ancient", _now() - timedelta(hours=25))
    assert p.tick() == []
    assert "DAG 'brand_new' ran in Airflow" in capfd.readouterr().err
    # A customers run that became visible beyond the overlap (limit 1): out of its window,
    # and the look back for the new DAG must not reach it.
    late = p.prod.finish_run("customers", "late", _now() - timedelta(hours=2))
    p.prod.runs[-1] = replace(late, updated_at=_now() - timedelta(hours=2))

    p.reload(refresh=True)
    assert p.tick() == [("prod/dag/brand_new", "x"), ("prod/dag/brand_new", "y")]
    assert p.tick() == []
    assert "brand_new" in (SensorCursor.from_json(p.cursor).dags or ())


def test_a_dag_removed_and_added_back_gets_the_runs_of_its_absence(p: Project) -> None:
    p.tick()
    p.prod.add_dag("brand_new", {"t": []})
    p.reload(refresh=True)
    p.prod.finish_run("brand_new", "before", _now() - timedelta(minutes=3))
    assert p.tick() == [("prod/dag/brand_new", "before")]
    dag = p.prod.dags.pop("brand_new")  # e.g. excluded by the dags: filter for a while
    p.reload(refresh=True)
    p.prod.dags["brand_new"] = dag
    p.prod.finish_run("brand_new", "during", _now() - timedelta(minutes=2))
    assert p.tick() == []
    p.reload(refresh=True)
    assert p.tick() == [("prod/dag/brand_new", "during")]
    assert p.tick() == []


def test_an_older_cursor_is_upgraded_without_a_look_back(p: Project) -> None:
    p.tick()
    p.prod.add_dag("brand_new", {"t": []})
    p.prod.finish_run("brand_new", "x", _now() - timedelta(minutes=30))  # before the window
    p.tick()
    data = json.loads(p.cursor or "")
    assert "zlib" not in data and data.pop("dags")
    p.cursor = json.dumps(data)  # as the sensor stored it before it kept the DAG ids
    assert SensorCursor.from_json(p.cursor).dags is None

    p.reload(refresh=True)
    assert p.tick() == []  # the older cursor's promise: nothing before the upgrade
    assert "brand_new" in (SensorCursor.from_json(p.cursor).dags or ())
    p.prod.finish_run("brand_new", "y", _now())
    assert p.tick() == [("prod/dag/brand_new", "y")]


def _pass(stub: StubAirflow, cursor: SensorCursor, now: datetime, max_runs: int):  # type: ignore[no-untyped-def]
    return sensor_pass(
        stub.client(),
        cursor,
        now=now,
        settings=PassSettings(
            lookback=timedelta(hours=24),
            overlap=timedelta(minutes=10),
            max_runs=max_runs,
            batch_size=10,
        ),
        mapped_tasks={"customers": frozenset(), "brand_new": frozenset()},
        needs_tasks=(),
        fallback=ProxiedLookup(),
    )


def test_the_look_back_stays_pending_until_its_listing_is_read_to_the_end() -> None:
    stub = StubAirflow()
    now = T0 + timedelta(days=3)
    for n in range(3):
        stub.finish_run("brand_new", f"r{n}", now - timedelta(hours=20 - n))
    cursor = SensorCursor(now - timedelta(minutes=1), T0, dags=frozenset({"customers"}))

    done: list[str] = []
    for tick in range(3):
        result = _pass(stub, cursor, now + timedelta(minutes=tick), max_runs=1)
        done += [o.run.run_id for o in result.outcomes]
        cursor = result.cursor
        if tick < 2:
            assert cursor.dags == {"customers"}
            assert cursor.high_water == now - timedelta(minutes=1)  # not moved
            assert any("new to the sensor ('brand_new')" in text for text in result.limits)
    assert done == ["r0", "r1", "r2"]
    result = _pass(stub, cursor, now + timedelta(minutes=5), max_runs=1)
    assert result.outcomes == [] and result.limits == []
    assert result.cursor.dags == {"customers", "brand_new"}
    assert result.cursor.high_water == now + timedelta(minutes=5)


class _ShortLookBack:
    """A client whose look-back listing (the older window) ends short of its total."""

    def __init__(self, stub: StubAirflow, before: datetime) -> None:
        self.client = stub.client()
        self.before = before

    def changed_dag_runs(self, *, updated_at_gte: datetime) -> RunStream:
        stream = self.client.changed_dag_runs(updated_at_gte=updated_at_gte)
        if updated_at_gte >= self.before:
            return stream

        def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
            page, total = stream.fetch(offset, limit)
            return page, (total or 0) + 1

        return RunStream(fetch, stream.page_size)

    def list_task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]:
        return self.client.list_task_instances(runs)


def test_a_look_back_listing_cut_short_keeps_the_high_water_and_the_dag_pending() -> None:
    stub = StubAirflow()
    now = T0 + timedelta(days=3)
    stub.finish_run("brand_new", "r0", now - timedelta(hours=20))
    high_water = now - timedelta(minutes=1)
    cursor = SensorCursor(high_water, T0, dags=frozenset({"customers"}))
    result = sensor_pass(
        _ShortLookBack(stub, high_water - timedelta(hours=1)),
        cursor,
        now=now,
        settings=PassSettings(timedelta(hours=24), timedelta(minutes=10), 100, 10),
        mapped_tasks={"customers": frozenset(), "brand_new": frozenset()},
        needs_tasks=(),
        fallback=ProxiedLookup(),
    )
    assert [o.run.run_id for o in result.outcomes] == ["r0"]
    assert result.cursor.high_water == high_water and result.cursor.dags == {"customers"}
    assert any("reported 2 runs but sent 1" in text for text in result.limits)
    assert any("new to the sensor" in text for text in result.limits)
