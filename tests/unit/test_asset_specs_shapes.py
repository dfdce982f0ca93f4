"""The build's shortcuts give what the plain calls give.

``component/asset_specs.py`` makes each DAG's tags and metadata once and adds each
task's entries to them, keeps the sensor's task index as flat tuples, and makes the
DAG asset's task index without Dagster's JSON round trip (all for the build's cost,
``bench/compare/floor_ratio.py``); these tests hold each shortcut to the call it
stands for.
"""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._serdes import serialize_value

from airlift_component.component.asset_specs import MappedDag, _DagSite
from airlift_component.component.dagster_private import plain_json_metadata
from airlift_component.mapping_tags import mapping_metadata, mapping_tags, task_assets_index

LONG = "x" * 70

IDS = [
    ("prod", "customers", "load"),
    ("prod", "customers.v2", "group.load"),
    ("prod", LONG, "load"),
    ("a" * 40, "b" * 20, "c" * 10),
]


@pytest.mark.parametrize(("instance", "dag", "task"), IDS, ids=["short", "dots", "long", "hashed"])
def test_task_site_is_mapping_tags_and_metadata(instance: str, dag: str, task: str) -> None:
    link = dg.MetadataValue.url("http://airflow/dags/x")
    site = _DagSite.of(instance, dag, link)
    about = f"Airflow DAG {dag!r} on instance {instance!r}."

    task_site = site.task(task)
    assert list(task_site.tags.items()) == list(mapping_tags(instance, dag, task).items())
    expected = {**mapping_metadata(instance, dag, task), "airlift/dag_url": link}
    assert list(task_site.metadata.items()) == list(expected.items())
    assert task_site.description == f"Produced by task {task!r} of {about}"

    dag_site = site.task(None)
    assert list(dag_site.tags.items()) == list(mapping_tags(instance, dag).items())
    expected = {**mapping_metadata(instance, dag), "airlift/dag_url": link}
    assert list(dag_site.metadata.items()) == list(expected.items())
    assert dag_site.description == f"Produced by {about}"


def test_a_task_hands_its_metadata_once_then_copies() -> None:
    task = _DagSite.of("prod", "d", dg.MetadataValue.url("http://a")).task("t")
    first, second = task.spec_metadata(), task.spec_metadata()
    assert first == second and first is not second


def _key(*parts: str) -> dg.AssetKey:
    return dg.AssetKey(list(parts))


@pytest.mark.parametrize(
    "task_keys",
    [
        {},
        {"a": [_key("m", "a")], "b": [_key("m", "b")]},
        {"a": [_key("m", "a1"), _key("m", "a2")], "b": [], "c": [_key("m", "c")]},
        {"a": [], "b": []},
    ],
    ids=["none", "one-each", "uneven", "empty-tasks"],
)
def test_mapped_dag_gives_back_its_task_keys(task_keys: dict[str, list[dg.AssetKey]]) -> None:
    entry = MappedDag("d", _key("m", "dag", "d"), (_key("m", "whole"),), task_keys)
    assert entry.task_keys == task_keys
    assert list(entry.task_keys) == list(task_keys)
    assert entry.task_keys is entry.task_keys
    assert list(entry.dag_level_keys) == [_key("m", "whole")]
    assert entry == MappedDag("d", _key("m", "dag", "d"), [_key("m", "whole")], task_keys)
    assert entry != MappedDag("d", _key("m", "dag", "d"), (), task_keys)


def test_plain_json_metadata_is_dagsters_json_value() -> None:
    data = task_assets_index({"t": [("m", "a"), ("m", "b")], "u": []}, [("m", "c")])
    ours, dagsters = plain_json_metadata(data), dg.MetadataValue.json(data)
    assert type(ours) is type(dagsters)
    assert ours == dagsters
    assert serialize_value(ours) == serialize_value(dagsters)
