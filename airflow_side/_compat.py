"""The few Airflow names the Airflow side needs, on Airflow 2.x and 3.x.

Airflow 3 moved DAG authoring to ``airflow.sdk``; Airflow 2 keeps it in
``airflow.models``. Everything else in ``airflow_side`` imports from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.exceptions import AirflowException, AirflowNotFoundException

if TYPE_CHECKING:
    from airflow.sdk import DAG, BaseOperator, BaseOperatorLink

    AIRFLOW_3: bool
else:
    try:
        from airflow.sdk import DAG, BaseOperator, BaseOperatorLink

        AIRFLOW_3 = True
    except ImportError:  # Airflow 2.x
        from airflow.models import DAG, BaseOperator
        from airflow.models.baseoperatorlink import BaseOperatorLink

        AIRFLOW_3 = False

__all__ = [
    "AIRFLOW_3",
    "DAG",
    "AirflowException",
    "AirflowNotFoundException",
    "BaseOperator",
    "BaseOperatorLink",
    "get_connection",
    "get_variable",
]

_MISSING = object()


def get_variable(key: str, default: Any = _MISSING) -> Any:
    """An Airflow Variable; ``default`` when given and the Variable is not set."""
    if AIRFLOW_3:
        from airflow.sdk import Variable

        return Variable.get(key) if default is _MISSING else Variable.get(key, default=default)
    from airflow.models import Variable as Variable2

    if default is _MISSING:
        return Variable2.get(key)
    return Variable2.get(key, default_var=default)  # type: ignore[call-arg,unused-ignore]


def get_connection(conn_id: str) -> Any | None:
    """An Airflow Connection, or ``None`` when it is not defined."""
    try:
        if AIRFLOW_3:
            from airflow.sdk import Connection

            return Connection.get(conn_id)
        from airflow.hooks.base import BaseHook  # type: ignore[attr-defined,unused-ignore]

        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


def iter_xcom_references(task: Any) -> Any:
    """(operator, key) of every XCom a task's templated arguments pull through an
    ``XComArg`` (TaskFlow arguments, ``task.output``)."""
    if AIRFLOW_3:
        from airflow.sdk import XComArg
    else:
        from airflow.models.xcom_arg import XComArg  # type: ignore[no-redef,unused-ignore]
    return XComArg.iter_xcom_references(task)


def is_mapped(task: Any) -> bool:
    """True for a dynamically mapped task, or a task inside a mapped task group."""
    if any(cls.__name__ == "MappedOperator" for cls in type(task).__mro__):
        return True
    closest = getattr(task, "get_closest_mapped_task_group", None)
    return closest is not None and closest() is not None


def weight_rule_arg(value: Any) -> Any:
    """A task's ``weight_rule`` in the form the operator constructor accepts.

    Airflow 2.9+ stores a strategy object but its constructor wants the name
    (``"downstream"``) or a class path.
    """
    if isinstance(value, str) or AIRFLOW_3:
        return value
    try:
        from airflow.task.priority_strategy import (  # type: ignore[attr-defined,unused-ignore]
            airflow_priority_weight_strategies_classes as names,
        )
    except ImportError:
        return value
    return names.get(type(value), f"{type(value).__module__}.{type(value).__qualname__}")
