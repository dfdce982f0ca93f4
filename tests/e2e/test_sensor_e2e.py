"""The sensor against real Airflow 2 and 3 and a real (on-disk) Dagster instance.

Ticks are evaluated in-process, deterministically: the sensor built by
``build_defs`` is called with ``build_sensor_context`` on a ``DagsterInstance``
in a temporary DAGSTER_HOME, and its events are stored with
``report_runless_asset_event`` exactly as the daemon stores a tick's events.
The daemon-driven chain is in ``test_component_e2e.py``. The runs made for the
exactly-once test also serve the decommission boundary (no extra Airflow run): the
DAG decommissioned from the later run's interval on, a fresh sensor records the
earlier run and skips the later one (docs/exactly-once.md, "A decommissioned DAG").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from airlift_component.airflow_state.fetch import fetch_state
from airlift_component.airflow_state.ui_urls import dag_ui_url
from airlift_component.component import build_defs
from airlift_component.component.asset_specs import instance_specs
from airlift_component.component.sensor import build_sensor
from airlift_component.config.airlift_yaml.model import AirliftFile
from airlift_component.sensor.decommissioned import run_moment
from devtools.local_stack import AirflowServer

CHAIN = "observe_chain"
FAILING = "observe_failing"
#: Airflow 2 runs tasks one by one (SequentialExecutor); the machine is shared.
RUN_TIMEOUT = 600.0
CHAIN_KEYS = {"observe/raw", "observe/clean", "observe/report", "obs/dag/observe_chain"}


def _airlift_yaml(airflow: AirflowServer) -> dict[str, Any]:
    return {
        "version": 1,
        "instances": [
            {
                **airflow.instance_config(name="obs"),
                "dags": {"include": ["observe_*"]},
                "http": {
                    "retries": 2,
                    "deadline_seconds": 60,
                    "read_timeout": 60,
                    "connect_timeout": 5,
                },
                "mappings": [
                    {
                        "dag": CHAIN,
                        "assets": ["observe/report"],
                        "tasks": [
                            {"task": "extract", "assets": ["observe/raw"]},
                            {"task": "load", "assets": ["observe/clean"]},
                        ],
                    },
                    {
                        "dag": FAILING,
                        "tasks": [
                            {"task": "ok", "assets": ["observe/ok"]},
                            {"task": "boom", "assets": ["observe/boom"]},
                        ],
                    },
                ],
            }
        ],
    }


class Ticker:
    """The obs sensor, its stored cursor and the Dagster instance events are written to."""

    def __init__(self, path: Path, instance: dg.DagsterInstance) -> None:
        self.path = path
        self.instance = instance
        self.cursor: str | None = None
        self.reload()

    def reload(self) -> None:
        """Build the definitions again: what a code-location reload or restart does."""
        self.sensor = build_defs(self.path, refresh="if_missing").resolve_sensor_def(
            "airlift_obs_sensor"
        )

    def tick(self) -> dg.SensorResult | dg.SkipReason:
        result = self.sensor(dg.build_sensor_context(instance=self.instance, cursor=self.cursor))
        if isinstance(result, dg.SensorResult):
            for event in result.asset_events or []:
                self.instance.report_runless_asset_event(event)  # what the daemon does
            self.cursor = result.cursor
        return result

    def run_ids(self, key: str) -> Counter[str]:
        records = self.instance.fetch_materializations(dg.AssetKey(key.split("/")), limit=1000)
        return Counter(
            str(r.asset_materialization.metadata["airflow/run_id"].value)  # type: ignore[union-attr]
            for r in records.records
        )


def _events(result: object) -> dict[str, dg.AssetMaterialization]:
    assert isinstance(result, dg.SensorResult), result
    events = result.asset_events or []
    by_key = {e.asset_key.to_user_string(): e for e in events}  # type: ignore[union-attr]
    assert len(by_key) == len(events), "one event per asset per run"
    return by_key  # type: ignore[return-value]


@pytest.fixture
def ticker(airflow: AirflowServer, tmp_path: Path) -> Iterator[Ticker]:
    airflow.wait_for_dag(CHAIN)
    airflow.wait_for_dag(FAILING)
    path = tmp_path / "airlift.yaml"
    path.write_text(yaml.safe_dump(_airlift_yaml(airflow)))
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        ticker = Ticker(path, instance)
        ticker.tick()  # baseline: runs of earlier tests in this session
        yield ticker


def test_sensor_records_each_airflow_run_exactly_once_across_outage(
    airflow: AirflowServer, ticker: Ticker, capfd: pytest.CaptureFixture[str]
) -> None:
    first = airflow.trigger(CHAIN)
    assert airflow.wait_for_run(CHAIN, first, timeout=RUN_TIMEOUT) == "success"

    events = _events(ticker.tick())
    assert set(events) == CHAIN_KEYS
    with airflow.client() as client:
        run = client.get_dag_run(CHAIN, first)
    metadata = events["observe/raw"].metadata
    assert metadata["airflow/run_id"].value == first
    assert metadata["airflow/task_id"].value == "extract"
    assert metadata["airflow/try_number"].value >= 1
    assert metadata["airflow/logical_date"].value == (
        run.logical_date.isoformat() if run.logical_date else ""
    )
    assert metadata["airflow/end_date"].value == run.end_date.isoformat()  # type: ignore[union-attr]
    assert first.replace(":", "%3A").replace("+", "%2B") in metadata["airflow/run_url"].value or (
        first in metadata["airflow/run_url"].value
    )

    assert not getattr(ticker.tick(), "asset_events", None)  # nothing new
    assert ticker.run_ids("obs/dag/observe_chain")[first] == 1

    cursor_before_outage = ticker.cursor
    airflow.stop()
    try:
        skipped = ticker.tick()
        assert isinstance(skipped, dg.SkipReason)
        assert "could not be read" in (skipped.skip_message or "")
        assert ticker.cursor == cursor_before_outage
    finally:
        airflow.start()

    ticker.reload()
    later = [airflow.trigger(CHAIN)]
    failing = airflow.trigger(FAILING)
    for run_id in later:
        assert airflow.wait_for_run(CHAIN, run_id, timeout=RUN_TIMEOUT) == "success"
    assert airflow.wait_for_run(FAILING, failing, timeout=RUN_TIMEOUT) == "failed"

    result = ticker.tick()
    assert isinstance(result, dg.SensorResult)
    recorded = Counter(
        (e.asset_key.to_user_string(), str(e.metadata["airflow/run_id"].value))
        for e in result.asset_events or []
    )
    expected = {(key, run_id) for key in CHAIN_KEYS for run_id in later}
    expected.add(("observe/ok", failing))
    assert set(recorded) == expected
    assert set(recorded.values()) == {1}
    assert not getattr(ticker.tick(), "asset_events", None)  # nothing new

    chain_runs = ticker.run_ids("obs/dag/observe_chain")
    assert all(chain_runs[run_id] == 1 for run_id in [first, *later])
    assert ticker.run_ids("observe/boom")[failing] == 0
    assert ticker.run_ids("observe/ok")[failing] == 1

    _decommission_boundary(airflow, ticker, first, later[0], failing, capfd)


def _decommission_boundary(
    airflow: AirflowServer,
    ticker: Ticker,
    before: str,
    after: str,
    failing: str,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The chain decommissioned with its first Dagster tick where run ``after`` stands
    (its data interval's end, as Airflow sent it): a fresh sensor records ``before``,
    Airflow's interval, and not ``after``, Dagster's, warning about it once; the
    failing DAG, not decommissioned, is recorded as before."""
    instance = AirliftFile.model_validate(yaml.safe_load(ticker.path.read_text())).instances[0]
    with airflow.client() as client:
        runs = {run_id: client.get_dag_run(CHAIN, run_id) for run_id in (before, after)}
        state = fetch_state(client, instance)
    boundary = run_moment(runs[after])
    start = run_moment(runs[before])
    assert boundary is not None and start is not None and start < boundary
    urls = {dag: dag_ui_url(state.url, state.api_version, dag) for dag in state.dags}
    _, index = instance_specs(instance, state, urls)
    sensor = build_sensor(
        instance.model_copy(update={"mappings": []}),
        index,
        state,
        decommissioned={CHAIN: boundary},
    )
    capfd.readouterr()
    result = sensor(dg.build_sensor_context(instance=ticker.instance))
    assert isinstance(result, dg.SensorResult)
    recorded = {
        (e.asset_key.to_user_string(), str(e.metadata["airflow/run_id"].value))
        for e in result.asset_events or []
    }
    assert {(key, before) for key in CHAIN_KEYS} <= recorded
    assert not {pair for pair in recorded if pair[1] == after}
    assert ("observe/ok", failing) in recorded
    assert capfd.readouterr().err.count(f"run {after!r} (success)") == 1
    again = sensor(dg.build_sensor_context(instance=ticker.instance, cursor=result.cursor))
    assert not getattr(again, "asset_events", None)
    assert f"run {after!r}" not in capfd.readouterr().err
