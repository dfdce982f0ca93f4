"""The Airflow side of airlift: run proxied tasks (or whole DAGs) in Dagster.

Imports Airflow (2.x or 3.x) and never Dagster. Typical use, at the end of a
DAG file::

    from pathlib import Path
    from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

    proxying_to_dagster(
        global_vars=globals(),
        proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
    )

Or, without editing DAG files, the cluster policy :func:`airflow_side.policy.dag_policy`.
See ``docs/airflow-side.md``.
"""

from __future__ import annotations

from airflow_side.operators import (
    BaseDagsterAssetsOperator,
    BaseProxyDAGToDagsterOperator,
    BaseProxyTaskToDagsterOperator,
    DagsterPlusProxyDAGToDagsterOperator,
    DagsterPlusProxyTaskToDagsterOperator,
    DefaultProxyDAGToDagsterOperator,
    DefaultProxyTaskToDagsterOperator,
    build_dagster_task,
)
from airflow_side.proxied_state import (
    AirflowProxiedState,
    DagProxiedState,
    ProxiedStateParsingError,
    TaskProxiedState,
    load_proxied_state_from_yaml,
)
from airflow_side.proxying import NoDagsFoundError, proxying_to_dagster

__all__ = [
    "AirflowProxiedState",
    "BaseDagsterAssetsOperator",
    "BaseProxyDAGToDagsterOperator",
    "BaseProxyTaskToDagsterOperator",
    "DagProxiedState",
    "DagsterPlusProxyDAGToDagsterOperator",
    "DagsterPlusProxyTaskToDagsterOperator",
    "DefaultProxyDAGToDagsterOperator",
    "DefaultProxyTaskToDagsterOperator",
    "NoDagsFoundError",
    "ProxiedStateParsingError",
    "TaskProxiedState",
    "build_dagster_task",
    "load_proxied_state_from_yaml",
    "proxying_to_dagster",
]
