"""SQLExecuteQueryOperator (common.sql) → a Dagster asset running the same statements.

The database is a Dagster resource the module defines, ``AirflowConnection``,
configured with ``dg.EnvVar("AIRFLOW_CONN_<CONN_ID>")``: the variable Airflow
itself reads the connection from, so the module names the variable, never a
secret. Its key is the asset's own (Dagster requires assets sharing a key to
share one resource object, which modules written apart cannot). The SQL and
``parameters`` are rendered with the Airflow run's template values and run as
``DbApiHook.run`` runs them (:mod:`.runtime.sql`); the operator's return value
(the rows) is the task's XCom.

Refused, because the result would differ: a ``handler`` other than Airflow's
``fetch_all_handler``/``fetch_one_handler``, an ``output_processor``,
``split_statements=True`` (Airflow splits with ``sqlparse``), ``database=`` and
``hook_params=`` (they change how the provider's hook connects), a templated
``conn_id``, and SQL naming a template file (``.sql``).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from airlift_component.generate.operator_args import literal, operator_kwargs
from airlift_component.generate.refusals import Refusal
from airlift_component.generate.render import asset_name
from airlift_component.generate.runtime.sql import env_var
from airlift_component.generate.template_check import check_template, is_template, strings_in
from airlift_component.generate.translation import Resource, TaskInput, Translation

OPERATORS = ("SQLExecuteQueryOperator",)
_KNOWN = frozenset(
    {"sql", "conn_id", "parameters", "autocommit", "handler", "split_statements", "return_last",
     "do_xcom_push", "show_return_value_in_logs", "requires_result_fetch", "database",
     "hook_params", "output_processor"}
)  # fmt: skip
_REFUSED = {
    "database": "database= (the provider's hook reconnects with it)",
    "hook_params": "hook_params= (they configure the provider's hook)",
    "output_processor": "output_processor= (a function Airflow runs on the rows)",
}
#: Airflow reads a templated string ending with one of these as the path of a template file.
_TEMPLATE_EXT = (".sql", ".json")
_HANDLERS = {"fetch_all_handler": "all", "fetch_one_handler": "one"}


def _handler(task: TaskInput, node: ast.expr) -> str:
    qualified = task.names.qualified(node) or ast.unparse(node)
    short = qualified.rsplit(".", 1)[-1]
    if short in _HANDLERS and qualified.startswith("airflow.providers.common.sql"):
        return _HANDLERS[short]
    raise Refusal(
        f"argument handler={ast.unparse(node)} not supported (a custom handler)", node.lineno
    )


def _check_strings(value: Any, line: int) -> None:
    """Check every templated string of ``value``; refuse a template file name."""
    for text in strings_in(value):
        if text.strip().endswith(_TEMPLATE_EXT):
            raise Refusal("sql names a template file (.sql); not supported", line)
        if is_template(text):
            check_template(text, line)


def resource_key(conn_id: str) -> str:
    """The resource's key (and the asset function's parameter) for ``conn_id``."""
    return "airflow_conn_" + (re.sub(r"\W", "_", conn_id).strip("_").lower() or "default")


#: The resource class each generated SQL module defines (Dagster is imported by the
#: generated module, never by this package).
RESOURCE_CLASS = '''\
class AirflowConnection(dg.ConfigurableResource):
    """An Airflow Connection, given as Airflow reads it from AIRFLOW_CONN_<ID> (URI or JSON)."""

    conn_id: str
    connection: str

    def database(self) -> AirflowSqlDatabase:
        """The connection's parts (never shown: they may hold a password)."""
        return parse_connection(self.conn_id, self.connection)'''


def translate(task: TaskInput) -> Translation:
    """The asset code of a SQLExecuteQueryOperator task; :class:`Refusal` when not faithful."""
    site = task.site
    args = operator_kwargs(site, _KNOWN)
    for name, why in _REFUSED.items():
        if name in args:
            raise Refusal(f"argument {why} not supported", args[name].lineno)
    if "sql" not in args:
        raise Refusal("sql is missing", site.line)
    if "conn_id" not in args:
        raise Refusal("conn_id is missing (Airflow would pick the hook's default)", site.line)
    sql = literal(site, args["sql"], "sql")
    line = args["sql"].lineno
    if isinstance(sql, tuple):
        sql = list(sql)
    if not (
        isinstance(sql, str) or (isinstance(sql, list) and all(isinstance(s, str) for s in sql))
    ):
        raise Refusal("sql is not a string or a list of strings", line)
    _check_strings(sql, line)
    conn_id = literal(site, args["conn_id"], "conn_id")
    if not isinstance(conn_id, str) or not conn_id:
        raise Refusal("argument conn_id= is not a string", args["conn_id"].lineno)
    if is_template(conn_id):
        raise Refusal("argument conn_id= is templated; not supported", args["conn_id"].lineno)
    parameters = literal(site, args["parameters"], "parameters") if "parameters" in args else None
    if parameters is not None:
        if not isinstance(parameters, list | tuple | dict):
            raise Refusal("argument parameters= is not a list or dict", args["parameters"].lineno)
        _check_strings(parameters, args["parameters"].lineno)
    split = (
        literal(site, args["split_statements"], "split_statements")
        if "split_statements" in args
        else None
    )
    if split:
        raise Refusal(
            "argument split_statements=True not supported (Airflow splits with sqlparse)",
            args["split_statements"].lineno,
        )
    fetch = _handler(task, args["handler"]) if "handler" in args else "all"
    flags = {
        name: bool(literal(site, args[name], name)) if name in args else default
        for name, default in (
            ("return_last", True),
            ("do_xcom_push", True),
            ("requires_result_fetch", False),
            ("show_return_value_in_logs", False),
        )
    }
    if "autocommit" in args:
        literal(site, args["autocommit"], "autocommit")  # SQLite's hook ignores it, as here
    fetched = flags["do_xcom_push"] or flags["requires_result_fetch"]
    key = f"{resource_key(conn_id)}__{asset_name(task.dag.dag_id, site.task_id)}"
    resource = Resource(
        key,
        "AirflowConnection",
        f"AirflowConnection(conn_id={conn_id!r}, connection=dg.EnvVar({env_var(conn_id)!r}))",
    )
    prelude = [
        f"SQL: str | list[str] = {sql!r}",
        f"PARAMETERS: Any = {parameters!r}",
        RESOURCE_CLASS,
    ]
    keep = flags["do_xcom_push"] or flags["show_return_value_in_logs"]
    body = [
        f"{'rows = ' if keep else ''}run_statements(",
        f"    {key}.database(),",
        "    run.render_nested(SQL),",
        "    parameters=run.render_nested(PARAMETERS),",
        f"    fetch={fetch if fetched else None!r},",
        f"    return_last={flags['return_last']!r},",
        f"    split_statements={split!r},",
        ")",
    ]
    if flags["show_return_value_in_logs"]:
        body.append('context.log.info(f"Operator output is: {rows}")')
    if flags["do_xcom_push"]:
        body.append("value = rows")
    return Translation(
        "sql",
        imports={
            "from typing import Any",
            "from airlift_component.generate.runtime.sql import (\n"
            "    AirflowSqlDatabase,\n"
            "    parse_connection,\n"
            "    run_statements,\n"
            ")",
        },
        prelude=prelude,
        body=body,
        hands_back=flags["do_xcom_push"],
        notes=[
            f"The database is Airflow Connection {conn_id!r}, read from the environment",
            f"variable AIRFLOW_CONN_{conn_id.upper()} as Airflow reads it (URI or JSON; SQLite).",
            "Rows come back as lists (Airflow keeps tuples): JSON has no tuples.",
        ],
        resources=[resource],
    )
