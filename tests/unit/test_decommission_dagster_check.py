"""`airlift decommission` pauses a DAG in Airflow only once Dagster has its schedule,
ticking first at Airflow's next run, and counts its ticks from before that run: against
in-process fakes of Airflow's REST API and Dagster's GraphQL API (the real systems:
tests/e2e/test_decommission_e2e.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from airlift_component.cli.decommission_steps import sensor_has_ticked
from airlift_component.cli.main import main
from airlift_component.dagster_api import DagsterClient
from airlift_component.errors import DagsterApiError
from tests.unit.decommission_support import (
    FakeAirflow,
    FakeDagster,
    FakeSchedule,
    fake_airflow,
    project,
    serving,
)

SCHEDULE = "prod__orders__schedule"
DEFINITIONS = "AirliftDecommissionDefinitions"


@pytest.fixture
def airflow(monkeypatch: pytest.MonkeyPatch) -> FakeAirflow:
    return fake_airflow(monkeypatch)


def _written(tmp_path: Path, airflow: FakeAirflow) -> tuple[Path, datetime]:
    """The block written (the first of the two steps): airlift.yaml and the first tick."""
    path = project(tmp_path)
    assert main(["decommission", "orders", "--config", str(path)]) == 0
    assert airflow.patches == []
    return path, datetime.fromisoformat(airflow.details["next_dagrun_run_after"])


def _check_and_pause(path: Path, fake: FakeDagster) -> int:
    """The second step: check Dagster, then pause."""
    with serving(fake) as url:
        return main(["decommission", "orders", "--config", str(path), "--dagster-url", url])


def test_dagster_counts_the_ticks_from_now_then_the_dag_is_paused(
    tmp_path: Path, airflow: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    path, first = _written(tmp_path, airflow)
    # Running by default, no state stored yet: stopped and started, in two more requests.
    fake = FakeDagster(schedules={SCHEDULE: FakeSchedule([first, first + timedelta(hours=1)])})
    assert _check_and_pause(path, fake) == 0
    assert fake.operations == [
        DEFINITIONS,
        "AirliftDecommissionStop",
        "AirliftDecommissionStart",
    ]
    start = fake.schedules[SCHEDULE].start
    assert start is not None and start < first
    assert airflow.patches == [True]
    assert "paused DAG 'orders' in Airflow" in capsys.readouterr().out


def test_a_stored_start_before_the_first_tick_is_kept(tmp_path: Path, airflow: FakeAirflow) -> None:
    path, first = _written(tmp_path, airflow)
    stored = first - timedelta(minutes=30)
    fake = FakeDagster(schedules={SCHEDULE: FakeSchedule([first], start=stored)})
    assert _check_and_pause(path, fake) == 0
    assert fake.operations == [DEFINITIONS]  # one request: ticks and state together
    assert fake.schedules[SCHEDULE].start == stored
    assert airflow.patches == [True]


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param(None, "has no schedule 'prod__orders__schedule'", id="not-loaded"),
        pytest.param(
            "boom", "could not list schedules and sensors: PythonError: boom", id="python-error"
        ),
    ],
)
def test_without_the_schedule_in_dagster_nothing_is_paused(
    tmp_path: Path,
    airflow: FakeAirflow,
    capsys: pytest.CaptureFixture[str],
    error: str | None,
    reason: str,
) -> None:
    path, _ = _written(tmp_path, airflow)
    fake = FakeDagster(error=error)
    assert _check_and_pause(path, fake) == 1
    assert reason in capsys.readouterr().err
    assert fake.operations == [DEFINITIONS] and airflow.patches == []


@pytest.mark.parametrize(
    ("tick_after", "start_after", "reason"),
    [
        pytest.param(timedelta(hours=1), None, "they do not agree", id="other-ticks"),
        pytest.param(
            timedelta(0), timedelta(minutes=1), "Dagster would not run that tick", id="late-start"
        ),
    ],
)
def test_a_schedule_that_would_not_run_airflows_next_run_is_refused(
    tmp_path: Path,
    airflow: FakeAirflow,
    capsys: pytest.CaptureFixture[str],
    tick_after: timedelta,
    start_after: timedelta | None,
    reason: str,
) -> None:
    """Dagster's first tick is not Airflow's next run, or it counts ticks from after it."""
    path, first = _written(tmp_path, airflow)
    start = first + start_after if start_after is not None else None
    fake = FakeDagster(schedules={SCHEDULE: FakeSchedule([first + tick_after], start=start)})
    assert _check_and_pause(path, fake) == 1
    err = capsys.readouterr().err
    assert reason in err and "airlift decommission orders --undo" in err
    assert fake.operations == [DEFINITIONS] and airflow.patches == []


def test_a_sensor_has_ticked_once_the_daemon_evaluated_it() -> None:
    fake = FakeDagster(sensors={"prod__orders__automation": False, "other": True})
    with serving(fake) as url, DagsterClient(url) as client:
        assert not sensor_has_ticked(client, "prod__orders__automation")
        assert not sensor_has_ticked(client, "missing")
        fake.sensors["prod__orders__automation"] = True
        assert sensor_has_ticked(client, "prod__orders__automation")


def test_an_answer_of_another_shape_is_one_error_saying_what_was_asked() -> None:
    fake = FakeDagster(sensors={"a": True})
    with serving(fake) as url, DagsterClient(url) as client:
        with pytest.raises(DagsterApiError, match="answered list sensors in an unexpected shape"):
            client.fetch(
                "query AirliftDecommissionSensorTicks { x }",
                field="repositoriesOrError",
                typename="RepositoryConnection",
                doing="list sensors",
                parse=lambda result: result["no such key"],
            )
        with pytest.raises(DagsterApiError, match="could not list sensors: RepositoryConnection"):
            client.fetch(
                "query AirliftDecommissionSensorTicks { x }",
                field="repositoriesOrError",
                typename="Workspace",
                doing="list sensors",
                parse=lambda result: result,
            )
