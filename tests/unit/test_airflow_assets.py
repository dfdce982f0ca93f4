"""Airflow assets (datasets) as Dagster assets: key rule, fetch and state file, specs and
lineage, and the sensor recording asset events, against the fake Airflow (v1 and v2)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import dagster as dg
import pytest

from airlift_component.airflow_api.types import AirflowAsset
from airlift_component.airflow_state.airflow_assets import derived_key
from airlift_component.airflow_state.state_file import AirliftStateFile, read_state_file
from airlift_component.component import build_defs
from airlift_component.component.airflow_asset_specs import AirflowAssetKeyError
from airlift_component.config.airlift_yaml.model import ASSET_KEY_PATTERN
from tests.harness.fake_airflow import FakeAirflow
from tests.unit.cli_project import PASSWORD, USERNAME, fake_instance

ASSETS = "airflow_assets:\n  enabled: {enabled}\n  keys: {keys}\n"
MAPPINGS = """\
- dag: producer
  tasks:
    - task: extract
      assets: [lake/extract]
"""

ORDERS = "s3://lake/raw/orders.parquet"
DAILY = "daily_summary"


@pytest.fixture(params=["v1", "v2"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeAirflow]:
    with FakeAirflow(api=request.param, username=USERNAME, password=PASSWORD) as fake:
        fake.add_dag("producer", {"extract": ["publish"], "publish": []})
        fake.add_dag("consumer", {"report": []})
        fake.add_dag("unpeered_other", {"x": []})
        fake.add_asset(
            ORDERS,
            producing_tasks=[("producer", "extract")],
            scheduled_dags=["consumer"],
        )
        fake.add_asset(DAILY, producing_tasks=[("producer", "publish")])
        fake.add_asset("s3://elsewhere/x", producing_tasks=[("not_peered", "t")])
        yield fake


def _project(tmp_path: Path, fake: FakeAirflow, *, enabled: bool = True, keys: str = "{}") -> Path:
    path = tmp_path / "airlift.yaml"
    extra = ASSETS.format(enabled=str(enabled).lower(), keys=keys)
    path.write_text(fake_instance(fake.url, MAPPINGS, extra=extra))
    return path


def _key(*parts: str) -> dg.AssetKey:
    return dg.AssetKey(list(parts))


# --- the key rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "key"),
    [
        (ORDERS, ["a", "airflow_asset", "s3", "lake", "raw", "orders.parquet"]),
        (
            "postgres://db:5432/sales?table=x",
            ["a", "airflow_asset", "postgres", "db_5432", "sales_table_x"],
        ),
        (DAILY, ["a", "airflow_asset", "daily_summary"]),
        ("file:///tmp//x y/.hidden", ["a", "airflow_asset", "file", "tmp", "x_y", "_.hidden"]),
        ("s3://", ["a", "airflow_asset", "s3"]),
        ("///", ["a", "airflow_asset", "_"]),
        ("ünïcode://b/ç", ["a", "airflow_asset", "_n_code", "b", "_"]),
    ],
    ids=[
        "s3",
        "port-and-query",
        "name-only",
        "empty-parts-and-dot",
        "scheme-only",
        "slashes",
        "unicode",
    ],
)
def test_key_rule_is_deterministic_and_valid_in_airlift_yaml(uri: str, key: list[str]) -> None:
    assert derived_key("a", uri) == key
    assert re.fullmatch(ASSET_KEY_PATTERN, "/".join(derived_key("a", uri)))


# --- fetch and state file -----------------------------------------------------------


def test_refresh_stores_assets_of_peered_dags_only_when_enabled(
    fake: FakeAirflow, tmp_path: Path
) -> None:
    path = _project(tmp_path, fake)
    build_defs(path, refresh="always")
    state = read_state_file(tmp_path / ".airlift" / "state.json")
    assert state is not None
    assets = state.instances["fake"].airflow_assets
    assert assets is not None
    assert {a.uri: (a.producing_tasks, a.scheduled_dags) for a in assets} == {
        ORDERS: ((("producer", "extract"),), ("consumer",)),
        DAILY: ((("producer", "publish"),), ()),
    }
    raw = json.loads((tmp_path / ".airlift" / "state.json").read_bytes())
    assert raw["instances"]["fake"]["airflow_assets"][0]["uri"] in (ORDERS, DAILY)

    off = _project(tmp_path, fake, enabled=False)
    build_defs(off, refresh="always")
    raw = json.loads((tmp_path / ".airlift" / "state.json").read_bytes())
    assert "airflow_assets" not in raw["instances"]["fake"]
    listings = [r for r in fake.request_log if r.path.endswith(("/assets", "/datasets"))]
    assert len(listings) == 1  # the enabled refresh only


def test_state_file_without_airflow_assets_still_loads() -> None:
    old = {
        "format": 2,
        "kind": "airlift-component/state",
        "fetched_at": "2026-11-29T18:00:00+00:00",
        "instances": {
            "a": {
                "url": "http://127.0.0.1:1",
                "api_version": "v2",
                "airflow_version": "3.3.2",
                "fetched_at": "2026-11-29T18:00:00+00:00",
                "fingerprint": "0" * 16,
                "dags": [],
            }
        },
    }
    state = AirliftStateFile.from_bytes(json.dumps(old).encode(), "old.json")
    assert state.instances["a"].airflow_assets is None
    assert b"airflow_assets" not in state.to_bytes()


# --- definitions and lineage --------------------------------------------------------


def test_assets_and_lineage_task_asset_to_airflow_asset_to_consumer_dag(
    fake: FakeAirflow, tmp_path: Path
) -> None:
    defs = build_defs(_project(tmp_path, fake), refresh="always")
    graph = defs.resolve_asset_graph()
    orders = _key("fake", "airflow_asset", "s3", "lake", "raw", "orders.parquet")
    daily = _key("fake", "airflow_asset", "daily_summary")
    # a mapped producer task: its asset is upstream; an unmapped one: the DAG's asset
    assert graph.get(orders).parent_keys == {_key("lake", "extract")}
    assert graph.get(daily).parent_keys == {_key("fake", "dag", "producer")}
    assert orders in graph.get(_key("fake", "dag", "consumer")).parent_keys
    assert not graph.has(_key("fake", "airflow_asset", "s3", "elsewhere", "x"))
    spec = graph.get(orders)
    assert spec.kinds == {"airflow"}
    assert spec.metadata["airflow/asset_uri"] == ORDERS
    url = spec.metadata["airflow/asset_url"].value
    assert url.startswith(fake.url) and ("/assets/1" in url or "uri=s3" in url)


def test_off_by_default_changes_nothing(fake: FakeAirflow, tmp_path: Path) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_text(fake_instance(fake.url, MAPPINGS))  # no airflow_assets key
    keys = build_defs(path, refresh="always").resolve_asset_graph().get_all_asset_keys()
    assert not [k for k in keys if "airflow_asset" in k.path]
    sensor = build_defs(path).resolve_sensor_def("airlift_fake_sensor")
    result = sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()))
    assert '"asset_events"' not in (getattr(result, "cursor", None) or "")
    assert not [r for r in fake.request_log if "events" in r.path]


def test_override_keys_by_uri_and_by_name(fake: FakeAirflow, tmp_path: Path) -> None:
    keys = f'{{"{ORDERS}": warehouse/orders, {DAILY}: reports/daily}}'
    graph = build_defs(_project(tmp_path, fake, keys=keys), refresh="always").resolve_asset_graph()
    assert graph.get(_key("warehouse", "orders")).parent_keys == {_key("lake", "extract")}
    assert graph.has(_key("reports", "daily"))


def test_two_uris_deriving_one_key_is_an_error_naming_both_and_the_fix(
    fake: FakeAirflow, tmp_path: Path
) -> None:
    fake.add_asset("s3://lake/a b", producing_tasks=[("producer", "extract")])
    fake.add_asset("s3://lake/a_b", producing_tasks=[("producer", "extract")])
    path = _project(tmp_path, fake)
    with pytest.raises(AirflowAssetKeyError) as caught:
        build_defs(path, refresh="always")
    text = str(caught.value)
    assert "s3://lake/a b" in text and "s3://lake/a_b" in text
    assert "airflow_assets.keys" in text and str(path) in text


def test_key_equal_to_a_dag_asset_is_an_error(fake: FakeAirflow, tmp_path: Path) -> None:
    # An override may not reuse a mapped key (`airlift validate` refuses it); a DAG
    # asset's key is only known with the state, so the definitions refuse it.
    path = _project(tmp_path, fake, keys=f'{{"{DAILY}": fake/dag/consumer}}')
    with pytest.raises(AirflowAssetKeyError, match="mapped asset or DAG asset"):
        build_defs(path, refresh="always")


def test_a_dag_scheduled_on_what_it_produces_gets_no_cycle(
    fake: FakeAirflow, tmp_path: Path
) -> None:
    fake.add_asset("loop", producing_tasks=[("consumer", "report")], scheduled_dags=["consumer"])
    graph = build_defs(_project(tmp_path, fake), refresh="always").resolve_asset_graph()
    loop = _key("fake", "airflow_asset", "loop")
    assert graph.get(loop).parent_keys == {_key("fake", "dag", "consumer")}
    assert loop not in graph.get(_key("fake", "dag", "consumer")).parent_keys
    assert graph.toposorted_asset_keys  # no cycle


def test_enabled_without_assets_in_the_state_warns_to_refresh(
    fake: FakeAirflow, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    build_defs(_project(tmp_path, fake, enabled=False), refresh="always")
    defs = build_defs(_project(tmp_path, fake), refresh="never")
    assert "has no Airflow assets" in caplog.text
    assert not [
        k for k in defs.resolve_asset_graph().get_all_asset_keys() if "airflow_asset" in k.path
    ]


# --- the sensor -----------------------------------------------------------------------


def _tick(sensor: dg.SensorDefinition, cursor: str | None) -> dg.SensorResult:
    result = sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), cursor=cursor))
    assert isinstance(result, dg.SensorResult), result
    return result


def _events(result: dg.SensorResult) -> list[dg.AssetMaterialization]:
    return [
        e
        for e in result.asset_events or []
        if isinstance(e, dg.AssetMaterialization) and "airflow_asset" in e.asset_key.path
    ]


def test_sensor_records_each_event_once_with_its_metadata(
    fake: FakeAirflow, tmp_path: Path
) -> None:
    sensor = build_defs(_project(tmp_path, fake), refresh="always").resolve_sensor_def(
        "airlift_fake_sensor"
    )
    now = datetime.now(timezone.utc)
    fake.add_asset_event(
        ORDERS,
        timestamp=now - timedelta(minutes=3),
        source=("producer", "extract", "manual__1"),
        extra={"rows": 3, "password": "Sekr1t", "where": "s3://user:Sekr1t@lake/x"},
    )
    fake.add_asset_event("s3://elsewhere/x", timestamp=now - timedelta(minutes=2))
    first = _tick(sensor, None)
    recorded = _events(first)
    assert [e.asset_key for e in recorded] == [
        _key("fake", "airflow_asset", "s3", "lake", "raw", "orders.parquet")
    ]
    metadata = {k: v.value for k, v in recorded[0].metadata.items()}
    assert metadata["airflow/event_id"] == 1
    assert metadata["airflow/source_dag_id"] == "producer"
    assert metadata["airflow/source_task_id"] == "extract"
    assert metadata["airflow/source_run_id"] == "manual__1"
    assert metadata["airflow/source_map_index"] == -1
    assert "manual__1" in metadata["airflow/run_url"]
    assert "Sekr1t" not in json.dumps(metadata["airflow/event_extra"])
    assert metadata["airflow/event_extra"]["rows"] == 3

    assert _events(_tick(sensor, first.cursor)) == []
    fake.add_asset_event(DAILY, source=("producer", "publish", "manual__1"))
    second = _tick(sensor, first.cursor)
    assert [e.asset_key for e in _events(second)] == [
        _key("fake", "airflow_asset", "daily_summary")
    ]
    assert _events(_tick(sensor, second.cursor)) == []


def test_an_old_cursor_is_upgraded_not_restarted(fake: FakeAirflow, tmp_path: Path) -> None:
    # A cursor written before the feature (no "asset_events") keeps its runs; the events
    # start at lookback_hours.
    path = _project(tmp_path, fake, enabled=False)
    sensor_off = build_defs(path, refresh="always").resolve_sensor_def("airlift_fake_sensor")
    fake.add_finished_run("producer", "r1")
    old = _tick(sensor_off, None)
    assert "asset_events" not in (old.cursor or "")
    fake.add_asset_event(ORDERS, source=("producer", "extract", "r1"))
    sensor = build_defs(_project(tmp_path, fake), refresh="always").resolve_sensor_def(
        "airlift_fake_sensor"
    )
    upgraded = _tick(sensor, old.cursor)
    assert [e.metadata["airflow/event_id"].value for e in _events(upgraded)] == [1]
    run_events = [e for e in upgraded.asset_events or [] if "airflow_asset" not in e.asset_key.path]
    assert run_events == []  # r1 was recorded by the old cursor's tick


def test_events_between_pages_and_a_failed_tick_are_recorded_once(
    fake: FakeAirflow, tmp_path: Path
) -> None:
    sensor = build_defs(_project(tmp_path, fake), refresh="always").resolve_sensor_def(
        "airlift_fake_sensor"
    )
    fake.max_page_limit = 7
    now = datetime.now(timezone.utc)
    for i in range(30):
        fake.add_asset_event(ORDERS, timestamp=now - timedelta(seconds=100 - i))

    def commit_more(request: object) -> None:
        if "events" in getattr(request, "path", "") and len(fake.asset_events) < 40:
            fake.add_asset_event(DAILY, timestamp=datetime.now(timezone.utc))

    fake.on_request = commit_more
    first = _tick(sensor, None)
    fake.on_request = None
    fake.fail_next(1, status=503, path="events")
    skipped = sensor(
        dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral(), cursor=first.cursor)
    )
    assert isinstance(skipped, dg.SkipReason)
    second = _tick(sensor, first.cursor)
    ids = [e.metadata["airflow/event_id"].value for e in _events(first) + _events(second)]
    assert sorted(ids) == [e.event_id for e in fake.asset_events]


def test_asset_list_parses_both_shapes(fake: FakeAirflow) -> None:
    with fake.client() as client:
        assets = {a.uri: a for a in client.list_airflow_assets()}
    assert assets[ORDERS] == AirflowAsset(
        ORDERS, ORDERS, 1, (("producer", "extract"),), ("consumer",)
    )


def test_uri_credentials_never_reach_state_keys_or_metadata(
    fake: FakeAirflow, tmp_path: Path
) -> None:
    secret_uri = "postgres://loader:Sekr1t@db:5432/sales"
    fake.add_asset(secret_uri, producing_tasks=[("producer", "extract")])
    fake.add_asset_event(secret_uri, source=("producer", "extract", "r1"))
    defs = build_defs(_project(tmp_path, fake), refresh="always")
    assert "Sekr1t" not in (tmp_path / ".airlift" / "state.json").read_text()
    key = _key("fake", "airflow_asset", "postgres", "db_5432", "sales")
    spec = defs.resolve_asset_graph().get(key)
    assert "Sekr1t" not in repr(spec.metadata)
    result = _tick(defs.resolve_sensor_def("airlift_fake_sensor"), None)
    [event] = [e for e in _events(result) if e.asset_key == key]
    assert "Sekr1t" not in repr(event.metadata)


def test_asset_listing_reads_every_page(fake: FakeAirflow) -> None:
    for i in range(230):
        fake.add_asset(f"s3://many/{i:03d}", scheduled_dags=["consumer"])
    with fake.client() as client:
        assets = client.list_airflow_assets()
    assert len({a.uri for a in assets}) == 233
    listings = [r for r in fake.request_log if r.path.endswith(("/assets", "/datasets"))]
    assert len(listings) == 3


def test_event_listing_that_stops_short_is_not_complete(fake: FakeAirflow) -> None:
    now = datetime.now(timezone.utc)
    for i in range(5):
        fake.add_asset_event(ORDERS, timestamp=now - timedelta(seconds=i))
    fake.empty_next(1, path="events")
    with fake.client() as client:
        stream = client.asset_events(since=now - timedelta(hours=1))
        assert list(stream) == []
    assert not stream.complete and "reported 5" in (stream.problem or "")
