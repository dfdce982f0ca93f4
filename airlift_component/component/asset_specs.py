"""Asset specs of one Airflow instance: a DAG asset per peered DAG and the mapped assets.

Also builds the :class:`InstanceIndex` the sensor uses to turn an Airflow task
instance into the asset keys it materializes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dagster as dg

from airlift_component.airflow_state.state import AirflowState
from airlift_component.airflow_state.task_graph import (
    leaf_mapped_tasks,
    nearest_mapped_upstreams,
    upstreams,
)
from airlift_component.config.airlift_yaml.model import (
    AssetSpecModel,
    DagMapping,
    Instance,
    TimePartitions,
    dag_asset_key,
)
from airlift_component.mapping_tags import (
    TASK_ASSETS_METADATA,
    mapping_metadata,
    mapping_tags,
    task_assets_index,
)

_OWNER = re.compile(r"^(team:\S+|[^@\s]+@[^@\s]+\.[^@\s]+)$")

_PARTITIONS: dict[str, Any] = {
    "hourly": dg.HourlyPartitionsDefinition,
    "daily": dg.DailyPartitionsDefinition,
    "weekly": dg.WeeklyPartitionsDefinition,
    "monthly": dg.MonthlyPartitionsDefinition,
}


@dataclass
class MappedDag:
    """The asset keys one DAG's run and task instances materialize."""

    dag_id: str
    dag_key: dg.AssetKey
    dag_level_keys: list[dg.AssetKey] = field(default_factory=list)
    task_keys: dict[str, list[dg.AssetKey]] = field(default_factory=dict)


@dataclass
class InstanceIndex:
    """Everything the sensor of one instance needs to know about its assets."""

    instance: str
    dags: dict[str, MappedDag] = field(default_factory=dict)
    partitions: dict[dg.AssetKey, dg.TimeWindowPartitionsDefinition] = field(default_factory=dict)


def partitions_def(model: TimePartitions) -> dg.TimeWindowPartitionsDefinition:
    """The Dagster partitions of a ``partitions:`` block."""
    start = datetime.fromisoformat(model.start.replace(" ", "T"))
    return _PARTITIONS[model.schedule](start_date=start, timezone=model.timezone)


def new_spec(**fields: Any) -> dg.AssetSpec:
    """``dg.AssetSpec(**fields)``, from a frame holding nothing else: Dagster's records
    keep the locals of the frame that first constructs one, for good."""
    return dg.AssetSpec(**fields)


class _Keys(dict[str, dg.AssetKey]):
    """Asset keys by their ``a/b/c`` text, each built once per build."""

    def __missing__(self, text: str) -> dg.AssetKey:
        key = self[text] = dg.AssetKey(text.split("/"))
        return key


def _mapped_spec(
    model: AssetSpecModel,
    where: tuple[str, str, str | None],
    deps: list[dg.AssetKey],
    dag_url: dg.UrlMetadataValue,
    keys: _Keys,
    partitions: dict[TimePartitions, dg.TimeWindowPartitionsDefinition],
) -> dg.AssetSpec:
    instance, dag_id, task_id = where
    kinds = set(model.kinds) if model.code or len(model.kinds) >= 10 else {*model.kinds, "airflow"}
    metadata: dict[str, object] = {
        **model.metadata,
        **mapping_metadata(instance, dag_id, task_id),
        "airlift/dag_url": dag_url,
    }
    task = f"task {task_id!r} of " if task_id else ""
    pdef = None
    if model.partitions is not None:
        pdef = partitions.get(model.partitions)
        if pdef is None:
            pdef = partitions[model.partitions] = partitions_def(model.partitions)
    return new_spec(
        key=keys[model.key],
        deps=[keys[dep] for dep in model.deps] if model.deps else deps,
        description=model.description
        or f"Produced by {task}Airflow DAG {dag_id!r} on instance {instance!r}.",
        group_name=model.group,
        owners=model.owners,
        kinds=kinds,
        tags={**model.tags, **mapping_tags(instance, dag_id, task_id)},
        metadata=metadata,
        partitions_def=pdef,
    )


def _dag_spec(
    instance: Instance,
    entry: MappedDag,
    state: AirflowState,
    deps: list[dg.AssetKey],
    link: dg.UrlMetadataValue,
    mapped: bool = False,
) -> dg.AssetSpec:
    """The DAG's own asset; with ``mapped``, its metadata holds the index of the assets
    of its tasks (``entry``) that the Airflow side reads."""
    dag_id = entry.dag_id
    dag_state = state.dags.get(dag_id)
    dag = dag_state.dag if dag_state else None
    owners = [o for o in (dag.owners if dag else ()) if _OWNER.match(o)]
    metadata: dict[str, object] = {
        **mapping_metadata(instance.name, dag_id),
        "airlift/dag_url": link,
        "airflow/instance_url": state.url,
    }
    if dag is not None:
        metadata["airflow/owners"] = ", ".join(dag.owners)
        if dag.schedule:
            metadata["airflow/schedule"] = dag.schedule
        if dag.fileloc:
            metadata["airflow/fileloc"] = dag.fileloc
    else:
        metadata["airflow/missing"] = "mapped in airlift.yaml but not found in Airflow"
    if mapped:
        index = task_assets_index(
            {task: [key.path for key in keys] for task, keys in entry.task_keys.items()},
            [key.path for key in entry.dag_level_keys],
        )
        metadata[TASK_ASSETS_METADATA] = dg.MetadataValue.json(index)
    tags = {**mapping_tags(instance.name, dag_id)}
    for tag in dag.tags if dag else ():
        if re.fullmatch(r"[A-Za-z0-9_.\-]{1,63}", tag):
            tags[f"airflow/tag.{tag}"[:63]] = ""
    return new_spec(
        key=entry.dag_key,
        deps=deps,
        description=(dag.description if dag and dag.description else None)
        or f"Airflow DAG {dag_id!r} on instance {instance.name!r}.",
        kinds={"airflow", "dag"},
        owners=owners,
        tags=tags,
        metadata=metadata,
    )


def _dag_specs(
    instance: Instance,
    dag_id: str,
    mapping: DagMapping | None,
    state: AirflowState,
    url: str,
    index: InstanceIndex,
    keys: _Keys,
    partitions: dict[TimePartitions, dg.TimeWindowPartitionsDefinition],
) -> list[dg.AssetSpec]:
    dag_state = state.dags.get(dag_id)
    entry = MappedDag(dag_id, dg.AssetKey(dag_asset_key(instance.name, dag_id)))
    index.dags[dag_id] = entry
    link = dg.MetadataValue.url(url)
    if mapping is None:
        return [_dag_spec(instance, entry, state, [], link)]
    specs: list[dg.AssetSpec] = []
    task_keys = {t.task: [keys[a.key] for a in t.assets] for t in mapping.tasks}
    graph = upstreams(dag_state.tasks or ()) if dag_state else {}
    nearest = nearest_mapped_upstreams(graph, task_keys.keys())
    for task in mapping.tasks:
        deps = [key for up in sorted(nearest.get(task.task, ())) for key in task_keys[up]]
        for model in task.assets:
            where = (instance.name, dag_id, task.task)
            spec = _mapped_spec(model, where, deps, link, keys, partitions)
            specs.append(spec)
            if spec.partitions_def is not None:
                index.partitions[spec.key] = spec.partitions_def  # type: ignore[assignment]
        entry.task_keys[task.task] = task_keys[task.task]
    leaves = [
        key for t in sorted(leaf_mapped_tasks(graph, task_keys.keys())) for key in task_keys[t]
    ]
    for model in mapping.assets:
        spec = _mapped_spec(model, (instance.name, dag_id, None), leaves, link, keys, partitions)
        specs.append(spec)
        entry.dag_level_keys.append(spec.key)
        if spec.partitions_def is not None:
            index.partitions[spec.key] = spec.partitions_def  # type: ignore[assignment]
    specs.append(_dag_spec(instance, entry, state, [*leaves, *entry.dag_level_keys], link, True))
    return specs


def instance_specs(
    instance: Instance, state: AirflowState, dag_url: dict[str, str]
) -> tuple[list[dg.AssetSpec], InstanceIndex]:
    """All specs of one instance and the sensor's index of them.

    ``dag_url`` maps each DAG id to its page in the Airflow UI.
    """
    index = InstanceIndex(instance.name)
    partitions: dict[TimePartitions, dg.TimeWindowPartitionsDefinition] = {}
    keys = _Keys()
    dag_ids = list(state.dags)
    dag_ids += [m.dag for m in instance.mappings if m.dag not in state.dags]
    mappings = {mapping.dag: mapping for mapping in instance.mappings}
    specs: list[dg.AssetSpec] = []
    for dag_id in dag_ids:
        mapping = mappings.get(dag_id)
        specs += _dag_specs(
            instance, dag_id, mapping, state, dag_url[dag_id], index, keys, partitions
        )
    return specs, index
