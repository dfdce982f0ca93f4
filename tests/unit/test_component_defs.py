"""build_defs: the assets, lineage, tags and sensors built from airlift.yaml and the cache."""

from __future__ import annotations

import gc
from pathlib import Path

import dagster as dg
import pytest
from component_fixtures import airflows, factory, write_project

from airlift_component.component import build_defs
from airlift_component.config.airlift_yaml import load as airlift_load
from airlift_component.errors import UsageError


@pytest.fixture
def defs(tmp_path: Path) -> dg.Definitions:
    return build_defs(
        write_project(tmp_path), refresh="if_missing", client_factory=factory(airflows())
    )


def _specs(defs: dg.Definitions) -> dict[dg.AssetKey, dg.AssetSpec]:
    graph = defs.resolve_asset_graph()
    return {key: graph.get(key).to_asset_spec() for key in graph.get_all_asset_keys()}


def _key(text: str) -> dg.AssetKey:
    return dg.AssetKey(text.split("/"))


def test_one_dag_asset_per_peered_dag_per_instance(defs: dg.Definitions) -> None:
    keys = set(_specs(defs))
    assert {_key("prod/dag/customers"), _key("prod/dag/orders")} <= keys
    assert _key("staging/dag/customers") in keys


def test_dag_asset_kinds_link_description_and_owners(defs: dg.Definitions) -> None:
    spec = _specs(defs)[_key("prod/dag/customers")]
    assert spec.kinds == {"airflow", "dag"}
    assert spec.metadata["airlift/dag_url"] == dg.MetadataValue.url(
        "http://127.0.0.1:8080/dags/customers"
    )
    assert spec.description == "Customer pipeline"
    assert spec.owners == ["ann@example.com"]
    assert spec.metadata["airflow/owners"] == "airflow, ann@example.com"


def test_airflow2_dag_link_points_at_grid(defs: dg.Definitions) -> None:
    spec = _specs(defs)[_key("staging/dag/customers")]
    assert spec.metadata["airlift/dag_url"].value.endswith("/dags/customers/grid")


def test_mapped_asset_attributes_are_kept(defs: dg.Definitions) -> None:
    spec = _specs(defs)[_key("raw/customers")]
    assert spec.group_name == "raw"
    assert spec.owners == ["team:data"]
    assert spec.kinds == {"s3", "airflow"}
    assert spec.tags["tier"] == "bronze"
    assert spec.metadata["table"] == "raw.customers"
    loaded = _specs(defs)[_key("analytics/customers")]
    assert loaded.description == "Clean customers."
    assert isinstance(loaded.partitions_def, dg.DailyPartitionsDefinition)


def test_mapping_is_recorded_in_tags_and_metadata(defs: dg.Definitions) -> None:
    spec = _specs(defs)[_key("analytics/customers")]
    assert spec.tags["airlift/task"] == "prod.customers.load"
    assert spec.tags["airlift/dag"] == "prod.customers"
    assert spec.tags["airlift/instance"] == "prod"
    assert spec.metadata["airlift/task_id"] == "load"
    dag_level = _specs(defs)[_key("reports/customers")]
    assert "airlift/task" not in dag_level.tags
    assert dag_level.tags["airlift/dag"] == "prod.customers"


def test_dag_asset_lists_each_tasks_asset_keys_for_the_proxy_lookup(
    defs: dg.Definitions,
) -> None:
    specs = _specs(defs)
    index = specs[_key("prod/dag/customers")].metadata["airlift/task_assets"].value
    assert index == {
        "tasks": {
            "extract": [["raw", "customers"]],
            "load": [["analytics", "customers"]],
            "publish": [["analytics", "published"]],
        },
        "dag": [["reports", "customers"]],
    }
    assert "airlift/task_assets" not in specs[_key("prod/dag/orders")].metadata


def test_lineage_follows_task_graph_through_unmapped_tasks(defs: dg.Definitions) -> None:
    specs = _specs(defs)
    assert {d.asset_key for d in specs[_key("analytics/customers")].deps} == {_key("raw/customers")}
    assert {d.asset_key for d in specs[_key("analytics/published")].deps} == {
        _key("analytics/customers")
    }
    assert not specs[_key("raw/customers")].deps


def test_dag_asset_depends_on_leaf_and_dag_level_assets(defs: dg.Definitions) -> None:
    specs = _specs(defs)
    assert {d.asset_key for d in specs[_key("prod/dag/customers")].deps} == {
        _key("analytics/published"),
        _key("reports/customers"),
    }
    assert {d.asset_key for d in specs[_key("reports/customers")].deps} == {
        _key("analytics/published")
    }


def test_one_sensor_per_instance(defs: dg.Definitions) -> None:
    names = {s.name for s in defs.sensors or []}
    assert names == {"airlift_prod_sensor", "airlift_staging_sensor"}
    prod = defs.resolve_sensor_def("airlift_prod_sensor")
    assert prod.minimum_interval_seconds == 5


def test_instances_filter(tmp_path: Path) -> None:
    defs = build_defs(
        write_project(tmp_path),
        instances=["staging"],
        refresh="if_missing",
        client_factory=factory(airflows()),
    )
    assert {s.name for s in defs.sensors or []} == {"airlift_staging_sensor"}
    with pytest.raises(UsageError, match="no instance named 'nope'"):
        build_defs(
            write_project(tmp_path),
            instances=["nope"],
            refresh="if_missing",
            client_factory=factory(airflows()),
        )


def test_defined_elsewhere_keys_get_no_spec(tmp_path: Path) -> None:
    @dg.asset(key=["analytics", "customers"])
    def dbt_model() -> None: ...

    other = dg.Definitions(assets=[dbt_model])
    airlift = build_defs(
        write_project(tmp_path),
        defined_elsewhere=other,
        refresh="if_missing",
        client_factory=factory(airflows()),
    )
    merged = dg.Definitions.merge(airlift, other)
    assert merged.resolve_asset_graph().get(_key("analytics/customers")).is_materializable


def test_mapped_dag_missing_from_airflow_keeps_assets_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stubs = airflows()
    del stubs["staging"].dags["customers"]
    defs = build_defs(write_project(tmp_path), refresh="if_missing", client_factory=factory(stubs))
    assert _key("staging/raw_customers") in _specs(defs)
    assert "DAG 'customers' is mapped" in caplog.text


def test_second_build_reuses_the_checked_mappings_in_the_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real = airlift_load._parse

    def counting(text: str, path: str):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real(text, path)

    monkeypatch.setattr(airlift_load, "_parse", counting)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    path = write_project(tmp_path)
    first = build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
    assert not (tmp_path / "user-cache").exists()  # nothing kept but the state
    assert [p.name for p in (tmp_path / ".airlift").iterdir()] == ["state.json"]
    second = build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
    assert parsed == [str(path)]  # the refresh's read; the second build parsed the settings only
    assert set(_specs(second)) == set(_specs(first))


def test_a_build_leaves_the_garbage_collector_as_it_found_it(tmp_path: Path) -> None:
    # A library is a guest: the code server, a notebook or a test runner owns the GC.
    path = write_project(tmp_path)
    frozen = gc.get_freeze_count()
    thresholds = gc.get_threshold()
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert gc.get_freeze_count() == frozen
    assert gc.get_threshold() == thresholds
