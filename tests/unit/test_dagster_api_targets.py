"""Finding a proxied task's assets: the DAG asset's task index, lineage walk, tag scan, errors."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

import pytest

from airlift_component.dagster_api import AssetNode, tag_value
from airlift_component.dagster_api.targets import dag_asset_key, find_proxy_target
from airlift_component.errors import DagsterApiError
from airlift_component.mapping_tags import TASK_ASSETS_METADATA, task_assets_index


def node(
    *key: str,
    dag: str | None = None,
    task: str | None = None,
    deps: Sequence[tuple[str, ...]] = (),
    executable: bool = True,
    location: str = "loc",
    instance: str = "prod",
    json_metadata: Mapping[str, str] | None = None,
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
        json_metadata=dict(json_metadata or {}),
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

    @property
    def requests(self) -> int:
        return len(self.queries) + self.scans


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


def indexed_dag_asset(
    tasks: Mapping[str, Sequence[tuple[str, ...]]],
    dag_level: Sequence[tuple[str, ...]] = (),
    deps: Sequence[tuple[str, ...]] = (),
) -> AssetNode:
    """The DAG asset as the component builds it, carrying ``airlift/task_assets``."""
    index = json.dumps(task_assets_index(tasks, dag_level))
    return node(
        "prod",
        "dag",
        "etl",
        dag="etl",
        deps=deps,
        executable=False,
        json_metadata={TASK_ASSETS_METADATA: index},
    )


def indexed_chain(length: int) -> FakeAssets:
    """A chain of ``length`` task assets t0 <- t1 <- ..., each mapped to its own task."""
    tasks = {f"t{i}": [(f"a{i}",)] for i in range(length)}
    chain = [
        node(f"a{i}", dag="etl", task=f"t{i}", deps=[(f"a{i - 1}",)] if i else [])
        for i in range(length)
    ]
    last = (f"a{length - 1}",)
    return FakeAssets([indexed_dag_asset(tasks, deps=[last]), *chain])


def test_index_on_the_dag_asset_finds_a_task_in_two_requests() -> None:
    fake = indexed_chain(10)
    target = find_proxy_target(fake, instance="prod", dag_id="etl", task_id="t0")  # type: ignore[arg-type]
    assert target.keys == [("a0",)]
    assert target.found_via == "index"
    assert fake.queries == [[("prod", "dag", "etl")], [("a0",)]]
    assert fake.requests == 2


def test_without_an_index_the_lineage_walk_does_not_refetch_the_dag_asset() -> None:
    fake = dag_graph()
    target = find_proxy_target(fake, instance="prod", dag_id="etl", task_id="load")  # type: ignore[arg-type]
    assert target.found_via == "lineage"
    assert sum(query.count(("prod", "dag", "etl")) for query in fake.queries) == 1


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps(["a"]),
        json.dumps({"tasks": {"transform": "mart"}}),
        json.dumps({"tasks": {"transform": [[]]}}),
        json.dumps({"tasks": {}, "dag": [[1]]}),
    ],
)
def test_malformed_index_falls_back_to_the_lineage_walk(text: str) -> None:
    fake = dag_graph()
    dag_key = ("prod", "dag", "etl")
    fake.nodes[dag_key] = node(
        *dag_key,
        dag="etl",
        deps=[("mart",)],
        executable=False,
        json_metadata={TASK_ASSETS_METADATA: text},
    )
    target = find_proxy_target(fake, instance="prod", dag_id="etl", task_id="transform")  # type: ignore[arg-type]
    assert target.keys == [("mart",)]
    assert target.found_via == "lineage"


def test_malformed_json_from_graphql_is_no_index() -> None:
    data = {
        "assetKey": {"path": ["prod", "dag", "etl"]},
        "tags": [{"key": "airlift/dag", "value": tag_value("prod", "etl")}],
        "isExecutable": False,
        "dependencyKeys": [{"path": ["mart"]}],
        "metadataEntries": [
            {"label": "airlift/dag_id", "text": "etl"},
            {"label": TASK_ASSETS_METADATA, "jsonString": "{oops"},
        ],
    }
    fake = dag_graph()
    fake.nodes[("prod", "dag", "etl")] = AssetNode.from_graphql(data)
    target = find_proxy_target(fake, instance="prod", dag_id="etl", task_id="transform")  # type: ignore[arg-type]
    assert (target.keys, target.found_via) == ([("mart",)], "lineage")


def test_dag_level_proxying_takes_every_task_and_dag_key_from_the_index() -> None:
    fake = FakeAssets(
        [
            indexed_dag_asset({"load": [("raw",)], "transform": [("mart",)]}, [("report",)]),
            node("raw", dag="etl", task="load"),
            node("mart", dag="etl", task="transform"),
            node("report", dag="etl"),
        ]
    )
    target = find_proxy_target(fake, instance="prod", dag_id="etl")  # type: ignore[arg-type]
    assert target.keys == [("mart",), ("raw",), ("report",)]
    assert target.found_via == "index"
    assert sorted(fake.queries[1]) == [("mart",), ("raw",), ("report",)]
    assert fake.requests == 2


def test_index_keys_that_are_not_executable_or_missing_are_skipped() -> None:
    fake = FakeAssets(
        [
            indexed_dag_asset({"load": [("raw",), ("observed",), ("gone",)]}),
            node("raw", dag="etl", task="load"),
            node("observed", dag="etl", task="load", executable=False),
        ]
    )
    target = find_proxy_target(fake, instance="prod", dag_id="etl", task_id="load")  # type: ignore[arg-type]
    assert target.keys == [("raw",)]
    assert fake.requests == 2


def test_index_with_nothing_executable_is_a_clear_error_without_fallback() -> None:
    fake = FakeAssets(
        [
            indexed_dag_asset({"load": [("observed",)]}),
            node("observed", dag="etl", task="load", executable=False),
        ]
    )
    with pytest.raises(DagsterApiError, match=r"no executable asset mapped.*reload the code"):
        find_proxy_target(fake, instance="prod", dag_id="etl", task_id="load")  # type: ignore[arg-type]
    assert fake.requests == 2


def test_task_missing_from_the_index_falls_back_to_the_old_lookup() -> None:
    fake = FakeAssets(
        [
            indexed_dag_asset({"load": [("raw",)]}),
            node("raw", dag="etl", task="load"),
            node("by_hand", dag="etl", task="extra"),
        ]
    )
    target = find_proxy_target(fake, instance="prod", dag_id="etl", task_id="extra")  # type: ignore[arg-type]
    assert (target.keys, target.found_via) == ([("by_hand",)], "tag scan")


def test_an_already_fetched_dag_asset_leaves_one_request_on_the_index_path() -> None:
    fake = indexed_chain(10)
    dag_nodes = [fake.nodes[dag_asset_key("prod", "etl")]]
    target = find_proxy_target(
        fake,  # type: ignore[arg-type]
        instance="prod",
        dag_id="etl",
        task_id="t3",
        dag_nodes=dag_nodes,
    )
    assert (target.keys, target.found_via) == ([("a3",)], "index")
    assert fake.queries == [[("a3",)]]


def test_an_already_fetched_dag_asset_is_not_fetched_again_by_the_lineage_walk() -> None:
    fake = dag_graph()
    dag_nodes = [fake.nodes[dag_asset_key("prod", "etl")]]
    target = find_proxy_target(
        fake,  # type: ignore[arg-type]
        instance="prod",
        dag_id="etl",
        task_id="load",
        dag_nodes=dag_nodes,
    )
    assert (target.keys, target.found_via) == ([("raw",)], "lineage")
    assert all(("prod", "dag", "etl") not in query for query in fake.queries)


def test_an_empty_fetched_dag_asset_answer_falls_back_to_the_tag_scan() -> None:
    fake = FakeAssets([node("solo", dag="adhoc", task="work")])
    target = find_proxy_target(
        fake,  # type: ignore[arg-type]
        instance="prod",
        dag_id="adhoc",
        task_id="work",
        dag_nodes=[],
    )
    assert (target.keys, target.found_via) == ([("solo",)], "tag scan")
    assert all(("prod", "dag", "adhoc") not in query for query in fake.queries)
