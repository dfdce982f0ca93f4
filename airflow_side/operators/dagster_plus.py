"""Proxy operators for Dagster+ (organization, deployment and a user token).

Settings, first match wins:

1. the Airflow Connection ``dagster_plus_default``: host = organization,
   schema = deployment, password = user token;
2. Airflow Variables ``dagster_plus_organization``, ``dagster_plus_deployment``
   and ``dagster_plus_user_token``.

The instance name comes from ``extra.instance`` of the Connection, else
``$AIRLIFT_INSTANCE``.
"""

from __future__ import annotations

import os

from airflow_side._compat import AirflowException, get_connection, get_variable
from airflow_side.operators.base import (
    INSTANCE_ENV,
    BaseProxyDAGToDagsterOperator,
    BaseProxyTaskToDagsterOperator,
)
from airflow_side.operators.default import DagsterSettings, SettingsFromAirflowMixin
from airlift_component.dagster_api import dagster_plus_url

DAGSTER_PLUS_CONN_ID = "dagster_plus_default"
ORGANIZATION_VARIABLE = "dagster_plus_organization"
DEPLOYMENT_VARIABLE = "dagster_plus_deployment"
TOKEN_VARIABLE = "dagster_plus_user_token"


def resolve_dagster_plus(conn_id: str = DAGSTER_PLUS_CONN_ID) -> DagsterSettings:
    """The Dagster+ URL, token and instance from the Connection or Variables."""
    conn = get_connection(conn_id)
    if conn is not None and conn.host:
        extra = conn.extra_dejson or {}
        deployment = conn.schema or "prod"
        return DagsterSettings(
            dagster_plus_url(conn.host, deployment),
            conn.password or None,
            extra.get("instance") or os.environ.get(INSTANCE_ENV),
        )
    organization = get_variable(ORGANIZATION_VARIABLE, None)
    token = get_variable(TOKEN_VARIABLE, None)
    if not organization or not token:
        raise AirflowException(
            f"no Dagster+ settings: define the Airflow Connection {conn_id!r} (host = "
            "organization, schema = deployment, password = user token) or the Variables "
            f"{ORGANIZATION_VARIABLE}, {DEPLOYMENT_VARIABLE} and {TOKEN_VARIABLE}"
        )
    deployment = get_variable(DEPLOYMENT_VARIABLE, None) or "prod"
    return DagsterSettings(
        dagster_plus_url(organization, deployment), token, os.environ.get(INSTANCE_ENV)
    )


class _DagsterPlusMixin(SettingsFromAirflowMixin):
    dagster_plus_conn_id: str = DAGSTER_PLUS_CONN_ID

    def resolve_dagster_settings(self) -> DagsterSettings:
        return resolve_dagster_plus(self.dagster_plus_conn_id)


class DagsterPlusProxyTaskToDagsterOperator(_DagsterPlusMixin, BaseProxyTaskToDagsterOperator):
    """Task proxy for a Dagster+ deployment."""


class DagsterPlusProxyDAGToDagsterOperator(_DagsterPlusMixin, BaseProxyDAGToDagsterOperator):
    """DAG proxy for a Dagster+ deployment."""
