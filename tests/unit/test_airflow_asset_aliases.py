"""Airflow asset aliases, schedule conditions, partition keys and inactive assets
(issue 22), against the fake Airflow on v1 (Airflow 2.10) and v2 (Airflow 3).

* a task that emits an asset through an alias is upstream of it, like an outlet;
* on Airflow 3 a DAG scheduled on an alias (or an ``Asset.ref``) is in no asset's
  ``scheduled_dags``: its condition in the DAG details makes it a consumer;
* a consumer DAG's whole condition (``&``, ``|``, asset-or-time) is metadata of
  its DAG asset, as text and JSON, and survives the state file;
* an event's partition key is read; an event of an inactive asset sharing a URI
  with the active one is not recorded as the active asset.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from airlift_component.airflow_api.asset_conditions import (
    condition_text,
    from_json_text,
    parse_condition,
    to_json_text,
)
from airlift_component.airflow_api.asset_graph import alias_event_sources
from airlift_component.airflow_api.types import AirflowAssetEvent
from airlift_component.airflow_state.airflow_asset_fetch import might_be_asset_scheduled
from airlift_component.airflow_state.airflow_assets import (
    assets_from_json,
    assets_to_json,
    dag_conditions,
)
from airlift_component.airflow_state.state_file import read_state_file
from airlift_component.component import build_defs
from airlift_component.sensor.event_memory import EventMemory
from airlift_component.sensor.event_pass import asset_event_pass
from tests.harness.fake_airflow_assets import AssetFakeAirflow
from tests.unit.cli_project import PASSWORD, USERNAME, fake_instance

MAPPINGS = """\
- dag: producer
  tasks:
    - task: extract
      assets: [lake/extract]
- dag: alias_producer
  tasks:
    - task: emit
      assets: [lake/emitted]
"""

ORDERS = "s3://lake/raw/orders.parquet"
ALIASED = "s3://bucket/my-task"
SUMMARY = "s3://lake/summary.csv"
ALIAS = "example-alias"


def _key(*parts: str) -> dg.AssetKey:
    return dg.AssetKey(list(parts))


ALIASED_KEY = _key("fake", "airflow_asset", "s3", "bucket", "my-task")
ORDERS_KEY = _key("fake", "airflow_asset", "s3", "lake", "raw", "orders.parquet")


def _asset(api: str, uri: str, asset_id: int) -> Any:
    """One asset in the DAG details' expression, as each version writes it."""
    return (
        {"asset": {"uri": uri, "name": uri, "group": "asset", "id": asset_id}}
        if api == "v2"
        else uri
    )


def _alias(api: str, name: str) -> Any:
    return {"alias": {"name": name, "group": "asset"}} if api == "v2" else {"alias": name}


@pytest.fixture(params=["v1", "v2"])
def fake(request: pytest.FixtureRequest) -> Iterator[AssetFakeAirflow]:
    api = request.param
    with AssetFakeAirflow(api=api, username=USERNAME, password=PASSWORD) as fake:
        fake.add_dag("producer", {"extract": []})
        fake.add_dag("alias_producer", {"emit": []})
        fake.add_dag("unmapped_alias_producer", {"emit2": []})
        # Airflow 2 resolves a DAG scheduled on an alias into consuming_dags once the
        # alias has an asset; Airflow 3 does not.
        alias_consumer = ["alias_consumer"] if api == "v1" else []
        fake.add_dag("alias_consumer", {"read": []}, schedule="Asset" if api == "v2" else "Dataset")
        fake.add_dag(
            "cond",
            {"t": []},
            schedule="Asset or 0 0 * * *" if api == "v2" else "Dataset or 0 0 * * *",
        )
        fake.add_asset(ORDERS, producing_tasks=[("producer", "extract")], scheduled_dags=["cond"])
        fake.add_asset(ALIASED, scheduled_dags=alias_consumer)
        fake.add_asset(SUMMARY, producing_tasks=[("producer", "extract")], scheduled_dags=["cond"])
        fake.set_aliases(ALIASED, [ALIAS])
        fake.add_asset_event(ALIASED, source=("alias_producer", "emit", "r1"))
        fake.add_asset_event(ALIASED, source=("unmapped_alias_producer", "emit2", "r1"))
        fake.add_asset_event(ALIASED, source=("not_peered", "x", "r1"))
        fake.set_expression("alias_consumer", _alias(api, ALIAS))
        orders, summary = fake.assets[ORDERS].asset_id, fake.assets[SUMMARY].asset_id
        fake.set_expression(
            "cond",
            {
                "all": [
                    _asset(api, ORDERS, orders),
                    {"any": [_asset(api, SUMMARY, summary), _alias(api, ALIAS)]},
                ]
            },
        )
        yield fake


def _project(tmp_path: Path, fake: AssetFakeAirflow) -> Path:
    path = tmp_path / "airlift.yaml"
    path.write_text(fake_instance(fake.url, MAPPINGS, extra="airflow_assets: {enabled: true}"))
    return path


# --- aliases in the lineage --------------------------------------------------------


def test_a_task_emitting_through_an_alias_is_upstream_of_the_asset(
    fake: AssetFakeAirflow, tmp_path: Path
) -> None:
    graph = build_defs(_project(tmp_path, fake), refresh="always").resolve_asset_graph()
    # mapped alias producer: its task asset; unmapped: its DAG asset; unpeered: nothing
    assert graph.get(ALIASED_KEY).parent_keys == {
        _key("lake", "emitted"),
        _key("fake", "dag", "unmapped_alias_producer"),
    }
    metadata = graph.get(ALIASED_KEY).metadata
    assert metadata["airflow/aliases"] == ALIAS
    assert metadata["airflow/alias_producing_tasks"] == (
        "alias_producer.emit, unmapped_alias_producer.emit2"
    )


def test_a_dag_scheduled_on_an_alias_consumes_what_the_alias_resolved_to(
    fake: AssetFakeAirflow, tmp_path: Path
) -> None:
    graph = build_defs(_project(tmp_path, fake), refresh="always").resolve_asset_graph()
    assert ALIASED_KEY in graph.get(_key("fake", "dag", "alias_consumer")).parent_keys
    # `cond` names the alias inside `|`: it consumes the aliased asset too
    assert {ORDERS_KEY, ALIASED_KEY} <= graph.get(_key("fake", "dag", "cond")).parent_keys


def test_refresh_reads_details_only_of_dags_scheduled_on_assets(
    fake: AssetFakeAirflow, tmp_path: Path
) -> None:
    build_defs(_project(tmp_path, fake), refresh="always")
    details = sorted(r.path.split("/")[-2] for r in fake.api_requests(r"/details$"))
    assert details == ["alias_consumer", "cond"]
    # the events of the one aliased asset, none of the others
    event_reads = fake.api_requests(r"/events$")
    assert len(event_reads) == 1
    field = "asset_id" if fake.api == "v2" else "dataset_id"
    assert event_reads[0].query[field] == [str(fake.assets[ALIASED].asset_id)]


def test_an_asset_ref_consumer_is_found_by_name() -> None:
    with AssetFakeAirflow(api="v2", username=USERNAME, password=PASSWORD) as fake:
        fake.add_dag("producer", {"extract": []})
        fake.add_dag("by_ref", {"t": []}, schedule="Asset")
        fake.add_asset(ORDERS, name="orders", producing_tasks=[("producer", "extract")])
        fake.set_expression("by_ref", {"asset_ref": {"name": "orders"}})
        with fake.client() as client:
            from airlift_component.airflow_state.airflow_asset_fetch import fetch_airflow_assets
            from airlift_component.airflow_state.state import DagState

            dags = {d.dag_id: DagState(d) for d in client.list_dags()}
            [asset] = fetch_airflow_assets(client, dags)
    assert asset.scheduled_dags == ("by_ref",)
    assert dict(asset.consumer_conditions) == {"by_ref": '{"asset_ref":{"name":"orders"}}'}


# --- conditions -------------------------------------------------------------------


def test_a_conditional_schedule_is_kept_on_the_consumer_dag_asset(
    fake: AssetFakeAirflow, tmp_path: Path
) -> None:
    path = _project(tmp_path, fake)
    spec = build_defs(path, refresh="always").resolve_asset_graph().get(_key("fake", "dag", "cond"))
    text = f"({ORDERS} & ({SUMMARY} | alias:{ALIAS})) | schedule:0 0 * * *"
    assert spec.metadata["airflow/schedule_condition"] == text
    structured = spec.metadata["airflow/schedule_condition_json"].value
    assert structured["any"][1] == {"schedule": "0 0 * * *"}
    [all_of] = [part for part in structured["any"] if "all" in part]
    assert all_of["all"][0]["asset"]["uri"] == ORDERS
    assert all_of["all"][1]["any"][1] == {"alias": {"name": ALIAS}}
    # the same from the stored state, with no Airflow call
    requests = len(fake.request_log)
    again = build_defs(path, refresh="never").resolve_asset_graph().get(_key("fake", "dag", "cond"))
    assert again.metadata["airflow/schedule_condition"] == text
    assert len(fake.request_log) == requests
    state = read_state_file(tmp_path / ".airlift" / "state.json")
    assert state is not None
    assets = state.instances["fake"].airflow_assets or ()
    assert condition_text(dag_conditions(assets)["cond"]) == text
    # stored once, under the first asset the DAG consumes, not copied under each
    assert sum(dag == "cond" for a in assets for dag, _ in a.consumer_conditions) == 1


@pytest.mark.parametrize(
    ("expression", "schedule", "text"),
    [
        ("s3://a", "Dataset", "s3://a"),
        ({"all": ["s3://a", "s3://b"]}, "Dataset", "s3://a & s3://b"),
        (
            {"any": ["s3://a", {"all": ["s3://b", "s3://c"]}]},
            "Dataset",
            "s3://a | (s3://b & s3://c)",
        ),
        (
            {"asset": {"uri": "s3://a", "name": "a", "group": "asset", "id": 3}},
            "Asset or @daily",
            "s3://a | schedule:@daily",
        ),
        ({"alias": {"name": "x", "group": ""}}, "Asset", "alias:x"),
        ({"asset_ref": {"uri": "s3://r"}}, "Asset", "ref:s3://r"),
        ({"something_new": 1}, "Asset", '?{"something_new": 1}'),
        ("postgres://u:Sekr1t@db/x", "Dataset", "postgres://db/x"),
    ],
    ids=["one", "and", "or-nested", "or-time", "alias", "ref", "unknown", "userinfo"],
)
def test_condition_text_and_json_round_trip(expression: Any, schedule: str, text: str) -> None:
    condition = parse_condition(expression, schedule)
    assert condition is not None
    assert condition_text(condition) == text
    assert from_json_text(to_json_text(condition)) == condition
    assert "Sekr1t" not in to_json_text(condition)


def test_a_hostile_expression_is_cut_not_a_recursion_error() -> None:
    deep: Any = "s3://a"
    for _ in range(5_000):
        deep = {"all": [deep]}
    condition = parse_condition(deep, "Asset")
    assert condition is not None
    assert "cut" in to_json_text(condition)


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        ("Asset", True),
        ("Partitioned Asset", True),
        ("Asset or 0 0 * * *", True),
        ("Dataset", True),
        ("Triggered by datasets", True),
        ("@daily", False),
        ("None", False),
        (None, True),
    ],
)
def test_which_schedules_get_a_details_read(schedule: str | None, expected: bool) -> None:
    assert might_be_asset_scheduled(schedule) is expected


# --- events: partition keys and inactive assets --------------------------------------


def test_an_events_partition_key_is_read() -> None:
    with AssetFakeAirflow(api="v2", username=USERNAME, password=PASSWORD) as fake:
        fake.add_asset(ORDERS)
        partitioned = fake.add_asset_event(ORDERS)
        fake.set_event_partition(partitioned.event_id, "us|2026-06-14T03:00:00")
        fake.add_asset_event(ORDERS)
        with fake.client() as client:
            events = list(
                client.asset_events(since=datetime.now(timezone.utc) - timedelta(hours=1))
            )
    keys = {event.event_id: event.partition_key for event in events}
    assert keys == {partitioned.event_id: "us|2026-06-14T03:00:00", partitioned.event_id + 1: None}


class _Listing:
    def __init__(self, events: list[AirflowAssetEvent]) -> None:
        self.events = events
        self.complete = True
        self.problem: str | None = None

    def __iter__(self) -> Iterator[AirflowAssetEvent]:
        return iter(self.events)


class _Source:
    def __init__(self, events: list[AirflowAssetEvent]) -> None:
        self.events = events

    def asset_events(self, *, since: datetime) -> _Listing:
        return _Listing(sorted(self.events, key=lambda e: e.timestamp, reverse=True))


def test_an_event_of_an_inactive_asset_sharing_the_uri_is_not_the_active_asset() -> None:
    now = datetime.now(timezone.utc)
    active = AirflowAssetEvent(1, ORDERS, now - timedelta(seconds=2), asset_id=7)
    inactive = AirflowAssetEvent(2, ORDERS, now - timedelta(seconds=1), asset_id=3)
    no_id = AirflowAssetEvent(3, ORDERS, now, asset_id=None)
    result = asset_event_pass(
        _Source([active, inactive, no_id]),
        EventMemory(),
        now=now,
        lookback=timedelta(hours=1),
        overlap=timedelta(minutes=5),
        known_uris={ORDERS},
        known_ids={ORDERS: 7},
    )
    assert [event.event_id for event in result.events] == [1, 3]
    assert any("asset id 3" in limit and ORDERS in limit for limit in result.limits)
    assert set(result.memory.seen) == {1, 2, 3}  # looked at once, not again next tick


def test_inactive_asset_events_come_from_the_fake_with_their_own_id() -> None:
    with AssetFakeAirflow(api="v2", username=USERNAME, password=PASSWORD) as fake:
        fake.add_asset(ORDERS)
        fake.add_asset_event(ORDERS)
        fake.add_inactive_asset_event(ORDERS)
        with fake.client() as client:
            events = list(
                client.asset_events(since=datetime.now(timezone.utc) - timedelta(hours=1))
            )
    assert sorted(e.asset_id for e in events if e.asset_id is not None) == [
        fake.assets[ORDERS].asset_id,
        1001,
    ]


def test_a_state_written_before_aliases_reads_and_writes_back_the_same() -> None:
    old = [
        {
            "uri": ORDERS,
            "name": ORDERS,
            "id": 1,
            "producing_tasks": [["producer", "extract"]],
            "scheduled_dags": ["consumer"],
        }
    ]
    [asset] = assets_from_json(old)
    assert (asset.aliases, asset.alias_producing_tasks, asset.consumer_conditions) == ((), (), ())
    assert assets_to_json([asset]) == old


def test_alias_producers_are_read_from_at_most_the_newest_events() -> None:
    with AssetFakeAirflow(api="v2", username=USERNAME, password=PASSWORD) as fake:
        fake.add_asset(ALIASED)
        now = datetime.now(timezone.utc)
        fake.add_asset_event(ALIASED, timestamp=now - timedelta(hours=1), source=("old", "t", "r"))
        for i in range(150):
            fake.add_asset_event(
                ALIASED, timestamp=now - timedelta(seconds=i), source=("new", "t", "r")
            )
        with fake.client() as client:
            asset_id = fake.assets[ALIASED].asset_id
            assert alias_event_sources(client, asset_id, max_events=150) == {("new", "t")}
            assert len(fake.api_requests(r"/events$")) == 2  # pages of 100 and 50
            assert alias_event_sources(client, asset_id) == {("new", "t"), ("old", "t")}


# --- the sensor (needs /tmp/issue22-assets-wiring.patch in tick.py and materializations.py)


def test_the_sensor_records_the_partition_key_and_not_the_inactive_assets_event(
    tmp_path: Path,
) -> None:
    with AssetFakeAirflow(api="v2", username=USERNAME, password=PASSWORD) as fake:
        fake.add_dag("producer", {"extract": []})
        fake.add_asset(ORDERS, producing_tasks=[("producer", "extract")])
        partitioned = fake.add_asset_event(ORDERS, source=("producer", "extract", "r1"))
        fake.set_event_partition(partitioned.event_id, "us|2026-06-14T03:00:00")
        inactive = fake.add_inactive_asset_event(ORDERS, source=("old_dag", "t", "r0"))
        plain = fake.add_asset_event(ORDERS, source=("producer", "extract", "r2"))
        sensor = build_defs(_project(tmp_path, fake), refresh="always").resolve_sensor_def(
            "airlift_fake_sensor"
        )
        result = sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()))
    assert isinstance(result, dg.SensorResult), result
    recorded = {
        e.metadata["airflow/event_id"].value: e.metadata
        for e in result.asset_events or []
        if isinstance(e, dg.AssetMaterialization) and e.asset_key == ORDERS_KEY
    }
    assert set(recorded) == {partitioned.event_id, plain.event_id}  # not inactive.event_id
    assert recorded[partitioned.event_id]["airflow/partition_key"].value == (
        "us|2026-06-14T03:00:00"
    )
    assert "airflow/partition_key" not in recorded[plain.event_id]
    assert f"asset id {fake.event_asset_ids[inactive.event_id]}" in str(result.skip_reason)
