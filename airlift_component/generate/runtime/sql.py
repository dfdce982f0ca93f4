"""Running a generated SQL task as Airflow's ``SQLExecuteQueryOperator`` runs it.

The database is an Airflow Connection read the way Airflow reads one from the
environment: ``AIRFLOW_CONN_<CONN_ID>`` holding a connection URI
(``sqlite://%2Fpath%2Fto%2Fdb.sqlite``) or JSON (``{"conn_type": "sqlite",
"host": "/path/to/db.sqlite"}``). The statements run as ``DbApiHook.run`` runs
them: one string is one statement (``split_statements`` off), a list runs in
order on one cursor, parameters go to the driver, the rows of each statement are
fetched (``fetch_all_handler``) and one commit follows the last one. What comes
back is the operator's return value: the statement's rows for one string, a
list with each statement's rows for a list (``None`` for a statement without a
result set).

Only SQLite (Python's ``sqlite3``, as Airflow's SQLite provider connects) is
connected here; another connection type fails with a message saying what to do.
Nothing here prints the connection: it may hold a password.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from airlift_component.errors import AirliftError

Fetch = Literal["all", "one"] | None


class SqlConnectionError(AirliftError):
    """The Airflow Connection of a generated SQL task is missing, malformed or of a
    type this runtime does not connect to. Messages never hold the connection's text."""


@dataclass(frozen=True, repr=False)
class AirflowSqlDatabase:
    """The parts of an Airflow Connection (``repr`` shows the id and type only)."""

    conn_id: str
    conn_type: str
    host: str = ""
    schema: str = ""
    login: str | None = None
    password: str | None = None
    port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"AirflowSqlDatabase(conn_id={self.conn_id!r}, conn_type={self.conn_type!r})"


def env_var(conn_id: str) -> str:
    """The variable Airflow reads the connection ``conn_id`` from."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def parse_connection(conn_id: str, text: str) -> AirflowSqlDatabase:
    """The connection ``text`` (a URI or JSON, as in ``AIRFLOW_CONN_<ID>``) stands for."""
    where = env_var(conn_id)
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            record = json.loads(stripped)
        except ValueError:
            raise SqlConnectionError(
                f"{where}: not valid JSON; give a URI or a JSON object"
            ) from None
        if not isinstance(record, dict) or not isinstance(record.get("conn_type"), str):
            raise SqlConnectionError(f"{where}: the JSON object has no conn_type string")
        given = record.get("extra") or {}
        extras = _json_object(given, where) if isinstance(given, str) else given
        port = record.get("port")
        return AirflowSqlDatabase(
            conn_id,
            _normalized_type(record["conn_type"]),
            str(record.get("host") or ""),
            str(record.get("schema") or ""),
            record.get("login"),
            record.get("password"),
            int(port) if isinstance(port, int | str) and port != "" else None,
            extras if isinstance(extras, dict) else {},
        )
    if "://" not in stripped:
        raise SqlConnectionError(
            f"{where}: neither a connection URI (type://...) nor JSON; write it as Airflow "
            "reads it (see Airflow's 'Managing Connections')"
        )
    parts = urlsplit(stripped)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    host = netloc
    if ":" in host and host.rsplit(":", 1)[1].isdigit():
        host = host.rsplit(":", 1)[0]
    try:
        port = parts.port
    except ValueError:
        raise SqlConnectionError(f"{where}: the port is not a number") from None
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    extra: dict[str, Any] = (
        _json_object(query["__extra__"], where) if "__extra__" in query else dict(query)
    )
    return AirflowSqlDatabase(
        conn_id,
        _normalized_type(parts.scheme),
        unquote(host),
        unquote(parts.path[1:]),
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
        port,
        extra,
    )


def _normalized_type(conn_type: str) -> str:
    return "postgres" if conn_type == "postgresql" else conn_type.replace("-", "_")


def _json_object(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise SqlConnectionError(f"{where}: the extra is not valid JSON") from None
    if not isinstance(value, dict):
        raise SqlConnectionError(f"{where}: the extra is not a JSON object")
    return value


def connect(connection: AirflowSqlDatabase) -> Any:
    """A DB-API connection, made as Airflow's provider hook for the type makes it."""
    if connection.conn_type == "sqlite":
        # Airflow's SqliteHook opens "file:<host>" as an SQLite URI (extras as its query).
        query = "&".join(f"{k}={v}" for k, v in connection.extra.items())
        uri = f"file:{connection.host}" + (f"?{query}" if query else "")
        return sqlite3.connect(uri, uri=True)
    raise SqlConnectionError(
        f"{env_var(connection.conn_id)}: connection type {connection.conn_type!r} is not "
        "connected by airlift's generated SQL assets (SQLite only); replace the resource "
        "in the generated module with your database's Dagster resource"
    )


def single_result(sql: str | list[str], return_last: bool, split_statements: bool | None) -> bool:
    """True when Airflow returns one statement's rows rather than a list of them.

    The hook decides (``DbApiHook.run``, where ``split_statements`` defaults to off),
    and the operator's output processing hands the hook's value on unchanged."""
    return isinstance(sql, str) and (return_last or not split_statements)


def run_statements(
    connection: AirflowSqlDatabase,
    sql: str | list[str],
    *,
    parameters: Iterable[Any] | Mapping[str, Any] | None = None,
    fetch: Fetch = "all",
    return_last: bool = True,
    split_statements: bool | None = None,
) -> Any:
    """Run ``sql`` as ``SQLExecuteQueryOperator.execute`` would (see the module docstring);
    ``fetch`` is its handler (``fetch_all_handler``, ``fetch_one_handler`` or none)."""
    if split_statements:
        raise SqlConnectionError("split_statements=True is not reproduced here")
    statements = ([sql] if sql.strip() else []) if isinstance(sql, str) else list(sql)
    if not statements:
        raise ValueError("List of SQL statements is empty")
    single = single_result(sql, return_last, split_statements)
    results: list[Any] = []
    last: Any = None
    with closing(connect(connection)) as conn:
        with closing(conn.cursor()) as cursor:
            for statement in statements:
                if parameters:
                    cursor.execute(statement, parameters)
                else:
                    cursor.execute(statement)
                if fetch is None:
                    continue
                rows = _fetched(cursor, fetch)
                if single:
                    last = rows
                else:
                    results.append(rows)
        conn.commit()
    if fetch is None:
        return None
    return last if single else results


def _fetched(cursor: Any, fetch: Fetch) -> Any:
    if cursor.description is None:
        return None
    return cursor.fetchall() if fetch == "all" else cursor.fetchone()
