"""Proxy operators for Dagster+ (organization, deployment and a user token).

Settings, first match wins:

1. the Airflow Connection ``dagster_plus_default``: host = organization,
   schema = deployment, password = user token;
2. Airflow Variables ``dagster_plus_organization``, ``dagster_plus_deployment``
   and ``dagster_plus_user_token``.

The instance name comes from ``extra.instance`` of the Connection, else
``$AIRLIFT_INSTANCE``. The organization and the deployment must be DNS labels
(letters, digits and ``-``, at most 63): they become the host and the path of
``https://<organization>.dagster.cloud/<deployment>``, where the token is sent.
"""

from __future__ import annotations

import os
import re

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

_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _label(value: str, field: str, source: str) -> str:
    """``value`` when it is a DNS label; else an error naming the field and its source."""
    if _DNS_LABEL.fullmatch(value):
        return value
    raise AirflowException(
        f"the Dagster+ {field} {value!r} ({source}) is not a DNS label: use the bare name, "
        f"letters, digits and '-' (at most 63, no '-' at either end), as in "
        f"https://<organization>.dagster.cloud/<deployment>, e.g. 'acme' and 'prod'"
    )


def checked_dagster_plus_url(
    organization: str, deployment: str, *, organization_from: str, deployment_from: str
) -> str:
    """The deployment's URL, once both names are checked to be DNS labels (an
    organization such as ``evil.example/steal?`` would send the token elsewhere)."""
    return dagster_plus_url(
        _label(organization, "organization", organization_from),
        _label(deployment, "deployment", deployment_from),
    )


def resolve_dagster_plus(conn_id: str = DAGSTER_PLUS_CONN_ID) -> DagsterSettings:
    """The Dagster+ URL, token and instance from the Connection or Variables."""
    conn = get_connection(conn_id)
    if conn is not None and conn.host:
        extra = conn.extra_dejson or {}
        where = f"of the Airflow Connection {conn_id!r}"
        url = checked_dagster_plus_url(
            conn.host,
            conn.schema or "prod",
            organization_from=f"host {where}",
            deployment_from=f"schema {where}",
        )
        return DagsterSettings(
            url,
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
    url = checked_dagster_plus_url(
        str(organization),
        str(get_variable(DEPLOYMENT_VARIABLE, None) or "prod"),
        organization_from=f"Airflow Variable {ORGANIZATION_VARIABLE}",
        deployment_from=f"Airflow Variable {DEPLOYMENT_VARIABLE}",
    )
    return DagsterSettings(url, token, os.environ.get(INSTANCE_ENV))


class _DagsterPlusMixin(SettingsFromAirflowMixin):
    dagster_plus_conn_id: str = DAGSTER_PLUS_CONN_ID

    def resolve_dagster_settings(self) -> DagsterSettings:
        return resolve_dagster_plus(self.dagster_plus_conn_id)


class DagsterPlusProxyTaskToDagsterOperator(_DagsterPlusMixin, BaseProxyTaskToDagsterOperator):
    """Task proxy for a Dagster+ deployment."""


class DagsterPlusProxyDAGToDagsterOperator(_DagsterPlusMixin, BaseProxyDAGToDagsterOperator):
    """DAG proxy for a Dagster+ deployment."""
