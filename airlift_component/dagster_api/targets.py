"""Which Dagster assets a proxied Airflow task (or DAG) runs.

Dagster's GraphQL API cannot filter asset definitions by tag, so the lookup
walks the lineage instead, with targeted ``assetNodes(assetKeys: ...)``
queries: it starts at the DAG's asset ``[instance, "dag", dag_id]``, which the
component makes depend on the DAG's leaf mapped assets, and goes upstream one
level per query while the assets still belong to the DAG (definition tag
``airlift/dag``). Matches are the executable assets tagged
``airlift/task: <instance>.<dag>.<task>`` (confirmed by the exact ids in the
``airlift/dag_id`` / ``airlift/task_id`` metadata when present).

Only when that walk finds nothing (assets defined by hand without lineage to
the DAG asset) does it fall back to matching tags over all asset keys.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from airlift_component.dagster_api.client import DagsterClient
from airlift_component.dagster_api.types import (
    DAG_ID_METADATA,
    DAG_TAG,
    TASK_ID_METADATA,
    TASK_TAG,
    AssetNode,
    tag_value,
)
from airlift_component.errors import DagsterApiError

log = logging.getLogger(__name__)

#: Upper bound on lineage levels walked (a DAG deeper than this is unusual).
MAX_DEPTH = 200


@dataclass(frozen=True)
class ProxyTarget:
    """The assets one proxy operator materializes, all in one code location."""

    location: str
    repository: str
    assets: tuple[AssetNode, ...]
    found_via: str = "lineage"  # or "tag scan"

    @property
    def keys(self) -> list[tuple[str, ...]]:
        return [node.key for node in self.assets]


def _belongs(node: AssetNode, dag_tag: str, dag_id: str) -> bool:
    if node.tags.get(DAG_TAG) != dag_tag:
        return False
    return node.text_metadata.get(DAG_ID_METADATA, dag_id) == dag_id


def _matches(node: AssetNode, task_tag: str | None, task_id: str | None) -> bool:
    if not node.is_executable:
        return False
    if task_id is None or task_tag is None:
        return True
    if node.tags.get(TASK_TAG) != task_tag:
        return False
    return node.text_metadata.get(TASK_ID_METADATA, task_id) == task_id


def _walk_dag_lineage(client: DagsterClient, instance: str, dag_id: str) -> Iterable[AssetNode]:
    dag_tag = tag_value(instance, dag_id)
    seen: set[tuple[str, ...]] = set()
    frontier: list[tuple[str, ...]] = [(instance, "dag", dag_id)]
    for _ in range(MAX_DEPTH):
        if not frontier:
            return
        seen.update(frontier)
        next_level: set[tuple[str, ...]] = set()
        for node in client.asset_nodes(frontier):
            if not _belongs(node, dag_tag, dag_id):
                continue
            yield node
            next_level.update(key for key in node.dependency_keys if key not in seen)
        frontier = sorted(next_level)


def find_proxy_target(
    client: DagsterClient, *, instance: str, dag_id: str, task_id: str | None = None
) -> ProxyTarget:
    """The executable assets mapped to ``task_id`` of ``dag_id`` (all of the DAG's
    when ``task_id`` is None); raises :class:`DagsterApiError` when there are none."""
    what = f"task {task_id!r} of DAG {dag_id!r}" if task_id else f"DAG {dag_id!r}"
    task_tag = tag_value(instance, dag_id, task_id) if task_id else None
    nodes = [
        node
        for node in _walk_dag_lineage(client, instance, dag_id)
        if _matches(node, task_tag, task_id)
    ]
    found_via = "lineage"
    if not nodes:
        found_via = "tag scan"
        tag, value = (TASK_TAG, task_tag) if task_tag else (DAG_TAG, tag_value(instance, dag_id))
        log.info("no lineage from the DAG asset; matching assets tagged %s=%s", tag, value)
        keys = client.asset_keys_with_tag(tag, value)
        nodes = [node for node in client.asset_nodes(keys) if _matches(node, task_tag, task_id)]
    if not nodes:
        raise DagsterApiError(
            f"Dagster at {client.base_url} has no executable asset mapped to {what} "
            f"(Airflow instance {instance!r}); give the mapped assets Dagster code in "
            "airlift.yaml, reload the code location, or set proxied: false"
        )
    places = sorted({(node.location_name, node.repository_name) for node in nodes})
    if len(places) > 1:
        raise DagsterApiError(
            f"the assets mapped to {what} live in {len(places)} code locations "
            f"({', '.join(loc for loc, _ in places)}); one proxied task runs one location"
        )
    location, repository = places[0]
    assets = tuple(sorted(nodes, key=lambda n: n.key))
    return ProxyTarget(location, repository, assets, found_via)
