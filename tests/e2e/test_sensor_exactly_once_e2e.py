"""Exactly once per task try, on real Airflow 2.10 and 3 (docs/exactly-once.md).

Ticks run in-process on an on-disk Dagster instance, their events stored as the
daemon stores them, so the test decides when a tick happens relative to
Airflow: runs finish, Airflow is stopped in the middle of a tick (after the
run listing, before the task instances), a finished run's task is cleared and
re-runs. At the end every (run, task, try) Airflow shows as successful is
recorded exactly once, the try that was cleared away too, nothing twice; the
DAG asset once per successful completion. (The daemon-driven chain, with the
Dagster daemon stopped and restarted, is in ``test_sensor_daemon_e2e.py``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.airflow_state.fetch import default_client_factory
from airlift_component.component import build_defs
from devtools.local_stack import AirflowServer
from tests.e2e.exactly_once_support import (
    DAG,
    DAG_KEY,
    DAG_LEVEL,
    RUN_TIMEOUT,
    airflow_tries,
    airlift_config,
    clear_task,
    recorded_runs,
    recorded_tries,
    tick_like_the_daemon,
)


class Ticks:
    """The eo sensor ticking in-process; ``stop_airflow_mid_tick`` arms an outage."""

    def __init__(self, airflow: AirflowServer, path: Path, instance: dg.DagsterInstance) -> None:
        self.airflow = airflow
        self.instance = instance
        self.cursor: str | None = None
        self.outage_armed = False
        self.sensor = build_defs(
            path, refresh="if_missing", client_factory=self._client
        ).resolve_sensor_def("airlift_eo_sensor")

    def _client(self, instance: Any) -> AirflowClient:
        client = default_client_factory(instance)
        listing = client.list_task_instances

        def hostile(runs: Any) -> Any:
            if self.outage_armed:  # the listing is done; Airflow goes away now
                self.outage_armed = False
                self.airflow.stop()
            return listing(runs)

        client.list_task_instances = hostile  # type: ignore[method-assign]
        return client

    def tick(self) -> Any:
        result, self.cursor = tick_like_the_daemon(self.sensor, self.instance, self.cursor)
        return result


@pytest.fixture
def ticks(airflow: AirflowServer, tmp_path: Path) -> Iterator[Ticks]:
    airflow.wait_for_dag(DAG)
    path = tmp_path / "airlift.yaml"
    path.write_text(yaml.safe_dump(airlift_config(airflow)))
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        yield Ticks(airflow, path, instance)


def test_each_try_once_across_outage_mid_tick_and_clear(
    airflow: AirflowServer, ticks: Ticks
) -> None:
    ticks.tick()  # baseline: earlier runs of the session are recorded before counting
    baseline = recorded_tries(ticks.instance)
    runs = [airflow.trigger(DAG), airflow.trigger(DAG)]
    for run_id in runs:
        assert airflow.wait_for_run(DAG, run_id, timeout=RUN_TIMEOUT) == "success"

    ticks.outage_armed = True
    before = ticks.cursor
    try:
        skipped = ticks.tick()
        assert isinstance(skipped, dg.SkipReason), skipped
        assert "could not be read" in (skipped.skip_message or "")
        assert ticks.cursor == before
    finally:
        airflow.start()
    assert not ticks.outage_armed, "the outage did not happen mid-tick"

    first = ticks.tick()
    assert isinstance(first, dg.SensorResult) and first.asset_events
    cleared_before = airflow_tries(airflow, runs)

    clear_task(airflow, runs[0], "extract")
    assert airflow.wait_for_run(DAG, runs[0], timeout=RUN_TIMEOUT) == "success"
    ticks.tick()
    ticks.tick()  # nothing new: nothing recorded twice

    now = airflow_tries(airflow, runs)
    assert (runs[0], "extract", 2) in now or any(
        key[0] == runs[0] and key[1] == "extract" and key[2] >= 2 for key in now
    ), now
    expected = {key for key, state in {**cleared_before, **now}.items() if state == "success"}
    counts = recorded_tries(ticks.instance) - baseline
    mine = {key: n for key, n in counts.items() if key[0] in runs}
    lost = expected - set(mine)
    doubled = {key: n for key, n in mine.items() if n != 1}
    extra = set(mine) - expected
    assert (lost, doubled, extra) == (set(), {}, set())

    completions = recorded_runs(ticks.instance, DAG_KEY)
    for key in (DAG_KEY, DAG_LEVEL):
        per_run = recorded_runs(ticks.instance, key)
        assert sum(n for (run_id, _), n in per_run.items() if run_id == runs[0]) == 2, key
        assert sum(n for (run_id, _), n in per_run.items() if run_id == runs[1]) == 1, key
    assert all(n == 1 for n in completions.values())
