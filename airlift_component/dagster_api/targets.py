"""Which Dagster assets a proxied Airflow task (or DAG) runs.

Dagster's GraphQL API cannot filter asset definitions by tag, so the lookup
uses targeted ``assetNodes(assetKeys: ...)`` queries starting at the DAG's
asset ``[instance, "dag", dag_id]``:

1. The component puts JSON metadata ``airlift/task_assets`` on that asset: the
   asset keys of each mapped task and of the DAG as a whole. When it is there
   and lists keys for the request, one more query fetches exactly those keys
   (two requests in all, or one when the caller already fetched the DAG asset,
   e.g. together with its runs); the index is then authoritative.
2. Without an index (an older component, hand-written definitions), the lookup
   walks the lineage: the component makes the DAG asset depend on the DAG's leaf
   mapped assets, and the walk goes upstream one level per query while the
   assets still belong to the DAG (definition tag ``airlift/dag``).
3. Only when that walk finds nothing (assets defined by hand without lineage to
   the DAG asset) does it fall back to matching tags over all asset keys.

For a task, matches are the executable assets tagged
``airlift/task: <instance>.<dag>.<task>`` (confirmed by the exact ids in the
``airlift/dag_id`` / ``airlift/task_id`` metadata when present), however they
were found. For a whole DAG, the keys its index lists need only be executable;
the lineage walk also requires the ``airlift/dag`` tag.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from airlift_component.dagster_api.client import DagsterClient
from airlift_component.dagster_api.types import (
    DAG_ID_METADATA,
    DAG_TAG,
    TASK_ASSETS_METADATA,
    TASK_ID_METADATA,
    TASK_TAG,
    AssetNode,
    dag_asset_key,
    tag_value,
)
from airlift_component.errors import DagsterApiError

log = logging.getLogger(__name__)

#: Upper bound on lineage levels walked (a DAG deeper than this is unusual).
MAX_DEPTH = 200

AssetKey = tuple[str, ...]


@dataclass(frozen=True)
class ProxyTarget:
    """The assets one proxy operator materializes, all in one code location."""

    location: str
    repository: str
    assets: tuple[AssetNode, ...]
    found_via: str = "lineage"  # or "index", "tag scan"

    @property
    def keys(self) -> list[tuple[str, ...]]:
        return [node.key for node in self.assets]


@dataclass(frozen=True)
class TaskAssetsIndex:
    """The DAG asset's ``airlift/task_assets`` metadata: asset keys per mapped task,
    and the keys mapped to the DAG as a whole."""

    tasks: dict[str, tuple[AssetKey, ...]]
    dag: tuple[AssetKey, ...]

    def keys_for(self, task_id: str | None) -> list[AssetKey]:
        """The keys one task runs; every task's plus the DAG's when ``task_id`` is None."""
        if task_id is not None:
            return list(self.tasks.get(task_id, ()))
        every = [key for keys in self.tasks.values() for key in keys] + list(self.dag)
        return list(dict.fromkeys(every))


def _keys(value: Any) -> tuple[AssetKey, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of asset keys, got {type(value).__name__}")
    keys = []
    for key in value:
        if not (isinstance(key, list) and key and all(isinstance(p, str) for p in key)):
            raise ValueError(f"not an asset key path: {key!r}")
        keys.append(tuple(key))
    return tuple(keys)


def parse_task_assets_index(text: str) -> TaskAssetsIndex:
    """Parse the JSON text of ``airlift/task_assets``; raises ValueError when malformed."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("tasks"), dict):
        raise ValueError('expected an object with a "tasks" object')
    tasks = {str(task): _keys(keys) for task, keys in data["tasks"].items()}
    return TaskAssetsIndex(tasks, _keys(data.get("dag", [])))


def read_task_assets_index(node: AssetNode) -> TaskAssetsIndex | None:
    """The ``airlift/task_assets`` index a DAG asset carries; None when absent or malformed."""
    text = node.json_metadata.get(TASK_ASSETS_METADATA)
    if text is None:
        return None
    try:
        return parse_task_assets_index(text)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        log.debug("ignoring malformed %s on %s: %s", TASK_ASSETS_METADATA, node.key_string, exc)
        return None


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


def _walk_dag_lineage(
    client: DagsterClient, dag_tag: str, dag_id: str, dag_nodes: Sequence[AssetNode]
) -> Iterable[AssetNode]:
    """The DAG's assets upstream of its DAG asset, whose query result is ``dag_nodes``."""
    seen: set[AssetKey] = {node.key for node in dag_nodes}
    level: Sequence[AssetNode] = dag_nodes
    for _ in range(MAX_DEPTH):
        next_keys: set[AssetKey] = set()
        for node in level:
            if not _belongs(node, dag_tag, dag_id):
                continue
            yield node
            next_keys.update(key for key in node.dependency_keys if key not in seen)
        if not next_keys:
            return
        seen.update(next_keys)
        level = client.asset_nodes(sorted(next_keys))


def _found_without_index(
    client: DagsterClient,
    instance: str,
    dag_id: str,
    task_id: str | None,
    dag_nodes: Sequence[AssetNode],
) -> tuple[list[AssetNode], str]:
    dag_tag = tag_value(instance, dag_id)
    task_tag = tag_value(instance, dag_id, task_id) if task_id else None
    walked = _walk_dag_lineage(client, dag_tag, dag_id, dag_nodes)
    nodes = [node for node in walked if _matches(node, task_tag, task_id)]
    if nodes:
        return nodes, "lineage"
    tag, value = (TASK_TAG, task_tag) if task_tag else (DAG_TAG, dag_tag)
    log.info("no lineage from the DAG asset; matching assets tagged %s=%s", tag, value)
    keys = client.asset_keys_with_tag(tag, value)
    nodes = [node for node in client.asset_nodes(keys) if _matches(node, task_tag, task_id)]
    return nodes, "tag scan"


def _find_nodes(
    client: DagsterClient,
    instance: str,
    dag_id: str,
    task_id: str | None,
    dag_nodes: Sequence[AssetNode],
) -> tuple[list[AssetNode], str]:
    """The matching nodes and how they were found; an index that lists keys for the
    request is authoritative, one that lists none falls back like a missing one."""
    dag_tag = tag_value(instance, dag_id)
    dag_node = next((node for node in dag_nodes if _belongs(node, dag_tag, dag_id)), None)
    index = read_task_assets_index(dag_node) if dag_node else None
    keys = index.keys_for(task_id) if index else []
    if not keys:
        return _found_without_index(client, instance, dag_id, task_id, dag_nodes)
    task_tag = tag_value(instance, dag_id, task_id) if task_id else None
    nodes = [node for node in client.asset_nodes(keys) if _matches(node, task_tag, task_id)]
    if len(nodes) < len(keys):
        log.info(
            "%s lists %d asset(s), %d of them executable and found",
            TASK_ASSETS_METADATA,
            len(keys),
            len(nodes),
        )
    return nodes, "index"


def find_proxy_target(
    client: DagsterClient,
    *,
    instance: str,
    dag_id: str,
    task_id: str | None = None,
    dag_nodes: Sequence[AssetNode] | None = None,
) -> ProxyTarget:
    """The executable assets mapped to ``task_id`` of ``dag_id`` (all of the DAG's
    when ``task_id`` is None); raises :class:`DagsterApiError` when there are none.

    ``dag_nodes`` is the answer to ``client.asset_nodes([dag_asset_key(instance,
    dag_id)])`` when the caller already has it; it is fetched otherwise.
    """
    what = f"task {task_id!r} of DAG {dag_id!r}" if task_id else f"DAG {dag_id!r}"
    if dag_nodes is None:
        dag_nodes = client.asset_nodes([dag_asset_key(instance, dag_id)])
    nodes, found_via = _find_nodes(client, instance, dag_id, task_id, dag_nodes)
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
