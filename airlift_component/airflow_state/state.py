"""The Airflow state the definitions are built from, and its file.

One instance's DAGs, the tasks of its mapped DAGs (with the task graph) and the
API version, as fetched by :mod:`airlift_component.airflow_state.fetch`, in a
JSON document (``format`` :data:`CACHE_FORMAT`). Imports no Dagster.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from airlift_component.airflow_api.types import AirflowDag, AirflowTask
from airlift_component.config.atomic_write import atomic_write_bytes
from airlift_component.errors import AirliftError

CACHE_FORMAT = 1


class StateCacheError(AirliftError):
    """The cached Airflow state cannot be read, or cannot be obtained at all."""


@dataclass(frozen=True)
class DagState:
    """One peered DAG; ``tasks`` is ``None`` when its tasks were not fetched."""

    dag: AirflowDag
    tasks: tuple[AirflowTask, ...] | None = None

    def task(self, task_id: str) -> AirflowTask | None:
        for task in self.tasks or ():
            if task.task_id == task_id:
                return task
        return None


@dataclass(frozen=True)
class AirflowState:
    """What one Airflow instance looked like when it was last fetched."""

    instance: str
    url: str
    api_version: str
    airflow_version: str
    fetched_at: datetime
    fingerprint: str
    dags: dict[str, DagState] = field(default_factory=dict)

    def age_seconds(self, now: datetime) -> float:
        return (now - self.fetched_at).total_seconds()

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": CACHE_FORMAT,
                "instance": self.instance,
                "url": self.url,
                "api_version": self.api_version,
                "airflow_version": self.airflow_version,
                "fetched_at": self.fetched_at.isoformat(),
                "fingerprint": self.fingerprint,
                "dags": [_dag_to_json(state) for state in self.dags.values()],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> AirflowState:
        data = json.loads(text)
        if data.get("format") != CACHE_FORMAT:
            raise ValueError(f"unknown cache format {data.get('format')!r}")
        dags = [_dag_from_json(item) for item in data["dags"]]
        return cls(
            instance=data["instance"],
            url=data["url"],
            api_version=data["api_version"],
            airflow_version=data["airflow_version"],
            fetched_at=datetime.fromisoformat(data["fetched_at"]),
            fingerprint=data["fingerprint"],
            dags={state.dag.dag_id: state for state in dags},
        )


def _dag_to_json(state: DagState) -> dict[str, Any]:
    dag = state.dag
    return {
        "dag_id": dag.dag_id,
        "is_paused": dag.is_paused,
        "tags": list(dag.tags),
        "description": dag.description,
        "fileloc": dag.fileloc,
        "owners": list(dag.owners),
        "schedule": dag.schedule,
        "tasks": None
        if state.tasks is None
        else [
            {
                "task_id": task.task_id,
                "downstream_task_ids": list(task.downstream_task_ids),
                "operator": task.operator,
                "is_mapped": task.is_mapped,
            }
            for task in state.tasks
        ],
    }


def _dag_from_json(item: dict[str, Any]) -> DagState:
    dag = AirflowDag(
        dag_id=item["dag_id"],
        is_paused=item["is_paused"],
        tags=tuple(item["tags"]),
        description=item["description"],
        fileloc=item["fileloc"],
        owners=tuple(item["owners"]),
        schedule=item["schedule"],
    )
    tasks = item["tasks"]
    if tasks is None:
        return DagState(dag)
    return DagState(
        dag,
        tuple(
            AirflowTask(
                task_id=task["task_id"],
                downstream_task_ids=tuple(task["downstream_task_ids"]),
                operator=task["operator"],
                is_mapped=task["is_mapped"],
            )
            for task in tasks
        ),
    )


def write_state(path: Path, state: AirflowState) -> None:
    """Write the state file atomically: a reader sees the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, state.to_json().encode("utf-8"))


def read_state(path: Path) -> AirflowState | None:
    """The cached state, or ``None`` when there is no cache file.

    A corrupt file raises :class:`StateCacheError` naming it.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return AirflowState.from_json(text)
    except (ValueError, KeyError, TypeError) as exc:
        raise StateCacheError(
            f"{path}: the cached Airflow state cannot be read ({exc}); "
            "delete the file or run: airlift refresh"
        ) from None
