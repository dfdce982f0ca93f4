"""The sensor and a decommissioned DAG: the runs of Dagster's intervals are not recorded.

The boundary under every interleaving is in test_sensor_decommission_model.py;
here, the rule on single runs, and the sensor built from an airlift.yaml with a
``decommissioned:`` block.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest
import yaml
from airlift_stub import StubAirflow
from component_fixtures import AIRLIFT_YAML, airflows, factory, write_project

from airlift_component.airflow_api.types import DagRun
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.airflow_state.state import AirflowState
from airlift_component.component import build_defs
from airlift_component.component.asset_specs import instance_specs
from airlift_component.component.sensor import build_sensor
from airlift_component.config.airlift_yaml.model import AirliftFile, DagMapping
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.decommissioned import (
    dagster_owns,
    first_ticks,
    parse_first_tick,
    skipped_warning,
)
from airlift_component.sensor.run_pass import PassResult, PassSettings, sensor_pass
from tests.harness.airflow_model import PYTHON, T0, ModelClient
from tests.unit.test_sensor_decommission_model import HOUR, MAPPED, IntervalWorld

FIRST = datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc)  # 03:00 in Amsterdam, after DST


def _run(**dates: datetime) -> DagRun:
    return DagRun("d0", "scheduled__x", "success", **dates)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-29T03:00:00+02:00", FIRST),
        ("2026-03-29T01:00Z", FIRST),
        ("2026-03-29T01:00:00.000+00:00", FIRST),
    ],
    ids=["offset", "zulu-no-seconds", "fraction"],
)
def test_first_tick_is_read_as_an_aware_moment(text: str, expected: datetime) -> None:
    assert parse_first_tick(text) == expected


def test_first_ticks_name_only_decommissioned_dags() -> None:
    block = {
        "cron": "0 3 * * *",
        "timezone": "Europe/Amsterdam",
        "first_tick": "2026-03-29T03:00:00+02:00",
        "logical_date": "interval_start",
        "paused_by_airlift": True,
    }
    mappings = [
        DagMapping.model_validate({"dag": "d0", "decommissioned": block}),
        DagMapping.model_validate({"dag": "d1"}),
    ]
    assert first_ticks(mappings) == {"d0": FIRST}


@pytest.mark.parametrize(
    ("dates", "dagsters"),
    [
        ({"data_interval_end": FIRST - timedelta(microseconds=1)}, False),
        ({"data_interval_end": FIRST}, True),
        ({"data_interval_end": FIRST + HOUR}, True),
        # The interval decides, not the logical date (Airflow 2: its start).
        ({"data_interval_end": FIRST, "logical_date": FIRST - 24 * HOUR}, True),
        ({"data_interval_end": FIRST - 24 * HOUR, "logical_date": FIRST}, False),
        # Without an interval, the logical date, then the start date.
        ({"logical_date": FIRST}, True),
        ({"logical_date": FIRST - HOUR, "start_date": FIRST + HOUR}, False),
        ({"start_date": FIRST + HOUR}, True),
        ({}, False),
    ],
    ids=[
        "ends-before",
        "ends-at-first-tick",
        "ends-after",
        "interval-over-logical-date",
        "interval-over-later-logical-date",
        "logical-date",
        "logical-date-over-start",
        "start-date",
        "no-date-is-recorded",
    ],
)
def test_the_interval_end_decides_who_owns_a_run(
    dates: dict[str, datetime], dagsters: bool
) -> None:
    owner = dagster_owns(_run(**dates), {"d0": FIRST})
    assert (owner == FIRST) if dagsters else owner is None


def test_a_dag_not_decommissioned_is_always_airflows() -> None:
    assert dagster_owns(_run(data_interval_end=FIRST + HOUR), {"other": FIRST}) is None


def test_the_warning_names_the_dag_the_run_the_boundary_and_the_remedy() -> None:
    text = skipped_warning(_run(data_interval_end=FIRST + HOUR), FIRST)
    assert "DAG 'd0' is decommissioned" in text
    assert "run 'scheduled__x' (success)" in text
    assert "data interval ends 2026-03-29T02:00:00+00:00" in text
    assert "from 2026-03-29T01:00:00+00:00" in text
    assert "Pause the DAG in Airflow" in text
    assert "`airlift decommission d0 --undo`" in text


def _pass(world: IntervalWorld, cursor: SensorCursor) -> PassResult:
    return sensor_pass(
        ModelClient(world, 10),
        cursor,
        now=world.now,
        settings=PassSettings(timedelta(days=10), timedelta(minutes=10), 100, 10),
        mapped_tasks=MAPPED,
        needs_tasks=set(MAPPED),
        fallback=ProxiedLookup(),
        boundaries={"d0": T0},
    )


def test_a_pass_skips_dagsters_interval_once_and_records_a_retry_of_airflows() -> None:
    world = IntervalWorld()
    late = world.start_interval("d0", 0)  # ends at the first tick: Dagster's
    mine = world.start_interval("d0", -1)  # Airflow's last interval, run late
    for key in (late, mine):
        world.finish_run(key, lambda _task: (True, PYTHON))
    world.advance(60)
    first = _pass(world, SensorCursor())
    assert {o.run.run_id for o in first.outcomes} == {mine[1]}
    assert len(first.skipped) == 1 and f"run {late[1]!r}" in first.skipped[0]
    # Listed again unchanged: neither recorded nor warned about again.
    world.advance(60)
    again = _pass(world, first.cursor)
    assert again.outcomes == [] and again.skipped == []
    # A clear of Airflow's interval after the decommission is recorded as a retry.
    world.clear(mine, [("a", -1)])
    world.finish_run(mine, lambda _task: (True, PYTHON))
    world.advance(60)
    retry = _pass(world, again.cursor)
    assert [(ti.task_id, ti.try_number) for o in retry.outcomes for ti in o.tries] == [("a", 2)]


def _sensor(stubs: dict[str, StubAirflow], first: datetime) -> dg.SensorDefinition:
    """The prod sensor, built as the definitions build it: from an instance without
    its mappings, with the first ticks of the decommissioned DAGs."""
    instance = AirliftFile.model_validate(yaml.safe_load(AIRLIFT_YAML)).instances[0]
    state = AirflowState("prod", instance.url, "v1", "", T0, "")
    _, index = instance_specs(
        instance, state, {"customers": "http://127.0.0.1:8080/dags/customers"}
    )
    return build_sensor(
        instance.model_copy(update={"mappings": []}),
        index,
        state,
        client_factory=factory(stubs),
        decommissioned={"customers": first},
    )


def test_the_sensor_does_not_record_a_run_of_dagsters_interval(
    capfd: pytest.CaptureFixture[str],
) -> None:
    now = datetime.now(timezone.utc)
    first = now.replace(minute=0, second=0, microsecond=0) - HOUR
    stubs = airflows()
    sensor = _sensor(stubs, first)
    prod = stubs["prod"]
    prod.finish_run(
        "customers", "scheduled__airflows", now - timedelta(minutes=3), logical_date=first - HOUR
    )
    prod.finish_run(
        "customers", "scheduled__dagsters", now - timedelta(minutes=2), logical_date=first
    )
    instance = dg.DagsterInstance.ephemeral()
    result = sensor(dg.build_sensor_context(instance=instance))
    assert isinstance(result, dg.SensorResult)
    recorded = {str(e.metadata["airflow/run_id"].value) for e in result.asset_events or []}
    assert recorded == {"scheduled__airflows"}
    err = capfd.readouterr().err
    assert "DAG 'customers' is decommissioned" in err
    assert err.count("run 'scheduled__dagsters' (success)") == 1
    # The cursor moved past it: the next tick neither records nor warns again.
    again = sensor(dg.build_sensor_context(instance=instance, cursor=result.cursor))
    assert not getattr(again, "asset_events", None)
    assert "decommissioned" not in capfd.readouterr().err


def test_a_tick_with_only_dagsters_runs_stores_the_moved_cursor_and_requests_no_checks() -> None:
    now = datetime.now(timezone.utc)
    first = now - 2 * HOUR
    stubs = airflows()
    sensor = _sensor(stubs, first)
    stubs["prod"].finish_run(
        "customers", "manual__by_mistake", now - timedelta(minutes=1), logical_date=now - HOUR
    )
    result = sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()))
    assert isinstance(result, dg.SensorResult)
    assert not result.asset_events and not result.run_requests
    assert result.cursor is not None
    memory = SensorCursor.from_json(result.cursor).runs
    assert ("customers", "manual__by_mistake") in memory


def test_a_run_of_dagsters_interval_with_nothing_to_record_is_not_warned_about() -> None:
    world = IntervalWorld()
    failed = world.start_interval("d0", 1)
    world.finish_run(failed, lambda _task: (False, PYTHON))
    world.advance(60)
    result = _pass(world, SensorCursor())
    assert result.outcomes == [] and result.skipped == []
    assert failed in result.cursor.runs  # settled: not read again


def test_the_sensor_built_from_airlift_yaml_reads_the_decommissioned_block(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The definitions pass each decommissioned DAG's first tick to the sensor they build
    (the sensor's instance has no mappings of its own)."""
    now = datetime.now(timezone.utc)
    first = now.replace(minute=0, second=0, microsecond=0) - HOUR
    block = (
        "        decommissioned:\n"
        '          cron: "0 * * * *"\n'
        '          timezone: "UTC"\n'
        f'          first_tick: "{first.isoformat()}"\n'
        '          logical_date: "tick"\n'
        "          paused_by_airlift: true\n"
    )
    text = AIRLIFT_YAML.replace("      - dag: customers\n", "      - dag: customers\n" + block, 1)
    stubs = airflows()
    path = write_project(tmp_path, text)
    defs = build_defs(path, refresh="if_missing", client_factory=factory(stubs))
    prod = stubs["prod"]
    prod.finish_run(
        "customers", "scheduled__airflows", now - timedelta(minutes=3), logical_date=first - HOUR
    )
    prod.finish_run(
        "customers", "scheduled__dagsters", now - timedelta(minutes=2), logical_date=first
    )
    sensor = defs.resolve_sensor_def("airlift_prod_sensor")
    result = sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()))
    assert isinstance(result, dg.SensorResult)
    recorded = {str(e.metadata["airflow/run_id"].value) for e in result.asset_events or []}
    assert recorded == {"scheduled__airflows"}
    assert "DAG 'customers' is decommissioned" in capfd.readouterr().err
