"""The sensor requests the asset checks on what it records, once per recorded batch,
and records a tick's materializations upstream first (docs/exactly-once.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from component_fixtures import factory, write_project
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id
from sensor_project import SensorProject

from airlift_component.airflow_state.state_file import default_state_file, read_state_file
from airlift_component.component.asset_specs import instance_specs
from airlift_component.component.check_requests import (
    CHECKS_DAG_TAG,
    CHECKS_RUN_TAG,
    CheckTargets,
)
from airlift_component.component.defs_builder import load_model
from airlift_component.component.sensor import build_sensor


@dg.asset_check(asset=dg.AssetKey(["raw", "customers"]))
def raw_has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=dg.AssetKey(["prod", "dag", "customers"]))
def dag_ran() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=dg.AssetKey(["analytics", "published"]))
def published_ok() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=dg.AssetKey(["prod", "dag", "orders"]))
def orders_ran() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


CHECKS = [raw_has_rows, dag_ran, published_ok, orders_ran]


def _key(check: dg.AssetChecksDefinition) -> dg.AssetCheckKey:
    return next(iter(check.check_keys))


class Checked(SensorProject):
    """build_defs merged with the user's checks, as a code location would hold them."""

    def load(self) -> None:
        self.defs = dg.Definitions.merge(self.build(), dg.Definitions(asset_checks=CHECKS))
        self.repository = self.defs.get_repository_def()
        self.sensor = self.defs.resolve_sensor_def("airlift_prod_sensor")

    def tick(self) -> dg.SensorResult | dg.SkipReason:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, repository_def=self.repository
        )
        result = self.sensor(context)
        if isinstance(result, dg.SensorResult):
            self.cursor = result.cursor
        return result


def _requests(result: object) -> list[dg.RunRequest]:
    return list(getattr(result, "run_requests", None) or [])


@pytest.fixture
def c(tmp_path: Path) -> Checked:
    return Checked(tmp_path)


def test_checks_on_recorded_assets_run_once_per_airflow_run(c: Checked) -> None:
    c.finish("r1", 3)
    (request,) = _requests(c.tick())
    assert set(request.asset_check_keys or ()) == {
        _key(raw_has_rows),
        _key(dag_ran),
        _key(published_ok),
    }
    assert request.asset_selection == []  # nothing is materialized by the checks' run
    assert request.run_key is not None and request.run_key.startswith("airlift-checks:prod:")
    assert request.tags[CHECKS_DAG_TAG] == "customers"
    assert request.tags[CHECKS_RUN_TAG] == "r1"
    # The proxies' tags would make the sensor take it for a proxied task's run.
    assert not any(tag.startswith("airlift/airflow_") for tag in request.tags)
    assert _requests(c.tick()) == []
    c.finish("r2", 1)
    (second,) = _requests(c.tick())
    assert second.run_key != request.run_key
    assert second.tags[CHECKS_RUN_TAG] == "r2"


def test_the_same_batch_gets_the_same_run_key_after_a_cursor_reset(c: Checked) -> None:
    """A reset cursor records the run again; its checks' run key is the one Dagster
    already launched, so Dagster does not launch the checks again."""
    c.finish("r1", 3)
    (first,) = _requests(c.tick())
    c.cursor = None
    (again,) = _requests(c.tick())
    assert again.run_key == first.run_key


def test_resolved_for_the_daemon_to_the_asset_job_with_checks_only(c: Checked) -> None:
    c.finish("r1", 3)
    context = dg.build_sensor_context(instance=c.instance, repository_def=c.repository)
    data = c.sensor.evaluate_tick(context)
    (request,) = data.run_requests or []
    assert request.job_name == "__ASSET_JOB"
    assert request.asset_selection == []
    job = c.repository.get_job(request.job_name).get_subset(
        asset_selection=set(), asset_check_selection=set(request.asset_check_keys or ())
    )
    result = job.execute_in_process(instance=c.instance)
    evaluations = result.get_asset_check_evaluations()
    assert {(e.asset_check_key, e.passed) for e in evaluations} == {
        (key, True) for key in request.asset_check_keys or ()
    }
    assert result.get_asset_materialization_events() == []


def _launched(c: Checked, run_id: str, task_id: str) -> None:
    tags = {
        "airlift/airflow_instance": "prod",
        "airlift/airflow_dag_id": "customers",
        "airlift/airflow_run_id": run_id,
        "airlift/airflow_task_id": task_id,
        "airlift/airflow_try_number": "1",
    }
    c.instance.add_run(DagsterRun(job_name="__ASSET_JOB", run_id=make_new_run_id(), tags=tags))


def test_no_checks_requested_for_what_a_proxied_task_made_in_dagster(c: Checked) -> None:
    c.finish("r1", 3)
    _launched(c, "r1", "publish")  # its Dagster run made analytics/published
    (request,) = _requests(c.tick())
    assert _key(published_ok) not in set(request.asset_check_keys or ())
    assert _key(raw_has_rows) in set(request.asset_check_keys or ())


def test_turned_off_no_run_is_requested(c: Checked) -> None:
    model = load_model(c.path)
    instance = model.instances[0]
    stored = read_state_file(default_state_file(c.path))
    assert stored is not None
    state = stored.instances["prod"]
    _, index = instance_specs(instance, state, dict.fromkeys(state.dags, "http://x"))
    sensor = build_sensor(
        instance, index, state, client_factory=factory(c.stubs), run_asset_checks=False
    )
    c.finish("r1", 3)
    context = dg.build_sensor_context(instance=c.instance, repository_def=c.repository)
    result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    assert result.asset_events and not _requests(result)


@pytest.mark.filterwarnings("ignore:Specifying a partitions_def on an AssetCheckSpec")
def test_only_checks_that_run_on_their_own_are_requested() -> None:
    """A check defined with its asset would make Dagster materialize the asset; a
    partitioned check needs a partition the batch does not give."""
    daily = dg.DailyPartitionsDefinition(start_date="2026-01-01")

    @dg.asset(check_specs=[dg.AssetCheckSpec("bundled", asset="made")])
    def made() -> dg.MaterializeResult:
        return dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=True)])

    @dg.asset_check(asset="made")
    def alone() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    @dg.asset_check(asset="daily", partitions_def=daily)
    def per_day() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=True)

    @dg.multi_asset_check(
        specs=[dg.AssetCheckSpec("x", asset="made"), dg.AssetCheckSpec("y", asset="other")]
    )
    def together() -> Iterator[dg.AssetCheckResult]:
        yield dg.AssetCheckResult(check_name="x", asset_key="made", passed=True)
        yield dg.AssetCheckResult(check_name="y", asset_key="other", passed=True)

    defs = dg.Definitions(
        assets=[made, dg.AssetSpec("daily", partitions_def=daily), dg.AssetSpec("other")],
        asset_checks=[alone, per_day, together],
    )
    targets = CheckTargets(defs.get_repository_def())
    keys = targets.for_assets([dg.AssetKey("made"), dg.AssetKey("daily")])
    # Dagster cannot run one check of ``together`` without the other.
    assert keys == [
        dg.AssetCheckKey(dg.AssetKey("made"), "alone"),
        dg.AssetCheckKey(dg.AssetKey("made"), "x"),
        dg.AssetCheckKey(dg.AssetKey("other"), "y"),
    ]


def _order(result: object) -> list[str]:
    assert isinstance(result, dg.SensorResult), result
    return [e.asset_key.to_user_string() for e in result.asset_events or []]


def test_a_run_is_recorded_upstream_first_not_in_task_id_order(c: Checked) -> None:
    """extract -> validate -> load -> publish all end at the same time: the task graph
    decides (task-id order would put analytics/published before raw/customers)."""
    c.finish("r1", 3)
    assert _order(c.tick()) == [
        "raw/customers",
        "analytics/customers",
        "analytics/published",
        "reports/customers",
        "prod/dag/customers",
    ]


def test_end_time_decides_before_the_task_graph(c: Checked) -> None:
    c.finish("r1", 3)
    # publish ended before extract (a cleared extract re-ran after it, say)
    c.prod.tis = [
        replace(ti, end_date=ti.end_date - timedelta(seconds=20))
        if ti.task_id == "publish" and ti.end_date is not None
        else ti
        for ti in c.prod.tis
    ]
    assert _order(c.tick())[:2] == ["analytics/published", "raw/customers"]


def test_turned_off_in_airlift_yaml_no_run_is_requested(tmp_path: Path) -> None:
    from component_fixtures import AIRLIFT_YAML

    text = AIRLIFT_YAML.replace(
        "sensor: {interval_seconds: 5, batch_size: 2}",
        "sensor: {interval_seconds: 5, batch_size: 2, run_asset_checks: false}",
    )
    assert text != AIRLIFT_YAML
    c = Checked(tmp_path)
    c.path = write_project(tmp_path, text)
    c.load()
    c.finish("r1", 3)
    result = c.tick()
    assert isinstance(result, dg.SensorResult)
    assert result.asset_events and not _requests(result)
