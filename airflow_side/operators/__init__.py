"""Proxy operators: base classes, the default (Connection / environment) ones and Dagster+."""

from __future__ import annotations

from airflow_side.operators.base import (
    DAG_PROXY_TASK_PREFIX,
    BaseDagsterAssetsOperator,
    BaseProxyDAGToDagsterOperator,
    BaseProxyTaskToDagsterOperator,
    build_dagster_task,
    dag_proxy_task_id,
)
from airflow_side.operators.dagster_plus import (
    DagsterPlusProxyDAGToDagsterOperator,
    DagsterPlusProxyTaskToDagsterOperator,
)
from airflow_side.operators.default import (
    DefaultProxyDAGToDagsterOperator,
    DefaultProxyTaskToDagsterOperator,
)

__all__ = [
    "DAG_PROXY_TASK_PREFIX",
    "BaseDagsterAssetsOperator",
    "BaseProxyDAGToDagsterOperator",
    "BaseProxyTaskToDagsterOperator",
    "DagsterPlusProxyDAGToDagsterOperator",
    "DagsterPlusProxyTaskToDagsterOperator",
    "DefaultProxyDAGToDagsterOperator",
    "DefaultProxyTaskToDagsterOperator",
    "build_dagster_task",
    "dag_proxy_task_id",
]
