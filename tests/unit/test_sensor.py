"""The sensor: what a tick records, and that it records every run exactly once."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest
from airlift_stub import StubAirflow
from component_fixtures import write_project
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id
from sensor_project import SensorProject

from airlift_component.sensor.cursor import SensorCursor


def _now() -> datetime:
    # Read the clock when a run is made, not when the module is imported: the sensor
    # compares with its own clock, and a suite may import this module long before.
    return datetime.now(timezone.utc)


class Harness(SensorProject):
    """Ticks of the prod sensor (a cursor moves only with a result)."""

    def tick(self) -> dg.SensorResult | dg.SkipReason:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor)
        result = self.sensor(context)
        if isinstance(result, dg.SensorResult):
            self.cursor = result.cursor
        return result


def _nothing_new(result: object) -> bool:
    """A tick that recorded nothing (it may still store a moved cursor)."""
    return not getattr(result, "asset_events", None)


def _events(result: object) -> list[tuple[str, str | None, str]]:
    assert isinstance(result, dg.SensorResult), result
    return sorted(
        (e.asset_key.to_user_string(), e.partition, str(e.metadata["airflow/run_id"].value))
        for e in result.asset_events or []
    )


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path)


def test_successful_run_records_mapped_task_dag_level_and_dag_assets(h: Harness) -> None:
    logical = datetime(2026, 3, 4, tzinfo=timezone.utc)
    h.finish("r1", 3, logical_date=logical)
    assert _events(h.tick()) == [
        ("analytics/customers", "2026-03-04", "r1"),
        ("analytics/published", None, "r1"),
        ("prod/dag/customers", None, "r1"),
        ("raw/customers", None, "r1"),
        ("reports/customers", None, "r1"),
    ]


def test_materialization_metadata(h: Harness) -> None:
    h.finish("r1", 3)
    result = h.tick()
    assert isinstance(result, dg.SensorResult)
    by_key = {e.asset_key.to_user_string(): e for e in result.asset_events or []}
    task_md = by_key["raw/customers"].metadata
    run = h.prod.runs[0]
    assert task_md["airflow/run_id"].value == "r1"
    assert task_md["airflow/run_url"] == dg.MetadataValue.url(
        "http://127.0.0.1:8080/dags/customers/runs/r1"
    )
    assert task_md["airflow/logical_date"].value == run.logical_date.isoformat()  # type: ignore[union-attr]
    assert task_md["airflow/start_date"].value == run.start_date.isoformat()  # type: ignore[union-attr]
    assert task_md["airflow/end_date"].value == run.end_date.isoformat()  # type: ignore[union-attr]
    assert task_md["airflow/task_id"].value == "extract"
    assert task_md["airflow/try_number"].value == 1
    assert "airflow/task_id" not in by_key["prod/dag/customers"].metadata


def test_second_tick_records_nothing_new(h: Harness) -> None:
    h.finish("r1", 3)
    h.tick()
    assert _nothing_new(h.tick())


def test_failed_run_records_only_successful_tasks(h: Harness) -> None:
    h.finish("r1", 3, state="failed", task_states={"load": "failed", "publish": "upstream_failed"})
    assert [k for k, _, _ in _events(h.tick())] == ["raw/customers"]


def test_outage_fails_soft_keeps_cursor_and_loses_nothing(h: Harness) -> None:
    h.finish("r1", 5)
    h.tick()
    before = h.cursor
    h.finish("r2", 4)
    h.prod.down = True
    skipped = h.tick()
    assert isinstance(skipped, dg.SkipReason)
    assert "could not be read" in (skipped.skip_message or "")
    assert h.cursor == before
    h.prod.down = False
    h.finish("r3", 2)
    runs = {run_id for _, _, run_id in _events(h.tick())}
    assert runs == {"r2", "r3"}


def test_restart_with_stored_cursor_records_nothing_twice(h: Harness) -> None:
    h.finish("r1", 5)
    h.tick()
    h.load()
    h.finish("r2", 1)
    assert {run_id for _, _, run_id in _events(h.tick())} == {"r2"}


def test_run_visible_late_with_earlier_end_date_is_recorded_once(h: Harness) -> None:
    h.finish("late", 2)
    h.tick()
    h.finish("early", 6)  # ended before 'late' but was reported after it
    assert {run_id for _, _, run_id in _events(h.tick())} == {"early"}
    assert _nothing_new(h.tick())


def test_many_runs_at_identical_end_date(h: Harness) -> None:
    for i in range(7):
        h.finish(f"r{i}", 1)
    assert {run_id for _, _, run_id in _events(h.tick())} == {f"r{i}" for i in range(7)}
    assert _nothing_new(h.tick())


def test_task_instances_are_fetched_in_batches_of_batch_size(h: Harness) -> None:
    for i in range(5):
        h.finish(f"r{i}", 1 + i)
    h.prod.calls.clear()
    h.tick()
    assert h.prod.calls.count("tis") == 3  # batch_size 2 in the fixture


def _launched(h: Harness, run_id: str, task_id: str, try_number: int = 1) -> None:
    """A Dagster run as a proxy operator launches it for an Airflow try."""
    tags = {
        "airlift/airflow_instance": "prod",
        "airlift/airflow_dag_id": "customers",
        "airlift/airflow_run_id": run_id,
        "airlift/airflow_task_id": task_id,
        "airlift/airflow_try_number": str(try_number),
    }
    h.instance.add_run(DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id(), tags=tags))


def test_proxied_task_by_operator_name_is_not_recorded(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.prod.set_operator("customers", "load", "DefaultProxyTaskToDagsterOperator")
    _drop_cache(tmp_path)
    h.load()
    h.finish("r1", 2)
    _launched(h, "r1", "load")
    assert "analytics/customers" not in {k for k, _, _ in _events(h.tick())}


def test_a_dagster_run_of_the_try_decides_over_the_recorded_operator(tmp_path: Path) -> None:
    """Airflow 3 writes the operator when the run is created: after a flip while the run
    was in flight, the Dagster runs the proxies launched say what ran."""
    h = Harness(tmp_path)
    h.prod.set_operator("customers", "load", "DefaultProxyTaskToDagsterOperator")
    h.finish("r1", 2)  # flipped on: recorded as the original operator, ran as the proxy
    h.prod.set_operator("customers", "load", "PythonOperator")
    h.prod.tis = [
        replace(ti, operator="PythonOperator") if ti.task_id == "load" else ti for ti in h.prod.tis
    ]
    _launched(h, "r1", "load")
    h.prod.set_operator("customers", "load", "DefaultProxyTaskToDagsterOperator")
    h.finish("r2", 1)  # flipped off: recorded as the proxy, no Dagster run launched
    recorded = {(k, run) for k, _, run in _events(h.tick())}
    assert ("analytics/customers", "r1") not in recorded
    assert ("analytics/customers", "r2") in recorded


def _reading_proxied_state(tmp_path: Path, customers: str) -> Harness:
    """A harness whose prod instance reads ``proxied_state/``, where DAG customers'
    file says ``customers``."""
    state_dir = tmp_path / "proxied_state"
    state_dir.mkdir()
    (state_dir / "customers.yaml").write_text(customers)
    sensor = "    sensor: {interval_seconds: 5, batch_size: 2}\n"
    text = write_project(tmp_path).read_text()
    return Harness(
        tmp_path, text.replace(sensor, f"{sensor}    proxied_state_dir: proxied_state\n", 1)
    )


def test_proxied_state_dir_decides_when_configured(tmp_path: Path) -> None:
    h = _reading_proxied_state(tmp_path, "tasks:\n  - id: extract\n    proxied: true\n")
    h.finish("r1", 2)
    h.prod.tis = [replace(ti, operator=None) for ti in h.prod.tis]  # an Airflow that omits it
    _launched(h, "r1", "extract")
    keys = {k for k, _, _ in _events(h.tick())}
    assert "raw/customers" not in keys
    assert "analytics/customers" in keys


def test_recorded_operator_beats_todays_proxied_state_file(tmp_path: Path) -> None:
    """The file flipped to proxied after the run started: Airflow ran the original
    operator, so its assets were not made in Dagster and the try is recorded."""
    h = _reading_proxied_state(tmp_path, "tasks:\n  - id: extract\n    proxied: true\n")
    h.finish("r1", 2)
    assert "raw/customers" in {k for k, _, _ in _events(h.tick())}


def test_whole_dag_proxied_skips_task_and_dag_level_assets_but_not_dag_asset(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path)
    h.prod.set_operator("customers", "extract", "MyProxyDAGToDagsterOperator")
    _drop_cache(tmp_path)
    h.load()
    h.finish("r1", 2)
    assert [k for k, _, _ in _events(h.tick())] == ["prod/dag/customers"]


def test_renamed_task_warns_naming_the_dag(h: Harness, capfd: pytest.CaptureFixture[str]) -> None:
    h.prod.tasks["customers"] = [t for t in h.prod.tasks["customers"] if t.task_id != "publish"]
    h.finish("r1", 2)
    keys = {k for k, _, _ in _events(h.tick())}
    assert "analytics/published" not in keys
    assert "DAG 'customers': task 'publish' is mapped" in capfd.readouterr().err


def test_run_of_dag_unknown_to_definitions_warns(
    h: Harness, capfd: pytest.CaptureFixture[str]
) -> None:
    h.prod.add_dag("brand_new", {"t": []})
    h.prod.finish_run("brand_new", "x", _now() - timedelta(minutes=1))
    assert isinstance(h.tick(), dg.SensorResult)
    assert "DAG 'brand_new' ran in Airflow" in capfd.readouterr().err


def test_first_tick_respects_lookback(h: Harness) -> None:
    h.finish("ancient", 60 * 25)  # lookback_hours defaults to 24
    h.finish("recent", 1)
    assert {run_id for _, _, run_id in _events(h.tick())} == {"recent"}
    assert SensorCursor.from_json(h.cursor).high_water is not None


def _drop_cache(tmp_path: Path) -> None:
    for path in (tmp_path / ".airlift" / "cache").glob("*.json"):
        path.unlink()


def test_stub_only_knows_its_own_dags() -> None:
    assert StubAirflow().client().list_dags() == []


def test_dag_proxied_in_state_dir_records_only_dag_asset_without_warnings(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    h = _reading_proxied_state(tmp_path, "proxied: true\n")
    h.prod.tasks["customers"] = []  # the proxied DAG runs one Dagster-launching task instead
    h.finish("r1", 2)
    assert [k for k, _, _ in _events(h.tick())] == ["prod/dag/customers"]
    assert "is mapped in airlift.yaml but did not run" not in capfd.readouterr().err


def test_a_cursor_of_another_instance_is_a_logged_skip_not_a_failed_tick(h: Harness) -> None:
    h.finish("r1", 5)
    h.tick()
    stored = SensorCursor.from_json(h.cursor or "")
    h.cursor = replace(stored, instance="staging").to_json()
    h.finish("r2", 1)
    skipped = h.tick()
    assert isinstance(skipped, dg.SkipReason)
    assert "'staging', not 'prod'" in (skipped.skip_message or "")
    assert "Set cursor" in (skipped.skip_message or "")
    h.cursor = None  # the reset the message asks for
    assert "r2" in {run_id for _, _, run_id in _events(h.tick())}
