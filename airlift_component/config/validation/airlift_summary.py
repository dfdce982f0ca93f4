"""What `airlift validate` needs of an ``airlift.yaml`` that passed its own checks.

The cross-file rules and the XCom warnings read little of the model: each
instance's name and ``proxied_state_dir``, and for an instance that sets one,
which DAGs it maps and which of their tasks have assets. :func:`summarize` takes
that from the validated model; :mod:`.summary_cache` keeps it by the file's
content, so a run over an unchanged ``airlift.yaml`` (a commit that touches only
proxied-state files) neither parses it nor imports the models.

Standard library only: importing this module must not bring in pydantic or PyYAML.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airlift_component.config.proxied_state.mapped_assets import MappedAssets

if TYPE_CHECKING:
    from airlift_component.config.airlift_yaml.model import AirliftFile, Instance


@dataclass(frozen=True)
class InstanceSummary:
    """One instance: its name, its ``proxied_state_dir`` and, when it sets one, what
    it maps (DAG id -> (whether the DAG has any asset, the tasks that have assets),
    in file order, a DAG mapped twice counted once: its duplicate is its own rule's)."""

    name: str
    proxied_state_dir: str | None
    dags: dict[str, tuple[bool, frozenset[str]]]

    def mapped_assets(self, config: str | Path) -> MappedAssets:
        """The proxied-state rules' view of this instance of the file at ``config``."""
        return MappedAssets(
            self.name,
            str(config),
            {dag: has for dag, (has, _tasks) in self.dags.items()},
            {dag: tasks for dag, (_has, tasks) in self.dags.items()},
        )


@dataclass(frozen=True)
class AirliftSummary:
    """Every instance of one ``airlift.yaml``, in file order."""

    instances: tuple[InstanceSummary, ...]

    def as_json(self) -> list[Any]:
        """Plain data for a JSON file (:func:`from_json` reads it back)."""
        return [
            [
                instance.name,
                instance.proxied_state_dir,
                [[dag, has, sorted(tasks)] for dag, (has, tasks) in instance.dags.items()],
            ]
            for instance in self.instances
        ]


def instance_summary(instance: Instance, *, with_dags: bool = True) -> InstanceSummary:
    """The summary of one validated instance (``with_dags=False``: without its DAGs)."""
    dags: dict[str, tuple[bool, frozenset[str]]] = {}
    if with_dags:
        for mapping in instance.mappings:
            if mapping.dag in dags:
                continue
            tasks = frozenset(task.task for task in mapping.tasks if task.assets or task.code)
            dags[mapping.dag] = (bool(mapping.assets) or bool(tasks), tasks)
    return InstanceSummary(instance.name, instance.proxied_state_dir, dags)


def summarize(model: AirliftFile) -> AirliftSummary:
    """What validation needs of ``model``; the DAGs only of instances with a folder."""
    return AirliftSummary(
        tuple(
            instance_summary(instance, with_dags=instance.proxied_state_dir is not None)
            for instance in model.instances
        )
    )


def summarize_usual(data: dict[str, Any]) -> AirliftSummary:
    """:func:`summarize` of the model of ``data``, a document's values that
    :func:`~airlift_component.config.airlift_yaml.usual.is_usual` passed, without the
    model."""
    instances = []
    for instance in data["instances"]:
        folder = instance.get("proxied_state_dir")
        dags: dict[str, tuple[bool, frozenset[str]]] = {}
        for mapping in instance.get("mappings", ()) if folder is not None else ():
            # Each task of a usual file maps assets or code.
            tasks = frozenset(task["task"] for task in mapping.get("tasks", ()))
            dags[mapping["dag"]] = (bool(mapping.get("assets")) or bool(tasks), tasks)
        instances.append(InstanceSummary(instance["name"], folder, dags))
    return AirliftSummary(tuple(instances))


def from_json(data: Any) -> AirliftSummary:
    """The summary :meth:`AirliftSummary.as_json` wrote; ``ValueError`` (or
    ``TypeError``) for anything else."""
    if not isinstance(data, list):
        raise ValueError("not a summary")
    return AirliftSummary(tuple(_instance(item) for item in data))


def _instance(item: Any) -> InstanceSummary:
    name, folder, dags = item
    if not isinstance(name, str) or not (folder is None or isinstance(folder, str)):
        raise ValueError("not an instance")
    read: dict[str, tuple[bool, frozenset[str]]] = {}
    for dag, has, tasks in _list(dags):
        if not isinstance(dag, str) or not isinstance(has, bool) or dag in read:
            raise ValueError("not a DAG")
        read[dag] = (has, frozenset(_strings(tasks)))
    return InstanceSummary(name, folder, read)


def _list(value: Any) -> Sequence[Any]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _strings(values: Any) -> list[str]:
    strings = [value for value in _list(values) if isinstance(value, str)]
    if len(strings) != len(values):
        raise ValueError("not a list of strings")
    return strings
