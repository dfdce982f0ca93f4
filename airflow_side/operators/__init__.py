"""Proxy operators: base classes, the default (Connection / environment) ones and Dagster+."""

from __future__ import annotations

from airflow_side.operators.base import (
    DAG_PROXY_TASK_ID,
    BaseProxyDAGToDagsterOperator,
    BaseProxyTaskToDagsterOperator,
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
    "DAG_PROXY_TASK_ID",
    "BaseProxyDAGToDagsterOperator",
    "BaseProxyTaskToDagsterOperator",
    "DagsterPlusProxyDAGToDagsterOperator",
    "DagsterPlusProxyTaskToDagsterOperator",
    "DefaultProxyDAGToDagsterOperator",
    "DefaultProxyTaskToDagsterOperator",
]
