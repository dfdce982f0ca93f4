"""What the component knows about one Airflow instance, as plain data.

:class:`AirflowState` holds one instance's DAGs, the tasks of its mapped DAGs
(with the task graph) and the API version, as fetched by
:mod:`airlift_component.airflow_state.fetch`. The file that holds the states of
every instance of an ``airlift.yaml`` is :mod:`.state_file`. Imports no Dagster.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airlift_component.airflow_api.types import AirflowAsset, AirflowDag, AirflowTask
from airlift_component.airflow_state.airflow_assets import assets_from_json, assets_to_json
from airlift_component.errors import AirliftError


class StateFileError(AirliftError):
    """The Airflow state file cannot be read, or a refresh could not produce one."""


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
    """What one Airflow instance looked like when it was last fetched.

    ``url`` never carries ``user:password@``; ``fingerprint`` changes with the
    settings of the instance that decide what is fetched (see
    :func:`~airlift_component.airflow_state.fetch.instance_fingerprint`).
    """

    instance: str
    url: str
    api_version: str
    airflow_version: str
    fetched_at: datetime
    fingerprint: str
    dags: dict[str, DagState] = field(default_factory=dict)
    #: The Airflow assets of peered DAGs; ``None`` unless ``airflow_assets`` is enabled.
    airflow_assets: tuple[AirflowAsset, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "url": self.url,
            "api_version": self.api_version,
            "airflow_version": self.airflow_version,
            "fetched_at": self.fetched_at.isoformat(),
            "fingerprint": self.fingerprint,
            "dags": [_dag_to_json(state) for state in self.dags.values()],
        }
        if self.airflow_assets is not None:
            data["airflow_assets"] = assets_to_json(self.airflow_assets)
        return data

    @classmethod
    def from_dict(cls, instance: str, data: dict[str, Any]) -> AirflowState:
        dags = [_dag_from_json(item) for item in data["dags"]]
        return cls(
            instance=instance,
            url=data["url"],
            api_version=data["api_version"],
            airflow_version=data["airflow_version"],
            fetched_at=datetime.fromisoformat(data["fetched_at"]),
            fingerprint=data["fingerprint"],
            dags={state.dag.dag_id: state for state in dags},
            airflow_assets=(
                assets_from_json(data["airflow_assets"]) if "airflow_assets" in data else None
            ),
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
