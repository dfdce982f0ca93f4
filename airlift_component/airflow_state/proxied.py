"""Which Airflow tasks run in Dagster (are proxied), so the sensor does not record them twice.

A proxied task launches a Dagster run that materializes its assets in Dagster
itself. The sensor learns this, in order of preference, from the instance's
``proxied_state_dir`` (read at every tick, so a flip is seen at once) or from
the operator class names in the cached task list: the Airflow side's operators
end in ``ProxyTaskToDagsterOperator`` / ``ProxyDAGToDagsterOperator``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from airlift_component.airflow_state.state import AirflowState
from airlift_component.config.proxied_state import read_proxied_state_dir
from airlift_component.errors import ConfigError

TASK_PROXY_SUFFIX = "ProxyTaskToDagsterOperator"
DAG_PROXY_SUFFIX = "ProxyDAGToDagsterOperator"

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


def proxied_lookup(state: AirflowState, directory: Path | None) -> ProxiedLookup:
    """From ``directory`` when it is given and readable, else from the operators."""
    if directory is not None:
        try:
            return from_state_dir(directory)
        except ConfigError as exc:
            log.warning("%s; using operator names instead", exc)
    return from_operators(state)
