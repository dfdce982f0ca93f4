"""Replacing tasks in a DAG that is already built, on Airflow 2.x and 3.x.

Both versions keep a DAG's structure in the same places: ``dag.task_dict``
(task id → task), each task's ``upstream_task_ids`` / ``downstream_task_ids``
sets, and the task-group tree (``group.children`` keyed by node id, plus the
root's ``used_group_ids``). A replacement keeps the task id, so group-level
edges, edge labels and history stay valid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from airflow_side._compat import weight_rule_arg

#: Operator arguments a proxy operator takes over from the task it replaces.
INHERITED_ARGS = (
    "owner",
    "email",
    "email_on_retry",
    "email_on_failure",
    "retries",
    "retry_delay",
    "retry_exponential_backoff",
    "max_retry_delay",
    "retry_policy",
    "start_date",
    "end_date",
    "depends_on_past",
    "ignore_first_depends_on_past",
    "wait_for_past_depends_before_skipping",
    "wait_for_downstream",
    "priority_weight",
    "weight_rule",
    "queue",
    "pool",
    "pool_slots",
    "sla",
    "execution_timeout",
    "on_execute_callback",
    "on_failure_callback",
    "on_success_callback",
    "on_retry_callback",
    "on_skipped_callback",
    "trigger_rule",
    "run_as_user",
    "max_active_tis_per_dag",
    "max_active_tis_per_dagrun",
    "executor",
    "executor_config",
    "doc_md",
    "inlets",
    "outlets",
    # A TaskFlow task's: the value its Dagster run hands back is pushed the same way.
    "do_xcom_push",
    "multiple_outputs",
)


def inherited_kwargs(task: Any) -> dict[str, Any]:
    """The arguments of ``task`` to pass on to its replacement (unset ones left out)."""
    kwargs: dict[str, Any] = {}
    for name in INHERITED_ARGS:
        value = getattr(task, name, None)
        if value is None or (name in ("inlets", "outlets", "executor_config") and not value):
            continue
        kwargs[name] = weight_rule_arg(value) if name == "weight_rule" else value
    return kwargs


def local_task_id(task: Any) -> str:
    """The task id without its task group's prefix (what the constructor takes)."""
    group = getattr(task, "task_group", None)
    group_id = getattr(group, "group_id", None) if group is not None else None
    prefix = f"{group_id}." if group_id and getattr(group, "prefix_group_id", False) else ""
    return (
        task.task_id[len(prefix) :] if prefix and task.task_id.startswith(prefix) else task.task_id
    )


def _detach(dag: Any, task: Any) -> None:
    del dag.task_dict[task.task_id]
    group = getattr(task, "task_group", None)
    if group is not None:
        group.children.pop(task.node_id, None)
        group.used_group_ids.discard(task.task_id)
    for upstream_id in task.upstream_task_ids:
        dag.task_dict[upstream_id].downstream_task_ids.discard(task.task_id)
    for downstream_id in task.downstream_task_ids:
        dag.task_dict[downstream_id].upstream_task_ids.discard(task.task_id)


def _group_id(group: Any) -> str | None:
    return getattr(group, "group_id", None) if group is not None else None


def _has_dag(task: Any) -> bool:
    has_dag = getattr(task, "has_dag", None)
    return bool(has_dag()) if callable(has_dag) else getattr(task, "dag", None) is not None


def attach(dag: Any, new: Any, group: Any) -> None:
    """Put ``new`` in ``dag`` and in ``group`` (the replaced task's task group).

    A builder may return an operator without ``dag=`` (dagster-airlift's documented
    ``MyOperator(task_id=task.task_id)``), or one that landed in the DAG's root group
    because no ``task_group=`` was given; both end up where the original task was.
    """
    current = getattr(new, "task_group", None)
    if current is not None and group is not None and _group_id(current) != _group_id(group):
        current.children.pop(new.node_id, None)
        new.task_group = None
    if group is not None and getattr(new, "task_group", None) is None:
        group.add(new)
    if not _has_dag(new):
        dag.add_task(new)
    elif new.dag is not dag:
        raise ValueError(
            f"the replacement of task {new.task_id!r} belongs to DAG {new.dag.dag_id!r}, "
            f"not {dag.dag_id!r}; build it with dag=task.dag or without a DAG"
        )


#: Settings a replacement takes from the original when its builder left them unset.
_PLACE_DEFAULTS: tuple[tuple[str, Any], ...] = (
    ("pool", "default_pool"),
    ("pool_slots", 1),
    ("outlets", []),
    ("inlets", []),
)


def _inherit_place(task: Any, new: Any) -> None:
    for name, default in _PLACE_DEFAULTS:
        mine, theirs = getattr(new, name, default), getattr(task, name, default)
        if mine == default and theirs not in (None, default):
            setattr(new, name, list(theirs) if isinstance(theirs, list) else theirs)


def replace_task(dag: Any, task: Any, build: Callable[[], Any]) -> Any:
    """Swap ``task`` for ``build()`` keeping id, edges, task group, pool and outlets.

    ``build`` may create the operator in the DAG (``dag=dag``, the local task id and
    ``task_group=task.task_group``, see :func:`inherited_kwargs`) or without a DAG
    (``task_id=task.task_id``); either way it takes the original task's place.
    """
    upstream = set(task.upstream_task_ids)
    downstream = set(task.downstream_task_ids)
    group = getattr(task, "task_group", None)
    _detach(dag, task)
    new = build()
    if new.task_id != task.task_id:
        raise ValueError(
            f"the replacement built for task {task.task_id!r} of DAG {dag.dag_id!r} has id "
            f"{new.task_id!r}; keep the task id (task_id=task.task_id without a DAG, or "
            "the local id with dag= and task_group=)"
        )
    attach(dag, new, group)
    _inherit_place(task, new)
    for upstream_id in upstream:
        new.upstream_task_ids.add(upstream_id)
        dag.task_dict[upstream_id].downstream_task_ids.add(new.task_id)
    for downstream_id in downstream:
        new.downstream_task_ids.add(downstream_id)
        dag.task_dict[downstream_id].upstream_task_ids.add(new.task_id)
    return new


def all_outlets(dag: Any) -> list[Any]:
    """Every task's outlets (Airflow 3 assets, Airflow 2 datasets), each once, in task order.

    A whole-DAG proxy carries them, so that Airflow still records the DAG's asset
    events and the DAGs scheduled on those assets still run.
    """
    merged: list[Any] = []
    for task in dag.task_dict.values():
        for outlet in getattr(task, "outlets", None) or ():
            if outlet not in merged:
                merged.append(outlet)
    return merged


def remove_all_tasks(dag: Any) -> None:
    """Empty the DAG: every task and every task group goes."""
    root = dag.task_group
    for task in list(dag.task_dict.values()):
        root.used_group_ids.discard(task.task_id)
    dag.task_dict.clear()
    for child in list(root.children.values()):
        if hasattr(child, "children"):  # a nested task group and its ids
            _forget_group(root, child)
    root.children.clear()
    for attr in ("upstream_task_ids", "downstream_task_ids"):
        getattr(root, attr, set()).clear()
    edge_info = getattr(dag, "edge_info", None)
    if isinstance(edge_info, dict):
        edge_info.clear()


def _forget_group(root: Any, group: Any) -> None:
    for attr in ("group_id", "upstream_join_id", "downstream_join_id"):
        root.used_group_ids.discard(getattr(group, attr, None))
    for child in group.children.values():
        if hasattr(child, "children"):
            _forget_group(root, child)


def add_tags(dag: Any, tags: list[str]) -> None:
    """Add tags to a DAG; Airflow 3 keeps a set, Airflow 2 a list."""
    current = dag.tags
    if current is None:
        dag.tags = list(tags)
    elif isinstance(current, list):
        current.extend(tag for tag in tags if tag not in current)
    else:
        current.update(tags)
