"""Lineage from an Airflow task graph: which mapped tasks feed which.

Unmapped tasks are looked through: if ``extract -> validate -> load`` and only
``extract`` and ``load`` are mapped, ``load``'s assets depend on ``extract``'s.
Imports no Dagster.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

from airlift_component.airflow_api.types import AirflowTask


def upstreams(tasks: Iterable[AirflowTask]) -> dict[str, set[str]]:
    """Direct upstream task ids of every task."""
    tasks = list(tasks)
    result: dict[str, set[str]] = {task.task_id: set() for task in tasks}
    for task in tasks:
        for downstream in task.downstream_task_ids:
            result.setdefault(downstream, set()).add(task.task_id)
    return result


def nearest_mapped_upstreams(
    direct_upstreams: Mapping[str, Collection[str]], mapped: Collection[str]
) -> dict[str, set[str]]:
    """For each task, the closest mapped tasks upstream of it (through unmapped ones)."""
    memo: dict[str, set[str]] = {}

    def through(task_id: str) -> set[str]:
        # The mapped tasks a consumer of ``task_id`` reaches by going up from it.
        if task_id in mapped:
            return {task_id}
        if task_id not in memo:
            memo[task_id] = set()  # guards against cycles in malformed input
            found: set[str] = set()
            for up in direct_upstreams.get(task_id, ()):
                found |= through(up)
            memo[task_id] = found
        return memo[task_id]

    result: dict[str, set[str]] = {}
    for task_id, ups in direct_upstreams.items():
        found = set()
        for up in ups:
            found |= through(up)
        result[task_id] = found
    return result


def leaf_mapped_tasks(
    direct_upstreams: Mapping[str, Collection[str]], mapped: Collection[str]
) -> set[str]:
    """Mapped tasks with no mapped task anywhere downstream of them."""
    nearest = nearest_mapped_upstreams(direct_upstreams, mapped)
    feeding = set()
    for task_id in mapped:
        feeding |= nearest.get(task_id, set())
    return {task_id for task_id in mapped if task_id not in feeding}
