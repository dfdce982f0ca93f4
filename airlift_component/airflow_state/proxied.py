"""Which Airflow task tries ran in Dagster (were proxied), so the sensor does not record them twice.

A proxied task launches a Dagster run that materializes its assets in Dagster
itself. What counts is what ran for that try: first the Dagster runs the
proxies launched, when the sensor's instance is at hand (see
:func:`~airlift_component.sensor.run_ledger.settle_run`), else the
operator Airflow recorded on the task instance (:func:`recorded_proxy`; Airflow
3 records it when the run is created). The operator rule:

* a recorded operator whose name ends in ``ProxyDAGToDagsterOperator``, or a
  task id starting with ``DAGSTER_OVERRIDE_DAG_`` (the whole-DAG proxy task):
  the run was proxied as a whole;
* a recorded operator whose name ends in ``ProxyTaskToDagsterOperator``: that
  try was proxied;
* any other recorded operator: not proxied.

The Airflow side's operators (``Default…``, ``DagsterPlus…``, ``Base…``) all
end that way, and so must the class names of users' own subclasses. Only
when Airflow sends no operator (it always does on 2.10 and 3.x) does the
sensor fall back to today's view: the instance's ``proxied_state_dir`` or the
operator names in the cached task list (and ``launch_dagster_dag``, the
whole-DAG proxy's task id, in a run).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from airlift_component.airflow_api.types import TaskInstance
from airlift_component.airflow_state.state import AirflowState
from airlift_component.config.proxied_state.file import read_proxied_state_dir
from airlift_component.errors import ConfigError

TASK_PROXY_SUFFIX = "ProxyTaskToDagsterOperator"
DAG_PROXY_SUFFIX = "ProxyDAGToDagsterOperator"
#: Task ids of the single task that replaces a whole proxied DAG.
DAG_PROXY_TASK_PREFIX = "DAGSTER_OVERRIDE_DAG_"
LEGACY_DAG_PROXY_TASK_ID = "launch_dagster_dag"

ProxyKind = Literal["task", "dag"]

log = logging.getLogger("airlift_component")


@dataclass(frozen=True)
class ProxiedLookup:
    """Proxied DAGs, and proxied tasks per DAG."""

    dags: frozenset[str] = frozenset()
    tasks: dict[str, frozenset[str]] = field(default_factory=dict)

    def dag_proxied(self, dag_id: str) -> bool:
        return dag_id in self.dags

    def task_proxied(self, dag_id: str, task_id: str) -> bool:
        return dag_id in self.dags or task_id in self.tasks.get(dag_id, frozenset())


def from_operators(state: AirflowState) -> ProxiedLookup:
    """Proxied tasks and DAGs as the cached operator class names show them."""
    dags: set[str] = set()
    tasks: dict[str, frozenset[str]] = {}
    for dag_id, dag_state in state.dags.items():
        proxied = set()
        for task in dag_state.tasks or ():
            operator = task.operator or ""
            if operator.endswith(DAG_PROXY_SUFFIX):
                dags.add(dag_id)
            elif operator.endswith(TASK_PROXY_SUFFIX):
                proxied.add(task.task_id)
        if proxied:
            tasks[dag_id] = frozenset(proxied)
    return ProxiedLookup(frozenset(dags), tasks)


def from_state_dir(directory: Path) -> ProxiedLookup:
    """Proxied tasks and DAGs as the proxied-state files say; broken files are skipped
    with a warning naming them (their DAGs count as not proxied)."""
    states = read_proxied_state_dir(directory)
    for problem in states.all_problems():
        log.warning("ignoring a broken proxied-state file: %s", problem.format())
    dags = frozenset(dag_id for dag_id, state in states.states.items() if state.proxied)
    tasks = {
        dag_id: frozenset(state.proxied_tasks)
        for dag_id, state in states.states.items()
        if state.proxied_tasks
    }
    return ProxiedLookup(dags, tasks)


class LazyProxiedLookup(ProxiedLookup):
    """A :class:`ProxiedLookup` read only when first asked (the sensor needs it only for
    task instances Airflow sent without their operator)."""

    def __init__(self, state: AirflowState, directory: Path | None) -> None:
        self._source = (state, directory)
        self._lookup: ProxiedLookup | None = None

    def _get(self) -> ProxiedLookup:
        if self._lookup is None:
            self._lookup = proxied_lookup(*self._source)
        return self._lookup

    def dag_proxied(self, dag_id: str) -> bool:
        return self._get().dag_proxied(dag_id)

    def task_proxied(self, dag_id: str, task_id: str) -> bool:
        return self._get().task_proxied(dag_id, task_id)


def proxied_lookup(state: AirflowState, directory: Path | None) -> ProxiedLookup:
    """From ``directory`` when it is given and readable, else from the operators."""
    if directory is not None:
        try:
            return from_state_dir(directory)
        except ConfigError as exc:
            log.warning("%s; using operator names instead", exc)
    return from_operators(state)


def is_whole_dag_proxy_task(task_id: str, operator: str | None) -> bool:
    """Whether a task is the one that replaces a whole proxied DAG (the rule in the
    module docstring; the legacy task id counts only when Airflow sent no operator)."""
    if task_id.startswith(DAG_PROXY_TASK_PREFIX):
        return True
    if operator:
        return operator.endswith(DAG_PROXY_SUFFIX)
    return task_id == LEGACY_DAG_PROXY_TASK_ID


def recorded_proxy(ti: TaskInstance, fallback: ProxiedLookup | None = None) -> ProxyKind | None:
    """``"dag"``, ``"task"`` or ``None`` for one task try, from the operator Airflow
    recorded on it (the rule in the module docstring); ``fallback`` decides only
    when Airflow sent no operator."""
    if is_whole_dag_proxy_task(ti.task_id, ti.operator):
        return "dag"
    if ti.operator:
        return "task" if ti.operator.endswith(TASK_PROXY_SUFFIX) else None
    if fallback is None:
        return None
    if fallback.dag_proxied(ti.dag_id):
        return "dag"
    return "task" if fallback.task_proxied(ti.dag_id, ti.task_id) else None
