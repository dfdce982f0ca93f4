"""Dagster's GraphQL API, spoken without importing Dagster.

Used inside Airflow by the proxy operators and by ``airlift reload``. Only
``httpx`` (a base dependency) is needed.
"""

from __future__ import annotations

from airlift_component.dagster_api.client import (
    DAGSTER_CLOUD_TOKEN_HEADER,
    DagsterClient,
    dagster_plus_url,
    graphql_url,
    new_session,
    token_headers,
)
from airlift_component.dagster_api.types import (
    DAG_TAG,
    FINISHED_STATUSES,
    TASK_TAG,
    XCOM_RETURN_VALUE_METADATA,
    AssetNode,
    DagsterRun,
    MaterializationMetadata,
    tag_value,
)

__all__ = [
    "DAGSTER_CLOUD_TOKEN_HEADER",
    "DAG_TAG",
    "FINISHED_STATUSES",
    "TASK_TAG",
    "XCOM_RETURN_VALUE_METADATA",
    "AssetNode",
    "DagsterClient",
    "DagsterRun",
    "MaterializationMetadata",
    "dagster_plus_url",
    "graphql_url",
    "new_session",
    "tag_value",
    "token_headers",
]
