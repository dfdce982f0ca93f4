"""What the Airflow REST API tells us, as plain immutable values.

Both API versions are read into these same types, so nothing above the client
needs to know whether it talks to Airflow 2 or Airflow 3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class AirflowDag:
    """A DAG as Airflow lists it."""

    dag_id: str
    is_paused: bool = False
    tags: tuple[str, ...] = ()
    description: str | None = None
    fileloc: str | None = None
    owners: tuple[str, ...] = ()
    schedule: str | None = None


@dataclass(frozen=True)
class AirflowTask:
    """A task of a DAG, with the ids of the tasks directly downstream of it."""

    task_id: str
    downstream_task_ids: tuple[str, ...] = ()
    operator: str | None = None
    is_mapped: bool = False


@dataclass(frozen=True)
class DagRun:
    """One run of a DAG. ``state`` is Airflow's (queued, running, success, failed)."""

    dag_id: str
    run_id: str
    state: str
    logical_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    run_type: str | None = None
    conf: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    #: When Airflow last changed the run (finished, cleared, marked); ``None`` when not sent.
    updated_at: datetime | None = None
    #: The data interval Airflow gave the run (templates' ``data_interval_start/end``).
    data_interval_start: datetime | None = field(default=None, compare=False)
    data_interval_end: datetime | None = field(default=None, compare=False)

    @property
    def finished(self) -> bool:
        return self.state in ("success", "failed")


@dataclass(frozen=True)
class TaskInstance:
    """One task's attempt within a DAG run (the latest try Airflow reports)."""

    dag_id: str
    run_id: str
    task_id: str
    state: str | None
    start_date: datetime | None = None
    end_date: datetime | None = None
    try_number: int = 0
    map_index: int = -1
    #: The operator class Airflow recorded for this task instance (``None`` when not sent).
    operator: str | None = None


@dataclass(frozen=True)
class AirflowAsset:
    """An Airflow 3 Asset (``/api/v2/assets``) or Airflow 2 Dataset (``/api/v1/datasets``).

    ``name`` is the URI on Airflow 2 (datasets have no name); ``producing_tasks`` are
    the ``(dag_id, task_id)`` whose outlets name it; ``scheduled_dags`` the DAGs
    scheduled on it. ``aliases`` are the names of the asset aliases it was emitted
    through (Airflow resolves an alias to an asset when a task first emits the asset
    through it); ``alias_producing_tasks`` the tasks whose events of it came through
    such an alias (read from its events: Airflow's REST API lists no alias producers).
    ``consumer_conditions`` holds, for each DAG scheduled on it whose condition is
    stored here (once per DAG: under the first asset the DAG consumes), that DAG's
    whole schedule condition as canonical JSON text (see
    :mod:`airlift_component.airflow_api.asset_conditions`).
    """

    uri: str
    name: str
    asset_id: int | None = None
    producing_tasks: tuple[tuple[str, str], ...] = ()
    scheduled_dags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    alias_producing_tasks: tuple[tuple[str, str], ...] = ()
    consumer_conditions: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class AirflowAssetEvent:
    """One asset (dataset) event: Airflow recorded that the asset was updated.

    ``event_id`` is Airflow's id of the event, immutable; the ``source_*`` fields name
    the task instance that emitted it (all ``None`` for an event posted through the API);
    ``partition_key`` is the partition it updated (Airflow 3.2+, ``None`` otherwise).
    """

    event_id: int
    uri: str
    timestamp: datetime
    name: str | None = None
    asset_id: int | None = None
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int = -1
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    partition_key: str | None = None
