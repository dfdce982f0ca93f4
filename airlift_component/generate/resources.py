"""Dagster resources the generated modules bind: an Airflow Connection, from the environment.

A generated SQL asset gets its database as :class:`AirflowSqlConnection`, whose
``connection`` is configured with ``dg.EnvVar("AIRFLOW_CONN_<ID>")``: the same
variable, in the same URI or JSON form, that Airflow reads the connection from.
The module holds the variable's name, never its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg

from airlift_component.generate.runtime.sql import Fetch, parse_connection, run_statements


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
