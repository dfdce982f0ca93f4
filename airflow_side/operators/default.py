"""Proxy operators that find Dagster through an Airflow Connection or the environment.

Where the Dagster URL, token and instance name come from, first match wins:

1. the Airflow Connection ``dagster_default`` (``dagster_conn_id``): host (a full
   URL such as ``http://dagster:3000``, or host + port + ``extra.scheme``), password
   = Dagster+ API token (optional), ``extra.instance`` = the ``airlift.yaml`` instance;
2. environment variables ``DAGSTER_URL``, ``DAGSTER_API_TOKEN`` (optional) and
   ``AIRLIFT_INSTANCE``.

For example ``AIRFLOW_CONN_DAGSTER_DEFAULT='{"conn_type": "http", "host":
"http://127.0.0.1:3000", "extra": {"instance": "analytics"}}'``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_side._compat import AirflowException, get_connection
from airflow_side.operators.base import (
    INSTANCE_ENV,
    BaseProxyDAGToDagsterOperator,
    BaseProxyTaskToDagsterOperator,
)
from airflow_side.redaction import UnsafeUrlError, check_userinfo, redact_url
from airlift_component.dagster_api import new_session

DEFAULT_CONN_ID = "dagster_default"
URL_ENV = "DAGSTER_URL"
TOKEN_ENV = "DAGSTER_API_TOKEN"


@dataclass(frozen=True)
class DagsterSettings:
    url: str
    token: str | None
    instance: str | None

    def __repr__(self) -> str:
        return f"DagsterSettings(url={redact_url(self.url)!r}, instance={self.instance!r})"


def _connection_url(conn: Any) -> str:
    host = (conn.host or "").rstrip("/")
    if "://" in host:
        return host
    extra = conn.extra_dejson or {}
    scheme = extra.get("scheme") or (
        conn.conn_type if conn.conn_type in ("http", "https") else "http"
    )
    port = f":{conn.port}" if conn.port else ""
    path = f"/{conn.schema.strip('/')}" if conn.schema else ""
    return f"{scheme}://{host}{port}{path}"


def resolve_settings(conn_id: str = DEFAULT_CONN_ID) -> DagsterSettings:
    """The Dagster URL, token and instance from the Connection or the environment."""
    conn = get_connection(conn_id)
    if conn is not None and conn.host:
        extra = conn.extra_dejson or {}
        return DagsterSettings(
            _checked(_connection_url(conn), f"host of the Airflow Connection {conn_id!r}"),
            conn.password or None,
            extra.get("instance") or os.environ.get(INSTANCE_ENV),
        )
    url = os.environ.get(URL_ENV)
    if not url:
        raise AirflowException(
            f"no Dagster URL: define the Airflow Connection {conn_id!r} (host = the "
            f"Dagster webserver URL) or set the environment variable {URL_ENV}"
        )
    return DagsterSettings(
        _checked(url, f"environment variable {URL_ENV}"),
        os.environ.get(TOKEN_ENV) or None,
        os.environ.get(INSTANCE_ENV),
    )


def _checked(url: str, where: str) -> str:
    try:
        return check_userinfo(url, where)
    except UnsafeUrlError as exc:
        raise AirflowException(str(exc)) from None


class SettingsFromAirflowMixin:
    """Answers ``get_dagster_url`` / ``get_dagster_session`` / the instance name from
    :class:`DagsterSettings` resolved once per operator by :meth:`resolve_dagster_settings`."""

    airlift_instance: str | None
    dagster_request_timeout_seconds: float
    _settings: DagsterSettings | None = None

    def resolve_dagster_settings(self) -> DagsterSettings:
        raise NotImplementedError

    def _dagster_settings(self) -> DagsterSettings:
        if self._settings is None:
            self._settings = self.resolve_dagster_settings()
        return self._settings

    def get_dagster_url(self, context: Mapping[str, Any]) -> str:
        return self._dagster_settings().url

    def get_dagster_session(self, context: Mapping[str, Any]) -> Any:
        settings = self._dagster_settings()
        return new_session(settings.token, timeout=self.dagster_request_timeout_seconds)

    def get_airlift_instance(self, context: Mapping[str, Any]) -> str:
        if not self.airlift_instance:
            self.airlift_instance = self._dagster_settings().instance
        return super().get_airlift_instance(context)  # type: ignore[misc]


class _DefaultSettingsMixin(SettingsFromAirflowMixin):
    dagster_conn_id: str = DEFAULT_CONN_ID

    def resolve_dagster_settings(self) -> DagsterSettings:
        return resolve_settings(self.dagster_conn_id)


class DefaultProxyTaskToDagsterOperator(_DefaultSettingsMixin, BaseProxyTaskToDagsterOperator):
    """Task proxy reading Dagster's URL/token from ``dagster_default`` or the environment."""


class DefaultProxyDAGToDagsterOperator(_DefaultSettingsMixin, BaseProxyDAGToDagsterOperator):
    """DAG proxy reading Dagster's URL/token from ``dagster_default`` or the environment."""
