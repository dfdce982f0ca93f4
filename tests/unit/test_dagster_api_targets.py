"""Finding a proxied task's assets: lineage walk from the DAG asset, tag fallback, errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from airlift_component.dagster_api import AssetNode, tag_value
from airlift_component.dagster_api.targets import find_proxy_target
from airlift_component.errors import DagsterApiError


def node(
    *key: str,
    dag: str | None = None,
    task: str | None = None,
    deps: Sequence[tuple[str, ...]] = (),
    executable: bool = True,
    location: str = "loc",
    instance: str = "prod",
) -> AssetNode:
    tags = {}
    metadata = {}
    if dag:
        tags["airlift/dag"] = tag_value(instance, dag)
        metadata["airlift/dag_id"] = dag
    if task:
        tags["airlift/task"] = tag_value(instance, dag or "", task)
        metadata["airlift/task_id"] = task
    return AssetNode(
        key=key,
        tags=tags,
        is_executable=executable,
        repository_name="__repository__",
        location_name=location,
        dependency_keys=tuple(deps),
        text_metadata=metadata,
    )


class FakeAssets:
    base_url = "http://dagster.test"

    def __init__(self, nodes: Iterable[AssetNode]) -> None:
        self.nodes = {n.key: n for n in nodes}
        self.queries: list[list[tuple[str, ...]]] = []
        self.scans = 0

    def asset_nodes(self, keys: Iterable[Sequence[str]]) -> list[AssetNode]:
        wanted = [tuple(k) for k in keys]
        self.queries.append(wanted)
        return [self.nodes[k] for k in wanted if k in self.nodes]

    def asset_keys_with_tag(self, key: str, value: str) -> list[tuple[str, ...]]:
        self.scans += 1
        return [k for k, n in self.nodes.items() if n.tags.get(key) == value]


def dag_graph() -> FakeAssets:
    return FakeAssets(
        [
            node("prod", "dag", "etl", dag="etl", deps=[("mart",)], executable=False),
            node("mart", dag="etl", task="transform", deps=[("raw",), ("other",)]),
            node("raw", dag="etl", task="load"),
            node("raw_extra", dag="etl", task="load"),  # not on the lineage path
            node("other", dag="elsewhere", task="x", deps=[("deep",)]),
            node("deep", dag="etl", task="load"),  # behind another DAG's asset: not reached
        ]
    )


def test_task_assets_found_by_walking_lineage_without_scan() -> None:
    fake = dag_graph()
    target = find_proxy_target(fake, instance="prod", dag_id="etl", task_id="transform")  # type: ignore[arg-type]
    assert target.keys == [("mart",)]
    assert (target.location, target.repository) == ("loc", "__repository__")
    assert fake.scans == 0
    assert target.found_via == "lineage"
    assert fake.queries[0] == [("prod", "dag", "etl")]


def test_walk_stops_at_assets_of_other_dags() -> None:
    fake = dag_graph()
    target = find_proxy_target(fake, instance="prod", dag_id="etl", task_id="load")  # type: ignore[arg-type]
    assert target.keys == [("raw",)]
    assert all(("deep",) not in query for query in fake.queries)


def test_dag_level_takes_every_executable_asset_of_the_dag() -> None:
    target = find_proxy_target(dag_graph(), instance="prod", dag_id="etl")  # type: ignore[arg-type]
    assert target.keys == [("mart",), ("raw",)]


def test_falls_back_to_tags_when_no_dag_asset() -> None:
    fake = FakeAssets([node("solo", dag="adhoc", task="work")])
    target = find_proxy_target(fake, instance="prod", dag_id="adhoc", task_id="work")  # type: ignore[arg-type]
    assert target.keys == [("solo",)]
    assert fake.scans == 1
    assert target.found_via == "tag scan"


def test_long_ids_use_the_hashed_tag_and_exact_metadata() -> None:
    dag_id, task_id = "d" * 50, "t" * 30
    fake = FakeAssets(
        [
            node("prod", "dag", dag_id, dag=dag_id, deps=[("a",)], executable=False),
            node("a", dag=dag_id, task=task_id),
        ]
    )
    assert find_proxy_target(fake, instance="prod", dag_id=dag_id, task_id=task_id).keys == [("a",)]  # type: ignore[arg-type]


def test_no_executable_asset_is_a_clear_error() -> None:
    fake = FakeAssets([node("prod", "dag", "etl", dag="etl", executable=False)])
    with pytest.raises(
        DagsterApiError, match="no executable asset mapped to task 'load' of DAG 'etl'"
    ):
        find_proxy_target(fake, instance="prod", dag_id="etl", task_id="load")  # type: ignore[arg-type]


def test_assets_in_two_locations_are_refused() -> None:
    fake = FakeAssets(
        [
            node("prod", "dag", "etl", dag="etl", deps=[("a",), ("b",)], executable=False),
            node("a", dag="etl", task="t", location="one"),
            node("b", dag="etl", task="t", location="two"),
        ]
    )
    with pytest.raises(DagsterApiError, match="2 code locations"):
        find_proxy_target(fake, instance="prod", dag_id="etl", task_id="t")  # type: ignore[arg-type]
