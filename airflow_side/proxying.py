"""``proxying_to_dagster``: swap proxied tasks (or whole DAGs) for Dagster proxy operators.

Call it at the end of a DAG file::

    proxying_to_dagster(
        global_vars=globals(),
        proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
    )

Every DAG in ``global_vars`` that has a proxied-state file is changed in place
and tagged so the Airflow UI and REST API show what is proxied:
``airlift:proxied`` (whole DAG) or ``airlift:proxied_tasks=<N>`` (task level,
``N`` may be 0), each beside dagster-airlift's tag for the same
(``Dag overriden to Dagster``, ``<N> Task(s) Marked as Proxied to Dagster``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from airflow_side._compat import DAG, is_mapped
from airflow_side._surgery import add_tags, all_outlets, attach, remove_all_tasks, replace_task
from airflow_side.operators import (
    BaseProxyDAGToDagsterOperator,
    BaseProxyTaskToDagsterOperator,
    DefaultProxyDAGToDagsterOperator,
    DefaultProxyTaskToDagsterOperator,
)
from airflow_side.proxied_state import AirflowProxiedState, ProxiedStateParsingError
from airflow_side.xcom_use import note_consumers
from airlift_component.config.problems import Problem
from airlift_component.config.proxied_state.file import DagProxiedState
from airlift_component.errors import AirliftError

DAG_PROXIED_TAG = "airlift:proxied"
TASKS_PROXIED_TAG = "airlift:proxied_tasks"
#: dagster-airlift's tag for a whole proxied DAG (its spelling), set beside ours:
#: users' Airflow UI filters select by it.
PEER_DAG_PROXIED_TAG = "Dag overriden to Dagster"


def peer_tasks_tag(count: int) -> str:
    """dagster-airlift's tag for a DAG proxied task by task: ``1 Task Marked as Proxied
    to Dagster``, ``3 Tasks ...``."""
    return f"{count} {'Task' if count == 1 else 'Tasks'} Marked as Proxied to Dagster"


#: Set on a DAG once proxied, so a cluster policy does not proxy it twice.
MARKER = "_airlift_proxied"

TaskBuilder = Callable[[Any], BaseProxyTaskToDagsterOperator]
DagBuilder = Callable[[Any], BaseProxyDAGToDagsterOperator]


class NoDagsFoundError(AirliftError, ValueError):
    """``proxying_to_dagster`` found no DAG in ``global_vars``."""


def _problem(
    state: DagProxiedState, task_id: str, message: str, hint: str
) -> ProxiedStateParsingError:
    if not state.path:  # a state built from a dict: no file to point at
        return ProxiedStateParsingError(message=f"{message} ({hint})")
    line = state.task_lines.get(task_id, 1)
    return ProxiedStateParsingError([Problem(state.path, line, 1, message, hint=hint)])


def proxy_dag(
    dag: Any,
    state: DagProxiedState,
    *,
    build_from_task_fn: TaskBuilder,
    build_from_dag_fn: DagBuilder,
    tag_unproxied: bool = True,
) -> None:
    """Apply one DAG's proxied state to it, in place.

    ``tag_unproxied=False`` leaves a DAG that proxies nothing untagged (the cluster
    policy: every DAG may have a state file, and most proxy nothing yet).
    """
    if getattr(dag, MARKER, False):
        return
    if state.dag_level and state.proxied:
        outlets = all_outlets(dag)
        remove_all_tasks(dag)
        proxy = build_from_dag_fn(dag)
        attach(dag, proxy, None)
        if outlets and not getattr(proxy, "outlets", None):
            proxy.outlets = outlets
        add_tags(dag, [DAG_PROXIED_TAG, PEER_DAG_PROXIED_TAG])
        setattr(dag, MARKER, True)
        return
    proxied = state.proxied_tasks
    for task_id in proxied:
        task = dag.task_dict.get(task_id)
        if task is None:
            raise _problem(
                state,
                task_id,
                f"Task with id `{task_id}` not found in dag `{dag.dag_id}`: task {task_id!r} "
                f"is proxied but DAG {dag.dag_id!r} has no such task",
                "fix the task id, or remove the entry",
            )
        if is_mapped(task):
            raise _problem(
                state,
                task_id,
                f"task {task_id!r} of DAG {dag.dag_id!r} is a mapped (dynamic) task; "
                "airlift cannot proxy mapped tasks",
                "set proxied: false for it, or proxy the whole DAG (proxied: true at the top)",
            )
    replaced = []
    for task_id in proxied:
        original = dag.task_dict[task_id]
        replaced.append(
            (original, replace_task(dag, original, _builder(build_from_task_fn, original)))
        )
    for original, proxy in replaced:  # readers among the proxied tasks read nothing now
        note_consumers(dag, original, proxy, logging.getLogger("airflow_side"))
    if proxied or tag_unproxied:
        tags = [f"{TASKS_PROXIED_TAG}={len(proxied)}"]
        if not state.dag_level:  # dagster-airlift tags a DAG-level "proxied: false" with none
            tags.append(peer_tasks_tag(len(proxied)))
        add_tags(dag, tags)
    setattr(dag, MARKER, True)


def _builder(build: TaskBuilder, task: Any) -> Callable[[], Any]:
    return lambda: build(task)


def pick_builders(
    build_from_task_fn: TaskBuilder | None,
    build_from_dag_fn: DagBuilder | None,
    dagster_operator_klass: type | None,
    dagster_dag_operator_klass: type | None,
) -> tuple[TaskBuilder, DagBuilder]:
    task_klass: type[BaseProxyTaskToDagsterOperator] = DefaultProxyTaskToDagsterOperator
    dag_klass: type[BaseProxyDAGToDagsterOperator] = DefaultProxyDAGToDagsterOperator
    for klass in (dagster_operator_klass, dagster_dag_operator_klass):
        if klass is None:
            continue
        if issubclass(klass, BaseProxyTaskToDagsterOperator):
            task_klass = klass
        elif issubclass(klass, BaseProxyDAGToDagsterOperator):
            dag_klass = klass
        else:
            raise TypeError(
                f"{klass.__name__} must subclass BaseProxyTaskToDagsterOperator "
                "or BaseProxyDAGToDagsterOperator"
            )
    return (
        build_from_task_fn or task_klass.build_from_task,
        build_from_dag_fn or dag_klass.build_from_dag,
    )


def proxying_to_dagster(
    *,
    global_vars: Mapping[str, Any],
    proxied_state: AirflowProxiedState,
    logger: logging.Logger | None = None,
    build_from_task_fn: TaskBuilder | None = None,
    build_from_dag_fn: DagBuilder | None = None,
    dagster_operator_klass: type | None = None,
    dagster_dag_operator_klass: type | None = None,
) -> None:
    """Proxy the DAGs defined in ``global_vars`` as their proxied state says.

    - ``proxied_state``: from :func:`load_proxied_state_from_yaml` (or
      ``AirflowProxiedState.from_dict``).
    - ``logger``: where to log what is proxied (default ``airflow_side``).
    - ``build_from_task_fn`` / ``build_from_dag_fn``: build the replacement
      operator; default ``<klass>.build_from_task`` / ``.build_from_dag``. The
      operator may be built without ``dag=``: it is attached in the original
      task's place (edges, task group, pool, outlets).
    - ``dagster_operator_klass``: a subclass of ``BaseProxyTaskToDagsterOperator``
      (or of ``BaseProxyDAGToDagsterOperator``) to connect to Dagster your way;
      ``dagster_dag_operator_klass`` sets the DAG-level one explicitly.

    DAGs without a proxied state are left alone. Raises :class:`NoDagsFoundError`
    when ``global_vars`` holds no DAG. A broken proxied-state file (or a proxied
    task the DAG lacks) raises :class:`ProxiedStateParsingError`; when the file
    defines other DAGs that are fine, only the broken DAG fails to load (Airflow
    records the error as the file's import error) and the others load.
    """
    log = logger or logging.getLogger("airflow_side")
    task_fn, dag_fn = pick_builders(
        build_from_task_fn, build_from_dag_fn, dagster_operator_klass, dagster_dag_operator_klass
    )
    dags = list({id(v): v for v in global_vars.values() if isinstance(v, DAG)}.values())
    if not dags:
        module = global_vars.get("__name__") or global_vars.get("__file__") or "this module"
        raise NoDagsFoundError(
            f"No dags found in globals dictionary: proxying_to_dagster found no DAG in the "
            f"globals of {module}: pass "
            "global_vars=globals() and call it at the end of the DAG file, after the DAGs "
            "are defined"
        )
    failed: list[tuple[Any, ProxiedStateParsingError]] = []
    for dag in dags:
        try:
            state = proxied_state.get(dag.dag_id)
            if state is None:
                log.debug("DAG %s has no proxied state; left as it is", dag.dag_id)
                continue
            proxy_dag(dag, state, build_from_task_fn=task_fn, build_from_dag_fn=dag_fn)
        except ProxiedStateParsingError as exc:
            failed.append((dag, exc))
    if failed and len(failed) == len(dags):
        raise failed[0][1]
    for dag, error in failed:
        log.error("DAG %s does not load: %s", dag.dag_id, error)
        fail_on_load(dag, error)


def fail_on_load(dag: Any, error: Exception) -> None:
    """Make Airflow refuse ``dag`` alone with ``error``: Airflow 2 and 3 validate each
    DAG of a file separately and record a failure as the file's import error, while
    the file's other DAGs still load."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise error

    dag.validate = refuse
