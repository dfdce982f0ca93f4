"""Airflow assets (AF3) / datasets (AF2) in Dagster, on real Airflow 2.10 and 3 and a real
Dagster webserver (docs/airflow-assets.md).

``tests/e2e/dags/airflow_assets_e2e.py``: ``assets_e2e_producer`` (``extract`` →
outlet ``s3://airlift-e2e/raw/orders.parquet``, proxied to Dagster; ``publish`` →
outlet ``s3://airlift-e2e/summary.csv``) and ``assets_e2e_consumer``, scheduled on
the orders asset. For each Airflow in turn (the session's; under pytest-xdist each
version's tests keep to their own worker), one Dagster webserver serves an
``airlift.yaml`` with that Airflow as instance ``assets_af2`` / ``assets_af3`` and
``airflow_assets`` enabled; it is stopped before the next Airflow's starts. The
sensor is evaluated in-process on the webserver's own Dagster instance (so it sees
the proxy's runs), its events stored as the daemon stores them. Each test asserts:

* the webserver's asset graph has the chain producer task asset → Airflow asset
  → consumer DAG asset;
* the proxied ``extract`` kept its outlet: Airflow records its asset event, and
  the consumer DAG runs after the proxied producer run;
* each of Airflow's asset events of the run is exactly one materialization,
  also after more ticks.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from airlift_component.airflow_state.airflow_assets import fetch_airflow_assets
from airlift_component.airflow_state.state import DagState
from airlift_component.cli.main import main as airlift_cli
from airlift_component.component import build_defs
from airlift_component.dagster_api import DagsterClient
from airlift_component.sensor.event_memory import EventMemory
from airlift_component.sensor.event_pass import asset_event_pass
from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.airflow import DEFAULT_PYTHON
from devtools.local_stack.processes import poll_for
from tests.e2e.proxy_support import point_at_dagster

PRODUCER = "assets_e2e_producer"
CONSUMER = "assets_e2e_consumer"
ORDERS = "s3://airlift-e2e/raw/orders.parquet"
SUMMARY = "s3://airlift-e2e/summary.csv"
CODE = Path(__file__).parent / "projects" / "airflow_assets"
CONNECTION = "dagster_assets_e2e"
#: Airflow 2 runs tasks one by one (SequentialExecutor); the machine is shared.
RUN_TIMEOUT = 600.0

DEFS = """
import dagster as dg

from airlift_component.component import build_defs

# One process per run (in-process executor): this test is not about the deployed
# executor, and a step worker per asset costs seconds on a loaded machine.
defs = dg.Definitions.merge(
    build_defs({airlift_yaml!r}, refresh="never"), dg.Definitions(executor=dg.in_process_executor)
)
"""


def instance_name(airflow: AirflowServer) -> str:
    return f"assets_af{airflow.version_major}"


def _instance(airflow: AirflowServer) -> dict[str, Any]:
    name = instance_name(airflow)
    return {
        **airflow.instance_config(name=name),
        "dags": {"include": ["assets_e2e_*"]},
        "sensor": {"lookback_hours": 1},
        "http": {"retries": 2, "deadline_seconds": 60, "read_timeout": 60, "connect_timeout": 5},
        "airflow_assets": {"enabled": True},
        "mappings": [
            {
                "dag": PRODUCER,
                "tasks": [
                    {
                        "task": "extract",
                        "assets": [
                            {
                                "key": f"{name}/orders_table",
                                "code": f"assets_e2e_code:orders_table_af{airflow.version_major}",
                            }
                        ],
                    },
                    {"task": "publish", "assets": [f"{name}/summary_table"]},
                ],
            }
        ],
    }


def airflow_asset_key(airflow: AirflowServer, uri: str) -> list[str]:
    """The key rule of docs/airflow-assets.md, spelled out for these two URIs."""
    scheme, rest = uri.split("://")
    return [instance_name(airflow), "airflow_asset", scheme, *rest.split("/")]


@dataclass
class Stack:
    path: Path
    dagster: DagsterServer


@pytest.fixture(scope="module")
def stack(
    airflow: AirflowServer,
    module_dagster_server_factory: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    airflow.wait_for_dag(PRODUCER, timeout=180)
    airflow.wait_for_dag(CONSUMER, timeout=180)
    folder = tmp_path_factory.mktemp("airflow-assets-e2e")
    path = folder / "airlift.yaml"
    path.write_text(json.dumps({"version": 1, "instances": [_instance(airflow)]}))
    # As in a deployment: the state is refreshed before Dagster loads the code.
    assert airlift_cli(["refresh", "--config", str(path)]) == 0
    defs = folder / "defs.py"
    defs.write_text(DEFS.format(airlift_yaml=str(path)))
    dagster: DagsterServer = module_dagster_server_factory(
        defs, env={"PYTHONPATH": str(CODE)}, daemon=False
    )
    point_at_dagster(airflow, dagster.url, instance_name(airflow), CONNECTION)
    try:
        yield Stack(path, dagster)
    finally:
        dagster.stop()  # one webserver at a time: the next Airflow's starts after this


class Ticker:
    """The instance's sensor, evaluated in-process on the webserver's Dagster instance."""

    def __init__(self, stack: Stack, airflow: AirflowServer, instance: dg.DagsterInstance) -> None:
        self.instance = instance
        self.cursor: str | None = None
        self.sensor = build_defs(stack.path, refresh="never").resolve_sensor_def(
            f"airlift_{instance_name(airflow)}_sensor"
        )

    def tick(self) -> list[dg.AssetMaterialization]:
        result = self.sensor(dg.build_sensor_context(instance=self.instance, cursor=self.cursor))
        if not isinstance(result, dg.SensorResult):
            return []
        events = [e for e in result.asset_events or [] if isinstance(e, dg.AssetMaterialization)]
        for event in events:
            self.instance.report_runless_asset_event(event)  # what the daemon does
        self.cursor = result.cursor or self.cursor
        return events


def recorded_event_ids(instance: dg.DagsterInstance, key: list[str]) -> Counter[int]:
    records = instance.fetch_materializations(dg.AssetKey(key), limit=1000).records
    return Counter(
        int(r.asset_materialization.metadata["airflow/event_id"].value)  # type: ignore[union-attr, arg-type]
        for r in records
    )


def airflow_events(airflow: AirflowServer, run_id: str) -> list[dict[str, Any]]:
    """Airflow's asset (dataset) events of one producer run, from its REST API."""
    path = "/assets/events" if airflow.version_major == 3 else "/datasets/events"
    field = "asset_events" if airflow.version_major == 3 else "dataset_events"
    params = {"source_dag_id": PRODUCER, "source_run_id": run_id, "limit": 100}
    return list(airflow.api.json("GET", path, params=params)[field])


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _uri(event: dict[str, Any]) -> str:
    return str(event.get("uri") or event.get("dataset_uri"))


ASSET_NODE = """
query Node($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    __typename
    ... on AssetNode { dependencyKeys { path } kinds }
  }
}
"""


def upstream_keys(dagster: DagsterServer, key: list[str]) -> set[tuple[str, ...]]:
    node = dagster.graphql(ASSET_NODE, {"key": {"path": key}})["assetNodeOrError"]
    assert node["__typename"] == "AssetNode", (key, node)
    return {tuple(dep["path"]) for dep in node["dependencyKeys"]}


def test_airflow_asset_chain_events_once_and_consumer_runs_after_proxied_producer(
    airflow: AirflowServer, stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(CODE))  # the in-process definitions import `code:`
    name = instance_name(airflow)
    orders = airflow_asset_key(airflow, ORDERS)
    summary = airflow_asset_key(airflow, SUMMARY)
    consumer_dag_asset = [name, "dag", CONSUMER]

    # Dagster's asset graph (the webserver's): task asset -> Airflow asset -> consumer DAG
    assert upstream_keys(stack.dagster, orders) == {(name, "orders_table")}
    assert upstream_keys(stack.dagster, summary) == {(name, "summary_table")}
    assert tuple(orders) in upstream_keys(stack.dagster, consumer_dag_asset)

    with dg.DagsterInstance.from_config(str(stack.dagster.home)) as instance:
        ticker = Ticker(stack, airflow, instance)
        ticker.tick()  # baseline: what earlier runs of the session left
        before = {tuple(key): recorded_event_ids(instance, key) for key in (orders, summary)}

        run_id = airflow.trigger(PRODUCER)
        assert airflow.wait_for_run(PRODUCER, run_id, timeout=RUN_TIMEOUT) == "success"
        with DagsterClient(stack.dagster.url) as client:
            [dagster_run] = client.find_runs({"airlift/airflow_run_id": run_id})
        assert dagster_run.status == "SUCCESS"
        assert dagster_run.tags["airlift/airflow_task_id"] == "extract"

        # The proxied extract kept its outlet: Airflow recorded its asset event ...
        events = airflow_events(airflow, run_id)
        by_uri = Counter(_uri(e) for e in events)
        assert by_uri == {ORDERS: 1, SUMMARY: 1}, events
        [orders_event] = [e for e in events if _uri(e) == ORDERS]
        assert orders_event["source_task_id"] == "extract"

        # ... and the consumer DAG, scheduled on it, runs after the proxied producer run.
        def consumer_run() -> dict[str, Any] | None:
            [event] = [e for e in airflow_events(airflow, run_id) if _uri(e) == ORDERS]
            created = [r for r in event.get("created_dagruns") or [] if r["dag_id"] == CONSUMER]
            return created[0] if created else None

        created = poll_for(
            consumer_run, timeout=RUN_TIMEOUT, what="the consumer run the event created", interval=1
        )
        consumer_run_id = created.get("dag_run_id") or created["run_id"]
        assert airflow.wait_for_run(CONSUMER, consumer_run_id, timeout=RUN_TIMEOUT) == "success"
        producer = airflow.api.json("GET", f"/dags/{PRODUCER}/dagRuns/{run_id}")
        consumer = airflow.api.json("GET", f"/dags/{CONSUMER}/dagRuns/{consumer_run_id}")
        assert _at(consumer["start_date"]) >= _at(orders_event["timestamp"])
        assert _at(orders_event["timestamp"]) >= _at(producer["start_date"])

        # Each asset event: one materialization of the Airflow asset, with its source.
        wanted = {tuple(orders): orders_event["id"]}
        [summary_event] = [e for e in events if _uri(e) == SUMMARY]
        wanted[tuple(summary)] = summary_event["id"]

        def recorded() -> bool | None:
            ticker.tick()
            done = all(
                recorded_event_ids(instance, list(key))[event_id] >= 1
                for key, event_id in wanted.items()
            )
            return True if done else None

        poll_for(recorded, timeout=120, what="the sensor to record the asset events", interval=1)
        ticker.tick()
        ticker.tick()  # nothing new: nothing recorded twice
        for key, event_id in wanted.items():
            counts = recorded_event_ids(instance, list(key))
            assert counts[event_id] == 1, (key, counts)
            new = counts - before[key]
            assert set(new) == {event_id}, (key, new)
        records = instance.fetch_materializations(dg.AssetKey(orders), limit=1).records
        metadata = records[0].asset_materialization.metadata  # type: ignore[union-attr]
        assert metadata["airflow/source_run_id"].value == run_id
        assert metadata["airflow/source_task_id"].value == "extract"
        assert metadata["airflow/asset_uri"].value == ORDERS

        # The proxied try made its task asset in Dagster; the sensor did not record it again.
        task_records = instance.fetch_materializations(
            dg.AssetKey([name, "orders_table"]), limit=100
        ).records
        runs = [r.run_id for r in task_records if r.run_id == dagster_run.run_id]
        assert len(runs) == 1


# --- Airflow's own alias and conditional examples (issue 22) ---------------------------

#: Airflow's bundled examples, copied from the installed Airflow into the DAG folder.
ALIAS_EXAMPLE = {2: "example_dataset_alias.py", 3: "example_asset_alias.py"}
CONDITION_EXAMPLE = {2: "example_datasets.py", 3: "example_assets.py"}
ALIASED = "s3://bucket/my-task"
ALIAS = "example-alias"


@dataclass(frozen=True)
class Example:
    """The DAG and task ids of the examples, which say "dataset" on 2 and "asset" on 3."""

    word: str

    @property
    def alias_producer(self) -> str:
        return f"{self.word}_alias_example_alias_producer"

    @property
    def alias_task(self) -> str:
        return f"produce_{self.word}_events_through_{self.word}_alias"

    @property
    def alias_consumer(self) -> str:
        return f"{self.word}_alias_example_alias_consumer"

    @property
    def producer(self) -> str:
        return f"{self.word}_s3_bucket_producer"

    @property
    def consumer(self) -> str:
        return f"{self.word}_s3_bucket_consumer"

    @property
    def one_or_both(self) -> str:
        return f"consume_1_or_both_2_and_3_with_{self.word}_expressions"

    @property
    def or_time(self) -> str:
        return f"conditional_{self.word}_and_time_based_timetable"

    @property
    def dag_ids(self) -> list[str]:
        return [
            self.alias_producer,
            self.alias_consumer,
            self.producer,
            self.consumer,
            self.one_or_both,
            self.or_time,
        ]


def _example_source(airflow: AirflowServer, name: str) -> str:
    python = Path(DEFAULT_PYTHON[airflow.version_major])
    found = list(
        python.parent.parent.glob(f"lib/python3*/site-packages/airflow/example_dags/{name}")
    )
    assert len(found) == 1, (name, found)
    return found[0].read_text()


def _dag_present(airflow: AirflowServer, dag_id: str) -> bool | None:
    return True if airflow.get_dag(dag_id) is not None else None


def _set_paused(airflow: AirflowServer, dag_id: str, paused: bool) -> None:
    airflow.api.json(
        "PATCH", f"/dags/{dag_id}", params={"update_mask": "is_paused"}, json={"is_paused": paused}
    )


def _add_example(
    airflow: AirflowServer, file: str, dag_ids: list[str], run: str | None = None
) -> None:
    """Copy one of Airflow's example files into the DAG folder, wait for ``dag_ids``
    and pause each but ``run`` (the examples run nothing else here)."""
    airflow.write_dag_file(file, _example_source(airflow, file))
    for dag_id in dag_ids:
        poll_for(lambda d=dag_id: _dag_present(airflow, d), timeout=180, what=f"DAG {dag_id}")
        if dag_id != run:
            _set_paused(airflow, dag_id, True)


def _run_until_its_task_starts(airflow: AirflowServer, dag_id: str, attempts: int = 3) -> str:
    """Trigger ``dag_id`` (one task) and wait for a successful run; the id of that run.

    A fresh single-worker Airflow 3 api-server can stall on its first task start on a
    loaded machine (see ``proxy_support.run_dag``): the task fails without having
    started (no start date). Only such a run is triggered again; a task that started
    and failed fails the test.
    """
    for _ in range(attempts):
        run_id = airflow.trigger(dag_id)
        state = airflow.wait_for_run(dag_id, run_id, timeout=RUN_TIMEOUT)
        if state == "success":
            return run_id
        [ti] = airflow.api.json("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances")[
            "task_instances"
        ]
        assert ti["start_date"] is None, f"{dag_id} {run_id} failed: {ti}"
    raise AssertionError(f"{dag_id}: the task did not start in {attempts} runs")


def _aliased_asset(airflow: AirflowServer) -> dict[str, Any] | None:
    path, field = ("/assets", "assets") if airflow.version_major == 3 else ("/datasets", "datasets")
    params = {"uri_pattern": "bucket/my-task", "limit": 100}
    for asset in airflow.api.json("GET", path, params=params)[field]:
        if asset["uri"] == ALIASED and asset.get("aliases"):
            return dict(asset)
    return None


def test_alias_producers_and_consumers_and_conditions_from_airflows_own_examples(
    airflow: AirflowServer, tmp_path: Path
) -> None:
    """Airflow's alias example: the task that emits ``s3://bucket/my-task`` through the
    alias ``example-alias`` is upstream of it next to the task whose outlet it is, and
    the DAG scheduled on the alias is downstream of it next to the DAG scheduled on
    the asset (Airflow 3 lists that one in no ``scheduled_dags``). Airflow's
    conditional examples: ``a | (b & c)`` and asset-or-time are metadata of the
    consumer DAG asset. The sensor records the alias's event as the asset's."""
    major = airflow.version_major
    example = Example("asset" if major == 3 else "dataset")
    name = f"alias_af{major}"
    _add_example(airflow, ALIAS_EXAMPLE[major], example.dag_ids[:4], run=example.alias_producer)
    run_id = _run_until_its_task_starts(airflow, example.alias_producer)
    poll_for(lambda: _aliased_asset(airflow), timeout=60, what="the alias to resolve")
    # after the run: parsing a dozen more DAGs meanwhile slows a loaded machine's database
    _add_example(airflow, CONDITION_EXAMPLE[major], example.dag_ids[4:])

    path = tmp_path / "airlift.yaml"
    instance = {
        **airflow.instance_config(name=name),
        "dags": {"include": example.dag_ids},
        "sensor": {"lookback_hours": 1},
        "http": {"retries": 2, "deadline_seconds": 60, "read_timeout": 60, "connect_timeout": 5},
        "airflow_assets": {"enabled": True},
        "mappings": [
            {
                "dag": example.alias_producer,
                "tasks": [{"task": example.alias_task, "assets": [f"{name}/emitted"]}],
            }
        ],
    }
    path.write_text(json.dumps({"version": 1, "instances": [instance]}))
    assert airlift_cli(["refresh", "--config", str(path)]) == 0
    defs = build_defs(path, refresh="never")
    graph = defs.resolve_asset_graph()
    aliased = dg.AssetKey([name, "airflow_asset", "s3", "bucket", "my-task"])

    # producers: the alias's task (mapped) and the outlet's task (its DAG's asset)
    assert graph.get(aliased).parent_keys == {
        dg.AssetKey([name, "emitted"]),
        dg.AssetKey([name, "dag", example.producer]),
    }
    # consumers: the DAG scheduled on the asset and the one scheduled on the alias
    for consumer in (example.consumer, example.alias_consumer):
        assert aliased in graph.get(dg.AssetKey([name, "dag", consumer])).parent_keys, consumer
    assert graph.get(aliased).metadata["airflow/aliases"] == ALIAS

    # conditions, as Airflow's examples write them
    one_or_both = graph.get(dg.AssetKey([name, "dag", example.one_or_both])).metadata
    assert one_or_both["airflow/schedule_condition"] == (
        "s3://dag1/output_1.txt | (s3://dag2/output_1.txt & s3://dag3/output_3.txt)"
    )
    assert one_or_both["airflow/schedule_condition_json"].value["any"][0]["asset"]["uri"] == (
        "s3://dag1/output_1.txt"
    )
    or_time = graph.get(dg.AssetKey([name, "dag", example.or_time])).metadata
    text = or_time["airflow/schedule_condition"]
    assert text.startswith("(s3://dag1/output_1.txt & s3://dag2/output_1.txt) | schedule:"), text
    assert "0 1 * * 3" in text, text

    # the sensor records the event emitted through the alias as the asset's, once
    sensor = defs.resolve_sensor_def(f"airlift_{name}_sensor")
    with dg.DagsterInstance.ephemeral() as instance_:
        result = sensor(dg.build_sensor_context(instance=instance_))
        assert isinstance(result, dg.SensorResult), result
        recorded = [
            e
            for e in result.asset_events or []
            if isinstance(e, dg.AssetMaterialization) and e.asset_key == aliased
        ]
    sources = [
        (e.metadata["airflow/source_task_id"].value, e.metadata["airflow/source_run_id"].value)
        for e in recorded
    ]
    assert sources.count((example.alias_task, run_id)) == 1, sources


def test_an_events_partition_key_is_read_from_airflow_3(airflow3: AirflowServer) -> None:
    """Airflow 3.2+ records a partition key on an asset event (here posted through the
    REST API, as an external system would); the client reads it."""
    example = Example("asset")
    _add_example(airflow3, ALIAS_EXAMPLE[3], example.dag_ids[:4], run=example.alias_producer)

    def asset_id() -> int | None:
        params = {"uri_pattern": "bucket/my-task"}
        found = airflow3.api.json("GET", "/assets", params=params)["assets"]
        return next((int(a["id"]) for a in found if a["uri"] == ALIASED), None)

    posted = airflow3.api.json(
        "POST",
        "/assets/events",
        json={
            "asset_id": poll_for(asset_id, timeout=60, what="the asset"),
            "partition_key": "us|2026-06-14",
        },
    )
    with airflow3.client() as client:
        since = datetime.fromisoformat(posted["timestamp"].replace("Z", "+00:00"))
        events = {event.event_id: event for event in client.asset_events(since=since)}
    assert events[posted["id"]].partition_key == "us|2026-06-14"


RENAMED_DAG = "airlift_renamed_asset"
RENAMED_URI = "s3://airlift-e2e/renamed.csv"
RENAMED_SOURCE = """
from airflow.sdk import DAG, Asset, task

with DAG(dag_id={dag!r}, schedule=None, catchup=False):

    @task(outlets=[Asset(uri={uri!r}, name={name!r})])
    def write():
        pass

    write()
"""


def test_an_inactive_assets_event_is_not_recorded_as_the_active_asset(
    airflow3: AirflowServer,
) -> None:
    """Airflow 3 keeps an asset that another replaced (same URI, another name) as an
    inactive asset with its own id. An event of it (here posted through the REST API)
    names the same URI as the active asset's events; matched by id, only the active
    asset's event is recorded."""

    def active(name: str) -> int | None:
        params = {"uri_pattern": "airlift-e2e/renamed"}
        for asset in airflow3.api.json("GET", "/assets", params=params)["assets"]:
            if asset["uri"] == RENAMED_URI and asset["name"] == name:
                return int(asset["id"])
        return None

    def write(name: str) -> int:
        source = RENAMED_SOURCE.format(dag=RENAMED_DAG, uri=RENAMED_URI, name=name)
        airflow3.write_dag_file(f"{RENAMED_DAG}.py", source)
        return poll_for(lambda: active(name), timeout=300, what=f"asset {name!r} to be active")

    old_id = write("renamed_before")
    new_id = write("renamed_after")  # the scheduler deactivates the old one first
    assert new_id != old_id
    old_event = airflow3.api.json("POST", "/assets/events", json={"asset_id": old_id})
    new_event = airflow3.api.json("POST", "/assets/events", json={"asset_id": new_id})
    assert old_event["uri"] == new_event["uri"] == RENAMED_URI

    with airflow3.client() as client:
        dags = {
            dag.dag_id: DagState(dag) for dag in client.list_dags() if dag.dag_id == RENAMED_DAG
        }
        [asset] = fetch_airflow_assets(client, dags)
        assert asset.asset_id == new_id
        result = asset_event_pass(
            client,
            EventMemory(),
            now=datetime.now(timezone.utc),
            lookback=timedelta(hours=1),
            overlap=timedelta(minutes=5),
            known_uris={RENAMED_URI},
            known_ids={RENAMED_URI: asset.asset_id},
        )
    ids = {event.event_id for event in result.events}
    assert new_event["id"] in ids and old_event["id"] not in ids, (ids, old_event, new_event)
    assert any(f"asset id {old_id}" in limit for limit in result.limits), result.limits
