"""A slow Airflow ends a tick inside its time budget, before Dagster's sensor timeout:
the tick keeps what it settled, says why in its reason and leaves the rest to the
next tick (docs/deployment.md, docs/exactly-once.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.airflow_api.transport import OutOfTime, TimeBudget
from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.component import build_defs
from airlift_component.component.sensor import dagster_sensor_timeout, tick_budget_seconds
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError
from airlift_component.sensor.cursor import SensorCursor
from tests.harness.fake_airflow import FakeAirflow
from tests.unit.cli_project import one_instance

#: DAG chain: task a makes chain/a.
CHAIN = """\
- dag: chain
  tasks:
    - task: a
      assets: [chain/a]
"""
#: Dagster's timeout for the ticks that meet a slow Airflow; the tick's budget is then
#: 4 s. Not smaller: on a loaded machine the fast part of such a tick (the first batch
#: of task instances) must still fit in the budget.
TIMEOUT = "8"
#: Dagster's timeout for the ticks that meet a fast Airflow, which must not be cut
#: short however slow the machine running the test is.
ROOMY = "600"
SLOW = 6.0  # seconds the fake Airflow waits before a slow answer


@pytest.fixture
def fake() -> Iterator[FakeAirflow]:
    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_dag("chain", {"a": []})
        yield fake


class _SlowSecondBatch(AirflowClient):
    """A client whose second batch of task instances Airflow answers slowly."""

    fake: FakeAirflow
    batches = 0

    def list_task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]:
        type(self).batches += 1
        if type(self).batches == 2:
            self.fake.delay_next(1, seconds=SLOW, path="taskInstances")
        return super().list_task_instances(runs)


class _Sensor:
    def __init__(self, fake: FakeAirflow, tmp_path: Path, client: type[AirflowClient]) -> None:
        path = tmp_path / "airlift.yaml"
        extra = "api: v2\nhttp: {retries: 4}\nsensor: {batch_size: 2}"
        path.write_text(one_instance(CHAIN, name="fake", url=fake.url, extra=extra))

        def factory(instance: Instance) -> AirflowClient:
            return client(instance, retry_policy=RetryPolicy(retries=4, backoff_base=0.01))

        defs = build_defs(path, refresh="if_missing", client_factory=factory)
        self.sensor = defs.resolve_sensor_def("airlift_fake_sensor")
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor: str | None = None
        self.recorded: list[str] = []

    def tick(self) -> tuple[Any, float]:
        started = time.monotonic()
        result = self.sensor(dg.build_sensor_context(instance=self.instance, cursor=self.cursor))
        elapsed = time.monotonic() - started
        if isinstance(result, dg.SensorResult):
            for event in result.asset_events or []:
                if event.asset_key.to_user_string() == "chain/a":
                    self.recorded.append(str(event.metadata["airflow/run_id"].value))
            self.cursor = result.cursor
        return result, elapsed


def _reason(result: Any) -> str:
    if isinstance(result, dg.SkipReason):
        return result.skip_message or ""
    return result.skip_reason.skip_message if result.skip_reason else ""


def test_a_slow_listing_skips_the_tick_before_dagsters_timeout(
    fake: FakeAirflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS", ROOMY)
    sensor = _Sensor(fake, tmp_path, AirflowClient)
    now = datetime.now(timezone.utc)
    fake.add_finished_run("chain", "r1", end_date=now - timedelta(minutes=3))
    sensor.tick()
    assert sensor.recorded == ["r1"]
    before = sensor.cursor

    fake.add_finished_run("chain", "r2", end_date=now - timedelta(minutes=1))
    fake.delay_next(1, seconds=SLOW, path="/dags/~/dagRuns")  # one try fills the budget
    monkeypatch.setenv("DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS", TIMEOUT)
    skipped, elapsed = sensor.tick()
    assert elapsed < float(TIMEOUT), "the tick must end before Dagster's timeout"
    assert isinstance(skipped, dg.SkipReason) and sensor.cursor == before
    reason = _reason(skipped)
    assert "Airflow instance 'fake' answered too slowly" in reason
    assert f"({fake.url}) is too slow: the tick's 4 s" in reason
    assert (
        "GET /api/v2/dags/~/dagRuns" in reason and "Dagster stops a sensor tick after 8 s" in reason
    )

    monkeypatch.setenv("DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS", ROOMY)
    sensor.tick()  # Airflow is fast again
    assert sensor.recorded == ["r1", "r2"]


def test_runs_whose_task_instances_arrived_are_kept_the_rest_come_next_tick(
    fake: FakeAirflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS", ROOMY)
    _SlowSecondBatch.fake = fake
    _SlowSecondBatch.batches = 0
    sensor = _Sensor(fake, tmp_path, _SlowSecondBatch)
    now = datetime.now(timezone.utc)
    sensor.tick()  # the first window, nothing in it yet
    first_mark = SensorCursor.from_json(sensor.cursor).high_water
    _SlowSecondBatch.batches = 0
    runs = [f"r{i}" for i in range(4)]
    for i, run_id in enumerate(runs):
        fake.add_finished_run("chain", run_id, end_date=now - timedelta(minutes=4 - i))

    monkeypatch.setenv("DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS", TIMEOUT)
    partial, elapsed = sensor.tick()
    assert elapsed < float(TIMEOUT)
    assert isinstance(partial, dg.SensorResult) and len(sensor.recorded) == 2
    assert "is too slow" in _reason(partial) and "taskInstances" in _reason(partial)
    # The mark stays: the next tick reads the same window (recorded runs are skipped).
    assert SensorCursor.from_json(sensor.cursor).high_water == first_mark

    monkeypatch.setenv("DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS", ROOMY)
    sensor.tick()
    assert sorted(sensor.recorded) == runs  # each once
    sensor.tick()
    assert sorted(sensor.recorded) == runs


def test_every_request_and_retry_shares_one_budget(fake: FakeAirflow) -> None:
    fake.fail_next(1000, status=503, path="/dags/~/dagRuns")
    client = fake.client(api="v2")
    bounded = client.bounded(TimeBudget.start(2.0, "the test's 2 s"))
    # Each listing retries its 503s (4 tries, tiny backoffs) and gives up; listings go
    # on until the two seconds they share are spent: 100,000 listings could not end
    # otherwise. (How many fit depends on the machine's load; at least a retry does.)
    with client, pytest.raises(OutOfTime, match=r"the test's 2 s ran out") as raised:
        for _ in range(100_000):
            try:
                list(bounded.changed_dag_runs(updated_at_gte=datetime.now(timezone.utc)))
            except OutOfTime:
                raise
            except AirflowApiError as exc:
                assert "gave up after 4 attempts" in str(exc)
    assert len(fake.request_log) >= 2
    assert raised.value.instance == client.name


def test_an_inner_budget_never_extends_an_outer_one(fake: FakeAirflow) -> None:
    with fake.client(api="v2") as client:
        assert client.budget is None
        short, long = TimeBudget.start(0.2, "short"), TimeBudget.start(30, "long")
        assert client.bounded(short).bounded(long).budget is short
        assert client.bounded(long).bounded(short).budget is short
        assert client.budget is None  # a view leaves its client as it was


def test_the_budget_bounds_the_view_not_the_client(fake: FakeAirflow) -> None:
    """A spent budget stops the view's requests; the client itself still answers."""
    with fake.client(api="v2") as client:
        spent = client.bounded(TimeBudget.start(0.0, "a spent budget"))
        with pytest.raises(OutOfTime, match="a spent budget ran out"):
            spent.list_dags()
        assert [dag.dag_id for dag in client.list_dags()] == ["chain"]


@pytest.mark.parametrize(
    ("env", "timeout", "budget"),
    [
        pytest.param({}, 60.0, 45.0, id="default"),
        pytest.param({"DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS": "180"}, 180.0, 135.0, id="sensor"),
        pytest.param({"DAGSTER_GRPC_TIMEOUT_SECONDS": "30"}, 30.0, 20.0, id="grpc"),
        pytest.param(
            {"DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS": "x", "DAGSTER_GRPC_TIMEOUT_SECONDS": "8"},
            8.0,
            4.0,
            id="unreadable-then-grpc",
        ),
    ],
)
def test_the_budget_follows_dagsters_timeout(
    env: dict[str, str], timeout: float, budget: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS", "DAGSTER_GRPC_TIMEOUT_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert dagster_sensor_timeout() == timeout
    assert tick_budget_seconds(timeout) == budget
