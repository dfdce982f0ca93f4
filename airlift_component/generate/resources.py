"""Dagster resources the generated modules bind: an Airflow Connection, from the environment.

A generated SQL asset gets its database as :class:`AirflowSqlConnection`, whose
``connection`` is configured with ``dg.EnvVar("AIRFLOW_CONN_<ID>")``: the same
variable, in the same URI or JSON form, that Airflow reads the connection from.
The module holds the connection id, never the connection. :func:`airflow_connection`
gives every module of a code location the same resource object for one id, as
Dagster requires of assets sharing a resource key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

import dagster as dg

from airlift_component.generate.runtime.sql import (
    Fetch,
    env_var,
    parse_connection,
    run_statements,
)


class AirflowSqlConnection(dg.ConfigurableResource):
    """A database reached through an Airflow Connection.

    ``connection`` is the connection's URI or JSON (give it as ``dg.EnvVar``);
    ``conn_id`` names it in messages.
    """

    conn_id: str
    connection: str

    def run(
        self,
        sql: str | list[str],
        *,
        parameters: Iterable[Any] | Mapping[str, Any] | None = None,
        fetch: Fetch = "all",
        return_last: bool = True,
        split_statements: bool | None = None,
    ) -> Any:
        """Run ``sql`` as Airflow's ``SQLExecuteQueryOperator`` does; its return value."""
        return run_statements(
            parse_connection(self.conn_id, self.connection),
            sql,
            parameters=parameters,
            fetch=fetch,
            return_last=return_last,
            split_statements=split_statements,
        )


@cache
def airflow_connection(conn_id: str) -> AirflowSqlConnection:
    """The resource of Airflow Connection ``conn_id``, configured from the environment
    variable ``AIRFLOW_CONN_<CONN_ID>`` (one object per id, shared by every asset)."""
    return AirflowSqlConnection(conn_id=conn_id, connection=dg.EnvVar(env_var(conn_id)))
