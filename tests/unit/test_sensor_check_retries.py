"""Runs of asset checks whose launch failed are requested again, never run twice.

The planner (``sensor/check_retries.py``) on its own, then the sensor against a
real Dagster instance whose run launcher fails: the run the daemon would create
for the sensor's request is launched through ``DagsterInstance.launch_run``, which
marks it failed before it started, as the daemon's launch does; a later tick asks
for the next attempt, under a new run key, with the same checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from component_fixtures import airflows, factory, write_project
from dagster._core.launcher import RunLauncher
from dagster._core.storage.dagster_run import DagsterRun
from dagster._core.utils import make_new_run_id
from dagster._serdes import ConfigurableClass, ConfigurableClassData

from airlift_component.component import build_defs
from airlift_component.component.check_requests import (
    CHECKS_GAVE_UP_TAG,
    CHECKS_LAUNCH_TAG,
    CHECKS_RUN_TAG,
    RUN_KEY_TAG,
    SENSOR_NAME_TAG,
)
from airlift_component.sensor.check_retries import (
    MAX_LAUNCHES,
    NOT_STARTED_GRACE,
    CheckRunState,
    plan_retries,
    retry_key,
    split_key,
    successor_keys,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=timezone.utc)
KEY = "airlift-checks:prod:0123456789abcdef0123456789abcdef"


def state(
    key: str = KEY,
    status: str = "FAILURE",
    *,
    started: bool = False,
    will_retry: bool = False,
    age: timedelta = timedelta(minutes=10),
    run_id: str = "r",
) -> CheckRunState:
    return CheckRunState(run_id, key, status, started, will_retry, NOW - age)


# -- the planner ------------------------------------------------------------------


def test_keys_of_attempts() -> None:
    assert split_key(KEY) == (KEY, 0)
    assert split_key(retry_key(KEY, 2)) == (KEY, 2)
    assert split_key("my-own-key") is None
    assert split_key(f"{KEY}:retry-0") is None


def test_a_launch_that_failed_before_starting_gets_the_next_attempt() -> None:
    plan = plan_retries([state()], set(), NOW)
    assert [key for key, _ in plan.requests] == [retry_key(KEY, 1)]
    failed_again = state(retry_key(KEY, 1))
    assert [k for k, _ in plan_retries([failed_again], set(), NOW).requests] == [retry_key(KEY, 2)]


def test_the_next_attempt_is_requested_once() -> None:
    plan = plan_retries([state()], {retry_key(KEY, 1)}, NOW)
    assert plan.requests == [] and plan.gave_up == []


@pytest.mark.parametrize(
    "run",
    [
        state(started=True),  # its checks may have run: never again
        state(will_retry=True),  # Dagster's run retries take it
        state(status="CANCELED"),  # someone canceled it
        state(status="SUCCESS", started=True),
        state("somebody-elses-key"),
        state(status="NOT_STARTED", age=NOT_STARTED_GRACE / 2),  # its tick may be submitting
    ],
    ids=["started", "will-retry", "canceled", "success", "foreign-key", "just-created"],
)
def test_left_alone(run: CheckRunState) -> None:
    plan = plan_retries([run], set(), NOW)
    assert plan.requests == [] and plan.gave_up == []


def test_a_run_left_not_started_is_submitted_again_under_its_own_key() -> None:
    run = state(status="NOT_STARTED", age=NOT_STARTED_GRACE)
    assert [key for key, _ in plan_retries([run], {KEY}, NOW).requests] == [KEY]


def test_gives_up_after_the_last_launch() -> None:
    last = state(retry_key(KEY, MAX_LAUNCHES - 1))
    plan = plan_retries([last], set(), NOW)
    assert plan.requests == [] and plan.gave_up == [last]


def test_successor_keys_are_those_of_failed_runs() -> None:
    runs = [state(), state(status="NOT_STARTED", run_id="n"), state("other", run_id="o")]
    assert successor_keys(runs) == [retry_key(KEY, 1)]


# -- the sensor against a Dagster instance whose launches fail ---------------------


class FailingLauncher(RunLauncher, ConfigurableClass):
    """A run launcher that fails every launch (a full cluster, a lost agent)."""

    def __init__(self, inst_data: ConfigurableClassData | None = None) -> None:
        self._inst_data = inst_data
        super().__init__()

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Any
    ) -> FailingLauncher:
        return cls(inst_data=inst_data)

    def launch_run(self, context: Any) -> None:
        raise RuntimeError("no capacity to launch the run")

    def terminate(self, run_id: str) -> bool:
        return False


@dg.asset_check(asset=dg.AssetKey(["raw", "customers"]))
def raw_has_rows() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


SENSOR = "airlift_prod_sensor"


class Daemon:
    """The sensor's ticks, and what Dagster's sensor daemon does with their requests."""

    def __init__(self, tmp_path: Path, instance: dg.DagsterInstance) -> None:
        self.stubs = airflows()
        path = write_project(tmp_path)
        airlift = build_defs(path, refresh="if_missing", client_factory=factory(self.stubs))
        defs = dg.Definitions.merge(airlift, dg.Definitions(asset_checks=[raw_has_rows]))
        self.repository = defs.get_repository_def()
        self.sensor = defs.resolve_sensor_def(SENSOR)
        self.instance = instance
        self.cursor: str | None = None

    def tick(self) -> list[dg.RunRequest]:
        context = dg.build_sensor_context(
            instance=self.instance, cursor=self.cursor, repository_def=self.repository
        )
        result = self.sensor(context)
        if isinstance(result, dg.SensorResult):
            self.cursor = result.cursor
            return list(result.run_requests or [])
        return []

    def job(self, request: dg.RunRequest) -> dg.JobDefinition:
        return self.repository.get_job("__ASSET_JOB").get_subset(
            asset_selection=set(), asset_check_selection=set(request.asset_check_keys or ())
        )

    def tags(self, request: dg.RunRequest) -> dict[str, str]:
        assert request.run_key is not None
        return {**request.tags, RUN_KEY_TAG: request.run_key, SENSOR_NAME_TAG: SENSOR}

    def create(self, request: dg.RunRequest) -> dg.DagsterRun:
        """The run the daemon creates for ``request`` (not started)."""
        run = DagsterRun(
            job_name="__ASSET_JOB",
            run_id=make_new_run_id(),
            tags=self.tags(request),
            asset_selection=frozenset(),
            asset_check_selection=frozenset(request.asset_check_keys or ()),
            status=dg.DagsterRunStatus.NOT_STARTED,
        )
        return self.instance.add_run(run)

    def launch_fails(self, request: dg.RunRequest) -> dg.DagsterRun:
        """The daemon creates the run and its launch fails (DagsterInstance.launch_run
        reports the failure before the run started)."""
        run = self.create(request)
        with pytest.raises(RuntimeError, match="no capacity"):
            self.instance.launch_run(run.run_id, None)  # type: ignore[arg-type]
        failed = self.instance.get_run_by_id(run.run_id)
        assert failed is not None and failed.status == dg.DagsterRunStatus.FAILURE
        return failed

    def launch_runs(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        """The run is launched and runs its checks."""
        return self.job(request).execute_in_process(instance=self.instance, tags=self.tags(request))

    def finish(self, run_id: str) -> None:
        end = datetime.now(timezone.utc) - timedelta(minutes=3)
        self.stubs["prod"].finish_run("customers", run_id, end)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    overrides = {"run_launcher": {"module": __name__, "class": "FailingLauncher"}}
    with dg.instance_for_test(overrides=overrides) as instance:
        yield Daemon(tmp_path, instance)


def _evaluations(daemon: Daemon) -> int:
    records = daemon.instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(dg.AssetKey(["raw", "customers"]), "raw_has_rows"), limit=100
    )
    return sum(1 for record in records if record.event is not None)


def test_a_failed_launch_is_requested_again_and_its_checks_run_once(daemon: Daemon) -> None:
    daemon.finish("r1")
    (first,) = daemon.tick()
    assert first.run_key is not None
    daemon.launch_fails(first)
    (retry,) = daemon.tick()
    assert retry.run_key == retry_key(first.run_key, 1)
    assert retry.asset_check_keys == first.asset_check_keys
    assert retry.asset_selection == []
    assert retry.tags[CHECKS_RUN_TAG] == "r1" and retry.tags[CHECKS_LAUNCH_TAG] == "2"
    assert daemon.launch_runs(retry).success
    assert _evaluations(daemon) == 1
    # The retry ran: nothing more is requested, on this tick or later ones.
    assert daemon.tick() == []
    assert daemon.tick() == []
    assert _evaluations(daemon) == 1


def test_a_retry_requested_but_not_yet_launched_is_not_requested_twice(daemon: Daemon) -> None:
    """A tick that asks for the next attempt while Dagster already has it (the daemon
    stored the run before a crash) asks for nothing: Dagster launches a key once."""
    daemon.finish("r1")
    (first,) = daemon.tick()
    daemon.launch_fails(first)
    (retry,) = daemon.tick()
    daemon.create(retry)
    assert daemon.tick() == []


def test_gives_up_after_the_last_launch_and_says_so_once(
    daemon: Daemon, capfd: pytest.CaptureFixture[str]
) -> None:
    daemon.finish("r1")
    (request,) = daemon.tick()
    for _ in range(MAX_LAUNCHES - 1):
        daemon.launch_fails(request)
        (request,) = daemon.tick()
    last = daemon.launch_fails(request)
    capfd.readouterr()
    assert daemon.tick() == []
    said = capfd.readouterr().err
    assert "exactly-once limit" in said and "failed to launch 3 times" in said
    assert "customers/r1" in said
    tagged = daemon.instance.get_run_by_id(last.run_id)
    assert tagged is not None and tagged.tags.get(CHECKS_GAVE_UP_TAG) == "true"
    assert daemon.tick() == []
    assert "failed to launch" not in capfd.readouterr().err
    assert _evaluations(daemon) == 0


def test_a_run_that_started_and_failed_is_not_requested_again(daemon: Daemon) -> None:
    @dg.asset_check(asset=dg.AssetKey(["raw", "customers"]))
    def raw_has_rows() -> dg.AssetCheckResult:
        raise RuntimeError("the check itself broke")

    daemon.finish("r1")
    (first,) = daemon.tick()
    job = dg.Definitions(
        assets=[dg.AssetSpec(["raw", "customers"])], asset_checks=[raw_has_rows]
    ).resolve_implicit_global_asset_job_def()
    result = job.get_subset(
        asset_selection=set(), asset_check_selection=set(first.asset_check_keys or ())
    ).execute_in_process(instance=daemon.instance, tags=daemon.tags(first), raise_on_error=False)
    assert not result.success
    assert daemon.tick() == []


def test_a_launch_dagster_s_run_retries_will_retry_is_left_to_them(tmp_path: Path) -> None:
    overrides = {
        "run_launcher": {"module": __name__, "class": "FailingLauncher"},
        "run_retries": {"enabled": True, "max_retries": 1},
    }
    with dg.instance_for_test(overrides=overrides) as instance:
        daemon = Daemon(tmp_path, instance)
        daemon.finish("r1")
        (first,) = daemon.tick()
        failed = daemon.launch_fails(first)
        tagged = instance.get_run_by_id(failed.run_id)
        assert tagged is not None and tagged.tags.get("dagster/will_retry") == "true"
        assert daemon.tick() == []
