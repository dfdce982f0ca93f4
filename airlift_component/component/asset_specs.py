"""Asset specs of one Airflow instance: a DAG asset per peered DAG and the mapped assets.

Also builds the :class:`InstanceIndex` the sensor uses to turn an Airflow task
instance into the asset keys it materializes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dagster as dg

from airlift_component.airflow_state.state import AirflowState
from airlift_component.airflow_state.task_graph import nearest_mapped_upstreams, upstreams
from airlift_component.component.dagster_private import plain_json_metadata
from airlift_component.config.airlift_yaml.mapped_dags import MappedDags, PlainAsset, PlainMapping
from airlift_component.config.airlift_yaml.model import (
    AssetSpecModel,
    DagMapping,
    Instance,
    TimePartitions,
    dag_asset_key,
)
from airlift_component.mapping_tags import (
    TASK_ASSETS_METADATA,
    TASK_ID_METADATA,
    TASK_TAG,
    mapping_metadata,
    mapping_tags,
    task_assets_index,
    task_tag_value,
)

_OWNER = re.compile(r"^(team:\S+|[^@\s]+@[^@\s]+\.[^@\s]+)$")
_TAG = re.compile(r"[A-Za-z0-9_.\-]{1,63}")

_PARTITIONS: dict[str, Any] = {
    "hourly": dg.HourlyPartitionsDefinition,
    "daily": dg.DailyPartitionsDefinition,
    "weekly": dg.WeeklyPartitionsDefinition,
    "monthly": dg.MonthlyPartitionsDefinition,
}


class MappedDag:
    """The asset keys one DAG's run and task instances materialize: ``dag_key`` (the
    DAG's own asset), ``dag_level_keys`` (the assets mapped to the DAG as a whole) and
    ``task_keys`` (each mapped task's assets, by task id).

    The index lives as long as the code location and is read only by the sensor's ticks
    (and at build time only by ``airflow_assets`` and ``decommissioned:``), so each DAG
    keeps its task keys as two flat tuples and makes the dict of lists on first use:
    three tracked objects a DAG instead of 13 with one asset per task. At 1,000 DAGs x
    10 tasks that is 10,000 fewer objects made by the build and scanned by every full
    pass of the collector (``bench/compare/gc_phases.py``: gen-0 collections of the
    spec loop 182 -> 165)."""

    __slots__ = ("_ends", "_keys", "_task_keys", "_tasks", "dag_id", "dag_key", "dag_level_keys")

    def __init__(
        self,
        dag_id: str,
        dag_key: dg.AssetKey,
        dag_level_keys: Sequence[dg.AssetKey] = (),
        task_keys: Mapping[str, Sequence[dg.AssetKey]] | None = None,
    ) -> None:
        self.dag_id = dag_id
        self.dag_key = dag_key
        self.dag_level_keys = dag_level_keys
        tasks = task_keys or {}
        self._tasks = tuple(tasks)
        self._keys = tuple(key for keys in tasks.values() for key in keys)
        # Where each task's keys end in _keys; None when every task has exactly one.
        ends: tuple[int, ...] | None = None
        if len(self._keys) != len(self._tasks) or any(len(k) != 1 for k in tasks.values()):
            ends = tuple(itertools.accumulate(len(keys) for keys in tasks.values()))
        self._ends = ends
        self._task_keys: dict[str, list[dg.AssetKey]] | None = None

    @property
    def task_keys(self) -> dict[str, list[dg.AssetKey]]:
        """Each mapped task's asset keys, by task id (made once, on first use)."""
        if self._task_keys is None:
            keys = self._keys
            if self._ends is None:
                self._task_keys = {task: [key] for task, key in zip(self._tasks, keys, strict=True)}
            else:
                starts = (0, *self._ends)
                self._task_keys = {
                    task: list(keys[start:end])
                    for task, start, end in zip(self._tasks, starts[:-1], self._ends, strict=True)
                }
        return self._task_keys

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MappedDag):
            return NotImplemented
        return (self.dag_id, self.dag_key, list(self.dag_level_keys), self.task_keys) == (
            other.dag_id,
            other.dag_key,
            list(other.dag_level_keys),
            other.task_keys,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"MappedDag(dag_id={self.dag_id!r}, dag_key={self.dag_key!r}, "
            f"dag_level_keys={list(self.dag_level_keys)!r}, task_keys={self.task_keys!r})"
        )


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


#: The kinds of a mapped asset that names none and has no ``code:``; Dagster only
#: reads them (into its kind tags), so every such spec is given this one.
_AIRFLOW_KIND = frozenset({"airflow"})


@dataclass(slots=True)
class _Task:
    """What every spec of one task (or of a DAG's own mapped assets) shares, made once:
    the tags and metadata recording where it comes from, and the default description.
    Dagster copies the tags into a dict of its own; it keeps the metadata, so each spec
    gets a copy of it (the task's first spec the dict itself: :meth:`spec_metadata`)."""

    tags: dict[str, str]
    metadata: dict[str, object]
    description: str
    metadata_given: bool = False

    def spec_metadata(self) -> dict[str, object]:
        if self.metadata_given:
            return self.metadata.copy()
        self.metadata_given = True
        return self.metadata


@dataclass(slots=True)
class _DagSite:
    """The tags and metadata every asset of one DAG shares, made once per DAG: each of
    its tasks adds its own entries (``mapping_tags``/``mapping_metadata`` with the task
    id, entry for entry, which ``test_asset_specs`` checks) rather than making the
    DAG's again (at 1,000 DAGs x 10 tasks, 10,000 of each saved)."""

    instance: str
    dag_id: str
    about: str
    link: dg.UrlMetadataValue
    tags: dict[str, str]
    metadata: dict[str, str]

    @classmethod
    def of(cls, instance: str, dag_id: str, link: dg.UrlMetadataValue) -> _DagSite:
        about = f"Airflow DAG {dag_id!r} on instance {instance!r}."
        tags, metadata = mapping_tags(instance, dag_id), mapping_metadata(instance, dag_id)
        return cls(instance, dag_id, about, link, tags, metadata)

    def task(self, task_id: str | None) -> _Task:
        """The site of ``task_id``'s assets (``None``: the DAG's own mapped assets)."""
        if task_id is None:
            return _Task(
                self.tags,
                {**self.metadata, "airlift/dag_url": self.link},
                f"Produced by {self.about}",
            )
        return _Task(
            {**self.tags, TASK_TAG: task_tag_value(self.instance, self.dag_id, task_id)},
            {**self.metadata, TASK_ID_METADATA: task_id, "airlift/dag_url": self.link},
            f"Produced by task {task_id!r} of {self.about}",
        )


def _mapped_spec(
    model: AssetSpecModel | PlainAsset,
    task: _Task,
    deps: list[dg.AssetKey],
    keys: _Keys,
    partitions: dict[TimePartitions, dg.TimeWindowPartitionsDefinition],
) -> dg.AssetSpec:
    if not model.kinds and not model.code:
        kinds: Collection[str] = _AIRFLOW_KIND
    elif model.code or len(model.kinds) >= 10:
        kinds = set(model.kinds)
    else:
        kinds = {*model.kinds, "airflow"}
    pdef = None
    if model.partitions is not None:
        pdef = partitions.get(model.partitions)
        if pdef is None:
            pdef = partitions[model.partitions] = partitions_def(model.partitions)
    return new_spec(
        key=keys[model.key],
        deps=[keys[dep] for dep in model.deps] if model.deps else deps,
        description=model.description or task.description,
        group_name=model.group,
        owners=model.owners,
        kinds=kinds,
        tags={**model.tags, **task.tags} if model.tags else task.tags,
        metadata={**model.metadata, **task.metadata} if model.metadata else task.spec_metadata(),
        partitions_def=pdef,
    )


def _dag_spec(
    instance: Instance,
    dag_id: str,
    dag_key: dg.AssetKey,
    state: AirflowState,
    deps: list[dg.AssetKey],
    link: dg.UrlMetadataValue,
    mapped: tuple[dict[str, list[dg.AssetKey]], list[dg.AssetKey]] | None = None,
) -> dg.AssetSpec:
    """The DAG's own asset; with ``mapped`` (the keys of each mapped task, and those
    mapped to the DAG as a whole), its metadata holds that index of them, which the
    Airflow side reads."""
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
    if mapped is not None:
        task_keys, dag_level = mapped
        # Key parts, not ``AssetKey.path``: that property keeps a list on every key.
        index = task_assets_index(
            {task: [key.parts for key in keys] for task, keys in task_keys.items()},
            [key.parts for key in dag_level],
        )
        metadata[TASK_ASSETS_METADATA] = plain_json_metadata(index)
    tags = mapping_tags(instance.name, dag_id)
    for tag in dag.tags if dag else ():
        if _TAG.fullmatch(tag):
            tags[f"airflow/tag.{tag}"[:63]] = ""
    return new_spec(
        key=dag_key,
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
    mapping: DagMapping | PlainMapping | None,
    state: AirflowState,
    url: str,
    index: InstanceIndex,
    keys: _Keys,
    partitions: dict[TimePartitions, dg.TimeWindowPartitionsDefinition],
) -> list[dg.AssetSpec]:
    dag_state = state.dags.get(dag_id)
    dag_key = dg.AssetKey(dag_asset_key(instance.name, dag_id))
    link = dg.MetadataValue.url(url)
    if mapping is None:
        index.dags[dag_id] = MappedDag(dag_id, dag_key)
        return [_dag_spec(instance, dag_id, dag_key, state, [], link)]
    site = _DagSite.of(instance.name, dag_id, link)
    specs: list[dg.AssetSpec] = []
    task_keys = {t.task: [keys[a.key] for a in t.assets] for t in mapping.tasks}
    graph = upstreams(dag_state.tasks or ()) if dag_state else {}
    # Every task of the graph mapped (the usual DAG): its nearest mapped upstreams are
    # its direct ones, and the search through unmapped tasks is skipped.
    mapped = task_keys.keys()
    nearest = graph if graph.keys() <= mapped else nearest_mapped_upstreams(graph, mapped)
    for task in mapping.tasks:
        deps = [key for up in sorted(nearest.get(task.task, ())) for key in task_keys[up]]
        task_site = site.task(task.task)
        for model in task.assets:
            spec = _mapped_spec(model, task_site, deps, keys, partitions)
            specs.append(spec)
            if spec.partitions_def is not None:
                index.partitions[spec.key] = spec.partitions_def  # type: ignore[assignment]
    # The mapped tasks no mapped task is downstream of (leaf_mapped_tasks, from the
    # nearest upstreams already found rather than finding them again).
    feeding = set().union(*(nearest.get(task_id, ()) for task_id in task_keys))
    leaves = [key for t in sorted(mapped - feeding) for key in task_keys[t]]
    dag_level: list[dg.AssetKey] = []
    if mapping.assets:
        dag_site = site.task(None)
        for model in mapping.assets:
            spec = _mapped_spec(model, dag_site, leaves, keys, partitions)
            specs.append(spec)
            dag_level.append(spec.key)
            if spec.partitions_def is not None:
                index.partitions[spec.key] = spec.partitions_def  # type: ignore[assignment]
    index.dags[dag_id] = MappedDag(dag_id, dag_key, tuple(dag_level), task_keys)
    deps = [*leaves, *dag_level]
    specs.append(_dag_spec(instance, dag_id, dag_key, state, deps, link, (task_keys, dag_level)))
    return specs


def instance_specs(
    instance: Instance,
    state: AirflowState,
    dag_url: dict[str, str],
    mapped: MappedDags | None = None,
) -> tuple[list[dg.AssetSpec], InstanceIndex]:
    """All specs of one instance and the sensor's index of them.

    ``dag_url`` maps each DAG id to its page in the Airflow UI. ``mapped`` has every
    mapped DAG (default: those of ``instance.mappings``); a mapping in
    ``instance.mappings`` (e.g. with its ``code:`` tasks expanded) is read from there,
    any other as ``mapped`` gives it, one at a time.
    """
    if mapped is None:
        mapped = MappedDags.of(instance.mappings)
    index = InstanceIndex(instance.name)
    partitions: dict[TimePartitions, dg.TimeWindowPartitionsDefinition] = {}
    keys = _Keys()
    dag_ids = list(state.dags)
    dag_ids += [dag_id for dag_id in mapped.dags if dag_id not in state.dags]
    held = {mapping.dag: mapping for mapping in instance.mappings}
    specs: list[dg.AssetSpec] = []
    for dag_id in dag_ids:
        mapping: DagMapping | PlainMapping | None = held.get(dag_id)
        if mapping is None:
            mapping = mapped.for_specs(dag_id)
        specs += _dag_specs(
            instance, dag_id, mapping, state, dag_url[dag_id], index, keys, partitions
        )
    return specs, index
