"""Acceptance checks per Airflow task: the checks on the assets a task maps, and
their latest outcome before and after the task was proxied.

Which assets a task maps is what Dagster loaded, not a re-reading of
``airlift.yaml``: the DAG asset ``[instance, "dag", dag_id]`` carries the index
``airlift/task_assets`` (the keys of each mapped task, also when a task maps a
whole multi-asset by ``code:``). The DAG's own row (``task_id`` None) holds the
DAG asset and the assets mapped to the DAG as a whole. One request reads the
DAG assets of every DAG asked about; :mod:`.checks` reads the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from airlift_component.dagster_api.checks import CheckHistory, CheckKey, asset_checks
from airlift_component.dagster_api.checks import check_histories as read_histories
from airlift_component.dagster_api.client import DagsterClient
from airlift_component.dagster_api.targets import TaskAssetsIndex, read_task_assets_index
from airlift_component.dagster_api.types import dag_asset_key

AssetKey = tuple[str, ...]


@dataclass(frozen=True)
class TaskChecks:
    """The checks on one task's assets (``task_id`` None: the DAG's own assets)."""

    dag_id: str
    task_id: str | None
    assets: tuple[AssetKey, ...]
    histories: tuple[CheckHistory, ...] = ()


@dataclass
class DagChecks:
    """One DAG's tasks and their checks, or why they are unknown."""

    dag_id: str
    tasks: list[TaskChecks] = field(default_factory=list)
    #: Set when Dagster has no DAG asset (not loaded) or it carries no task index.
    note: str = ""

    def task(self, task_id: str | None) -> TaskChecks | None:
        return next((t for t in self.tasks if t.task_id == task_id), None)


def _task_rows(instance: str, dag_id: str, index: TaskAssetsIndex | None) -> list[TaskChecks]:
    rows = [
        TaskChecks(dag_id, None, (dag_asset_key(instance, dag_id), *(index.dag if index else ())))
    ]
    for task_id, keys in sorted((index.tasks if index else {}).items()):
        rows.append(TaskChecks(dag_id, task_id, tuple(keys)))
    return rows


def dag_checks(
    client: DagsterClient,
    instance: str,
    dag_ids: Iterable[str],
    *,
    tasks: Mapping[str, Sequence[str] | None] | None = None,
) -> dict[str, DagChecks]:
    """Per DAG, each task's checks with their histories (only checks that exist).

    ``tasks`` limits a DAG to some task ids (``None`` for a DAG: all of them and
    the DAG's own row); DAGs it does not name are read whole.
    """
    dag_ids = list(dict.fromkeys(dag_ids))
    nodes = client.asset_nodes([dag_asset_key(instance, d) for d in dag_ids])
    by_key = {node.key: node for node in nodes}
    found: dict[str, DagChecks] = {}
    for dag_id in dag_ids:
        node = by_key.get(dag_asset_key(instance, dag_id))
        result = DagChecks(dag_id)
        index = None
        if node is None:
            result.note = (
                f"Dagster has no asset {'/'.join(dag_asset_key(instance, dag_id))}; "
                "refresh and reload the code location"
            )
        else:
            index = read_task_assets_index(node)
        rows = _task_rows(instance, dag_id, index) if node is not None else []
        wanted = (tasks or {}).get(dag_id)
        if wanted is not None:
            rows = [row for row in rows if row.task_id in set(wanted)]
        result.tasks = rows
        found[dag_id] = result
    keys = [key for dag in found.values() for row in dag.tasks for key in row.assets]
    checks = asset_checks(client, keys)
    histories = {h.key: h for h in read_histories(client, checks)} if checks else {}
    by_asset: dict[AssetKey, list[CheckKey]] = {}
    for check in checks:
        by_asset.setdefault(check.asset, []).append(check)
    for dag in found.values():
        dag.tasks = [
            TaskChecks(
                row.dag_id,
                row.task_id,
                row.assets,
                tuple(histories[c] for key in row.assets for c in by_asset.get(key, ())),
            )
            for row in dag.tasks
        ]
    return found
