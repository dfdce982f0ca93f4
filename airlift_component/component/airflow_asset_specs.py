"""Airflow assets (datasets) of one instance as Dagster asset specs, with lineage.

With ``airflow_assets: {enabled: true}``, each Airflow asset that a peered DAG
produces or is scheduled on (as stored by the refresh, see
:mod:`airlift_component.airflow_state.airflow_assets`) becomes a Dagster asset:

* upstream: the assets mapped to each producing task (an outlet, or a task that
  emitted it through an asset alias), or the producing DAG's asset when that
  task has none mapped;
* downstream: the DAG asset of each DAG scheduled on it (directly, through an
  alias or an ``Asset.ref``), whose metadata then carries its whole schedule
  condition (``airflow/schedule_condition``: ``&``, ``|``, asset-or-time, as
  text and as JSON). An edge that would
  close a cycle (a DAG scheduled on an asset it produces itself, directly or
  through other DAGs) is left out and logged: Dagster's asset graph has none.

A key used twice (two URIs deriving the same key, or an Airflow asset's key equal
to a mapped asset or a DAG asset) is an :class:`AirflowAssetKeyError` that
names both and asks for an override in ``airflow_assets.keys``. A key defined by
other code in the code location (``defined_elsewhere``) is that code's asset:
the definitions drop the spec, as for mapped assets.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import dagster as dg

from airlift_component.airflow_api.asset_conditions import condition_text
from airlift_component.airflow_api.types import AirflowAsset
from airlift_component.airflow_state.airflow_assets import airflow_asset_key, dag_conditions
from airlift_component.airflow_state.state import AirflowState
from airlift_component.airflow_state.ui_urls import asset_ui_url
from airlift_component.component.asset_specs import InstanceIndex, new_spec
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirliftError

log = logging.getLogger("airlift_component")


class AirflowAssetKeyError(AirliftError):
    """Two things in the definitions would get the same asset key."""


@dataclass
class AirflowAssetIndex:
    """What the sensor needs to record Airflow's asset events of one instance."""

    #: The Dagster key of each Airflow asset, by URI.
    keys: dict[str, dg.AssetKey] = field(default_factory=dict)
    #: Airflow's id of each asset, by URI, when known: for links, and so that the
    #: sensor does not take an event of another asset sharing the URI for this one.
    ids: dict[str, int | None] = field(default_factory=dict)


def _producer_keys(asset: AirflowAsset, index: InstanceIndex) -> list[dg.AssetKey]:
    keys: list[dg.AssetKey] = []
    for dag_id, task_id in (*asset.producing_tasks, *asset.alias_producing_tasks):
        entry = index.dags.get(dag_id)
        if entry is None:
            continue
        for key in entry.task_keys.get(task_id) or [entry.dag_key]:
            if key not in keys:
                keys.append(key)
    return keys


def _asset_spec(
    instance: Instance,
    asset: AirflowAsset,
    key: dg.AssetKey,
    deps: list[dg.AssetKey],
    url: str | None,
) -> dg.AssetSpec:
    producers = ", ".join(f"{dag}.{task}" for dag, task in asset.producing_tasks)
    metadata: dict[str, object] = {
        "airflow/instance": instance.name,
        "airflow/asset_uri": asset.uri,
        "airflow/producing_tasks": producers,
        "airflow/scheduled_dags": ", ".join(asset.scheduled_dags),
    }
    if asset.name != asset.uri:
        metadata["airflow/asset_name"] = asset.name
    if asset.aliases:
        metadata["airflow/aliases"] = ", ".join(asset.aliases)
    if asset.alias_producing_tasks:
        metadata["airflow/alias_producing_tasks"] = ", ".join(
            f"{dag}.{task}" for dag, task in asset.alias_producing_tasks
        )
    if url:
        metadata["airflow/asset_url"] = dg.MetadataValue.url(url)
    return new_spec(
        key=key,
        deps=deps,
        description=f"Airflow asset {asset.uri!r} on instance {instance.name!r}; "
        "materialized by each asset event Airflow records.",
        kinds={"airflow"},
        metadata=metadata,
    )


def _condition_metadata(
    assets: Iterable[AirflowAsset], index: InstanceIndex
) -> dict[dg.AssetKey, dict[str, object]]:
    """The schedule condition of each consumer DAG, by its DAG asset's key: readable
    text and the canonical JSON (see :mod:`airlift_component.airflow_api.asset_conditions`)."""
    found: dict[dg.AssetKey, dict[str, object]] = {}
    for dag_id, condition in dag_conditions(assets).items():
        entry = index.dags.get(dag_id)
        if entry is not None:
            found[entry.dag_key] = {
                "airflow/schedule_condition": condition_text(condition),
                "airflow/schedule_condition_json": dg.MetadataValue.json(condition),
            }
    return found


def _with_conditions(spec: dg.AssetSpec, metadata: dict[str, object] | None) -> dg.AssetSpec:
    return spec.merge_attributes(metadata=metadata) if metadata else spec


def _with_deps(spec: dg.AssetSpec, extra: Sequence[dg.AssetKey]) -> dg.AssetSpec:
    return spec.replace_attributes(deps=[*spec.deps, *(dg.AssetDep(key) for key in extra)])


Graph = dict[dg.AssetKey, set[dg.AssetKey]]


def _components(graph: Graph) -> dict[dg.AssetKey, int]:
    """The strongly connected component of every node of ``graph`` (key -> its deps),
    by Tarjan's algorithm without recursion: linear in nodes and edges."""
    index: dict[dg.AssetKey, int] = {}
    low: dict[dg.AssetKey, int] = {}
    component: dict[dg.AssetKey, int] = {}
    stack: list[dg.AssetKey] = []
    on_stack: set[dg.AssetKey] = set()
    found = 0
    for root in list(graph):
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, deps = work[-1]
            for dep in deps:
                if dep not in index:
                    index[dep] = low[dep] = len(index)
                    stack.append(dep)
                    on_stack.add(dep)
                    work.append((dep, iter(graph.get(dep, ()))))
                    break
                if dep in on_stack:
                    low[node] = min(low[node], index[dep])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    found += 1
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component[member] = found
                        if member == node:
                            break
    return component


def _reaches(graph: Graph, dependents: Graph, start: dg.AssetKey, goal: dg.AssetKey) -> bool:
    """True when ``start`` depends on ``goal``, directly or not: a search down from
    ``start`` and up from ``goal``, a node at a time each, that stops when they meet or
    either runs out, so it costs about twice the smaller of the two."""
    down, up = {start}, {goal}
    if start == goal:
        return True
    down_todo, up_todo = [start], [goal]
    while down_todo and up_todo:
        for dep in graph.get(down_todo.pop(), ()):
            if dep in up:
                return True
            if dep not in down:
                down.add(dep)
                down_todo.append(dep)
        for dependent in dependents.get(up_todo.pop(), ()):
            if dependent in down:
                return True
            if dependent not in up:
                up.add(dependent)
                up_todo.append(dependent)
    return False


def _keys(
    instance: Instance, assets: Iterable[AirflowAsset], taken: set[dg.AssetKey], where: str
) -> dict[str, dg.AssetKey]:
    keys: dict[str, dg.AssetKey] = {}
    first: dict[dg.AssetKey, str] = {}
    for asset in assets:
        key = dg.AssetKey(airflow_asset_key(instance, asset))
        other = first.get(key)
        clash = (
            f"Airflow asset {other!r}"
            if other is not None
            else "a mapped asset or DAG asset"
            if key in taken
            else None
        )
        if clash:
            raise AirflowAssetKeyError(
                f"{where}: instance {instance.name!r}: Airflow asset {asset.uri!r} would get the "
                f"key {key.to_user_string()!r}, already used by {clash}; give it its own key "
                f"under airflow_assets.keys, e.g. {asset.uri!r}: "
                f"{instance.name}/airflow_asset/<name>"
            )
        first[key] = asset.uri
        keys[asset.uri] = key
    return keys


def _acyclic_consumers(
    instance: Instance,
    assets: Sequence[AirflowAsset],
    keys: dict[str, dg.AssetKey],
    index: InstanceIndex,
    graph: Graph,
) -> dict[dg.AssetKey, list[dg.AssetKey]]:
    """The Airflow assets each scheduled DAG's asset depends on, in asset order, leaving
    out (and logging) each edge that would close a cycle with those kept before it.

    Only an edge inside a strongly connected component of the graph with every edge
    can close one: the others are kept without a search, so DAGs chained through
    assets cost linear time (the search per edge made it quadratic).
    """
    edges = [
        (index.dags[dag_id].dag_key, keys[asset.uri], dag_id, asset.uri)
        for asset in assets
        for dag_id in asset.scheduled_dags
        if dag_id in index.dags
    ]
    whole = {node: set(deps) for node, deps in graph.items()}
    for dag_key, key, _, _ in edges:
        whole.setdefault(dag_key, set()).add(key)
    component = _components(whole)
    dependents: Graph = {}
    for node, deps in graph.items():
        for dep in deps:
            dependents.setdefault(dep, set()).add(node)
    consumers: dict[dg.AssetKey, list[dg.AssetKey]] = {}
    for dag_key, key, dag_id, uri in edges:
        if component[dag_key] == component[key] and _reaches(graph, dependents, key, dag_key):
            log.warning(
                "instance %r: DAG %r is scheduled on Airflow asset %r, which it produces "
                "itself (directly or through other DAGs); that edge is left out of "
                "Dagster's asset graph, which cannot hold a cycle",
                instance.name,
                dag_id,
                uri,
            )
            continue
        consumers.setdefault(dag_key, []).append(key)
        graph.setdefault(dag_key, set()).add(key)
        dependents.setdefault(key, set()).add(dag_key)
    return consumers


def airflow_asset_specs(
    instance: Instance,
    state: AirflowState,
    specs: list[dg.AssetSpec],
    index: InstanceIndex,
    where: str,
) -> tuple[list[dg.AssetSpec], AirflowAssetIndex | None]:
    """``specs`` with the instance's Airflow assets added and the scheduled DAGs'
    assets depending on them, and the sensor's index of them (``None`` when off).
    ``where`` (the ``airlift.yaml`` path) is named in errors."""
    if not instance.airflow_assets.enabled:
        return specs, None
    assets = state.airflow_assets
    if assets is None:
        if state.airflow_version:
            log.warning(
                "instance %r: airflow_assets is enabled in %s but the stored Airflow state "
                "has no Airflow assets (fetched before it was enabled); refresh it: "
                "`dg utils refresh-defs-state` or `airlift refresh`",
                instance.name,
                where,
            )
        return specs, AirflowAssetIndex()
    by_key = {spec.key: spec for spec in specs}
    keys = _keys(instance, assets, set(by_key), where)
    graph: Graph = {spec.key: {dep.asset_key for dep in spec.deps} for spec in specs}
    added: list[dg.AssetSpec] = []
    for asset in assets:
        deps = _producer_keys(asset, index)
        url = asset_ui_url(state.url, state.api_version, asset)
        added.append(_asset_spec(instance, asset, keys[asset.uri], deps, url))
        graph[keys[asset.uri]] = set(deps)
    consumers = _acyclic_consumers(instance, assets, keys, index, graph)
    conditions = _condition_metadata(assets, index)
    updated = [
        _with_conditions(
            _with_deps(spec, consumers[spec.key]) if spec.key in consumers else spec,
            conditions.get(spec.key),
        )
        for spec in specs
    ]
    index_out = AirflowAssetIndex(
        keys=dict(keys), ids={asset.uri: asset.asset_id for asset in assets}
    )
    return [*updated, *added], index_out
