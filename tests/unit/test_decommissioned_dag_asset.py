"""A decommissioned DAG's own asset follows its Dagster runs, so checks on it stay live.

Built from airlift.yaml with a ``decommissioned:`` block and a freshness check
declared on the DAG: the schedule's run is executed in process with the tags the
schedule gives it, and the sensor ``airlift_<instance>_decommissioned_dags``
materializes the DAG asset once for it and requests the checks on it; the freshness
check then passes where it would otherwise go stale for good.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import pytest
from component_fixtures import airflows, factory, write_project
from decommissioned_project import decommissioned_defs

from airlift_component.component import build_defs
from airlift_component.component.decommissioned_runs import (
    DAGSTER_RUN_METADATA,
    decommissioned_runs_sensor,
    sensor_name,
)
from airlift_component.config.airlift_yaml.model import DagMapping
from airlift_component.mapping_tags import LOGICAL_DATE_TAG, mapping_tags

DECOMMISSIONED = """\
        checks:
          - type: freshness
            max_lag: 26h
        decommissioned:
          cron: "0 3 * * *"
          timezone: "UTC"
          first_tick: "2026-12-08T03:00:00+00:00"
          logical_date: "tick"
          paused_by_airlift: true
"""
DAG_KEY = dg.AssetKey(["prod", "dag", "customers"])
TICK = datetime(2026, 12, 8, 3, tzinfo=timezone.utc)


@pytest.fixture
def defs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dg.Definitions:
    return decommissioned_defs(tmp_path, monkeypatch, DECOMMISSIONED)


class Deployment:
    def __init__(self, defs: dg.Definitions) -> None:
        self.defs = defs
        self.repository = defs.get_repository_def()
        self.instance = dg.DagsterInstance.ephemeral()
        self.sensor = defs.resolve_sensor_def(sensor_name("prod"))
        self.cursor: str | None = None

    def scheduled_run(self) -> dg.ExecuteInProcessResult:
        """The run the DAG's schedule requests at its first tick, executed."""
        schedule = self.defs.resolve_schedule_def("prod__customers__schedule")
        context = dg.build_schedule_context(
            scheduled_execution_time=TICK, repository_def=self.repository
        )
        (request,) = schedule.evaluate_tick(context).run_requests or []
        job = self.defs.resolve_job_def(schedule.job_name)
        return job.execute_in_process(instance=self.instance, tags=request.tags)

    def tick(self) -> dg.SensorResult | dg.SkipReason:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, repository_def=self.repository
        )
        result = self.sensor(context)
        self.cursor = context.cursor if isinstance(result, dg.SkipReason) else result.cursor
        return result

    def run_checks(self, request: dg.RunRequest) -> list[dg.AssetCheckEvaluation]:
        job = self.repository.get_job("__ASSET_JOB").get_subset(
            asset_selection=set(), asset_check_selection=set(request.asset_check_keys or ())
        )
        result = job.execute_in_process(instance=self.instance, tags=request.tags)
        return result.get_asset_check_evaluations()


def test_each_successful_dagster_run_materializes_the_dag_asset_once(
    defs: dg.Definitions,
) -> None:
    d = Deployment(defs)
    run = d.scheduled_run()
    assert run.success
    result = d.tick()
    assert isinstance(result, dg.SensorResult)
    (event,) = result.asset_events or []
    assert isinstance(event, dg.AssetMaterialization)
    assert event.asset_key == DAG_KEY
    assert event.metadata[DAGSTER_RUN_METADATA].value == run.run_id
    assert event.metadata[LOGICAL_DATE_TAG].value == TICK.isoformat()
    # The same run is not recorded again on later ticks.
    assert isinstance(d.tick(), dg.SkipReason)
    assert isinstance(d.tick(), dg.SkipReason)


def test_the_declared_freshness_check_runs_after_it_and_passes(defs: dg.Definitions) -> None:
    d = Deployment(defs)
    d.scheduled_run()
    result = d.tick()
    assert isinstance(result, dg.SensorResult)
    (request,) = result.run_requests or []
    assert request.asset_selection == []
    assert {key.asset_key for key in request.asset_check_keys or ()} == {DAG_KEY}
    for record in result.asset_events or []:
        assert isinstance(record, dg.AssetMaterialization)
        d.instance.report_runless_asset_event(record)
    (evaluation,) = d.run_checks(request)
    assert evaluation.passed


def test_a_failed_dagster_run_records_nothing() -> None:
    """As a failed Airflow run, a failed Dagster run of the DAG does not update its asset."""

    @dg.asset(key=["raw", "customers"])
    def broken() -> None:
        raise RuntimeError("the Dagster code failed")

    defs = dg.Definitions(
        assets=[broken, dg.AssetSpec(DAG_KEY)],
        sensors=[decommissioned_runs_sensor("prod", ["customers"])],
    )
    d = Deployment(defs)
    job = defs.resolve_implicit_global_asset_job_def()
    tags = mapping_tags("prod", "customers")
    assert not job.execute_in_process(instance=d.instance, tags=tags, raise_on_error=False).success
    assert isinstance(d.tick(), dg.SkipReason)


def test_runs_of_other_dags_and_unrelated_runs_are_not_recorded() -> None:
    @dg.asset(key=["raw", "customers"])
    def ok() -> None: ...

    defs = dg.Definitions(
        assets=[ok, dg.AssetSpec(DAG_KEY)],
        sensors=[decommissioned_runs_sensor("prod", ["customers"])],
    )
    d = Deployment(defs)
    job = defs.resolve_implicit_global_asset_job_def()
    job.execute_in_process(instance=d.instance, tags=mapping_tags("prod", "orders"))
    job.execute_in_process(instance=d.instance, tags=mapping_tags("other", "customers"))
    job.execute_in_process(instance=d.instance)  # materialized by hand in the UI
    assert isinstance(d.tick(), dg.SkipReason)
    job.execute_in_process(instance=d.instance, tags=mapping_tags("prod", "customers"))
    result = d.tick()
    assert isinstance(result, dg.SensorResult) and len(result.asset_events or []) == 1


def test_no_sensor_without_a_decommissioned_dag(tmp_path: Path) -> None:
    defs = build_defs(
        write_project(tmp_path), refresh="if_missing", client_factory=factory(airflows())
    )
    names = {sensor.name for sensor in defs.sensors or []}
    assert sensor_name("prod") not in names


def test_the_reference_says_the_dag_asset_follows_the_dagster_runs() -> None:
    """The ``decommissioned:`` field's description (the generated reference and the
    JSON Schema's hover text) names the sensor this module tests and what it does."""
    description = DagMapping.model_fields["decommissioned"].description or ""
    assert f"`{sensor_name('<instance>')}`" in description
    assert "follows the Dagster runs" in description
    assert "once per successful Dagster run" in description
