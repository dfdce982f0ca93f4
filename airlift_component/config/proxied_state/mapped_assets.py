"""What ``airlift.yaml`` maps, as the proxied-state rules need to know it.

A plain record, built from an instance of ``airlift.yaml`` by
:func:`airlift_component.config.validation.cross_file.mapped_assets_of`, so that
this format's editor can refuse to proxy what has no assets without knowing the
other format.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class MappedAssets:
    """Which DAGs and tasks of one instance have assets mapped in airlift.yaml."""

    instance: str
    config: str
    #: DAG id -> whether the DAG has any asset (its own or a task's)
    dags: Mapping[str, bool]
    #: DAG id -> the tasks that have assets
    tasks: Mapping[str, frozenset[str]]

    def is_mapped(self, dag_id: str) -> bool:
        return dag_id in self.dags

    def dag_has_assets(self, dag_id: str) -> bool:
        return self.dags.get(dag_id, False)

    def tasks_without_assets(self, dag_id: str, task_ids: Iterable[str]) -> list[str]:
        mapped = self.tasks.get(dag_id, frozenset())
        return [task for task in task_ids if task not in mapped]
