"""SQLExecuteQueryOperator → a generated asset on SQLite: the connection read from
``AIRFLOW_CONN_<ID>`` as Airflow reads it, the statements run and the rows handed
back as Airflow's own operator returns them (checked against the real operator of
``.venv-airflow2``), and what cannot be reproduced refused with its line."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airlift_component.generate.runtime.sql import (
    SqlConnectionError,
    parse_connection,
    run_statements,
)
from tests.unit.child_python import AIRFLOW2_PYTHON, json_answer
from tests.unit.generated_project import generate, generated_project, local_instance

DAG_FILE = """\
from airflow.sdk import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.common.sql.hooks.handlers import fetch_one_handler

with DAG("sqlflow", schedule=None, params={"who": "dag"}) as sqlflow:
    SQLExecuteQueryOperator(
        task_id="load",
        conn_id="warehouse",
        sql=[
            "CREATE TABLE IF NOT EXISTS seen (run TEXT, who TEXT, day TEXT)",
            "INSERT INTO seen VALUES ('{{ run_id }}', :who, '{{ ds }}')",
            "SELECT who, day FROM seen WHERE run = '{{ run_id }}'",
        ],
        parameters={"who": "{{ params.who }}"},
        retries=2,
    )
    SQLExecuteQueryOperator(
        task_id="count", conn_id="warehouse", sql="SELECT COUNT(*) FROM seen",
        handler=fetch_one_handler,
    )
    SQLExecuteQueryOperator(task_id="split", conn_id="warehouse", sql="SELECT 1; SELECT 2",
                            split_statements=True)
    SQLExecuteQueryOperator(task_id="own", conn_id="warehouse", sql="SELECT 1",
                            handler=lambda cursor: cursor.rowcount)
    SQLExecuteQueryOperator(task_id="file", conn_id="warehouse", sql="queries/load.sql")
    SQLExecuteQueryOperator(task_id="db", conn_id="warehouse", sql="SELECT 1", database="x")
"""

AIRLIFT_YAML = local_instance("""\
- dag: sqlflow
  tasks:
    - {task: load, assets: [sql/load]}
    - {task: count, assets: [sql/count]}
    - {task: split, assets: [sql/split]}
    - {task: own, assets: [sql/own]}
    - {task: file, assets: [sql/file]}
    - {task: db, assets: [sql/db]}
""")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Each test's generated package is its own: none imported before or after it.
    with generated_project(tmp_path, monkeypatch, {"sqlflow.py": DAG_FILE}, AIRLIFT_YAML):
        yield tmp_path


def sqlite_uri(path: Path) -> str:
    """The URI Airflow's ``Connection(conn_type="sqlite", host=path).get_uri()`` gives."""
    return "sqlite://" + str(path).replace("/", "%2F")


def test_refusals_name_the_reason_and_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate("sqlflow", "split", "own", "file", "db") == 1
    err = capsys.readouterr().err
    assert "sqlflow.split: refused: dags/sqlflow.py:22: argument split_statements=True" in err
    assert "sqlflow.own: refused: dags/sqlflow.py:24: argument handler=lambda" in err
    assert "sqlflow.file: refused: dags/sqlflow.py:25: sql names a template file" in err
    assert "sqlflow.db: refused: dags/sqlflow.py:26: argument database=" in err


def test_the_module_passes_ruff_and_names_the_variable_never_the_connection(project: Path) -> None:
    assert generate("sqlflow", "load") == 0
    text = (project / "airlift_generated" / "sqlflow__load.py").read_text()
    assert "connection=dg.EnvVar('AIRFLOW_CONN_WAREHOUSE')" in text
    assert "variable AIRFLOW_CONN_WAREHOUSE as Airflow reads it" in text
    assert "sqlite:" not in text
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [str(ruff), "check", "--isolated", str(project / "airlift_generated" / "sqlflow__load.py")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_sql_assets_run_in_dagster_on_sqlite(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import dagster as dg

    db = project / "warehouse.db"
    monkeypatch.setenv("AIRFLOW_CONN_WAREHOUSE", sqlite_uri(db))
    assert generate("sqlflow", "load", "count") == 0
    load = importlib.import_module("airlift_generated.sqlflow__load").sqlflow__load
    count = importlib.import_module("airlift_generated.sqlflow__count").sqlflow__count
    result = dg.materialize([load])
    # Two tasks on one connection, each with its own resource key: one Definitions.
    defs = dg.Definitions(assets=[load, count])
    assert defs.resolve_implicit_global_asset_job_def() is not None
    assert dg.materialize([count]).success
    (event,) = result.get_asset_materialization_events()
    day = event.materialization.metadata["airlift/xcom_return_value"].value[2][0][1]
    assert event.materialization.metadata["airlift/xcom_return_value"].value == [
        None,
        None,
        [["dag", day]],
    ]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT run, who FROM seen").fetchall() == [
            (f"dagster__{result.run_id}", "dag")
        ]


def test_a_missing_connection_variable_fails_the_step_naming_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    import dagster as dg

    monkeypatch.delenv("AIRFLOW_CONN_WAREHOUSE", raising=False)
    assert generate("sqlflow", "count") == 0
    count = importlib.import_module("airlift_generated.sqlflow__count").sqlflow__count
    with pytest.raises(Exception, match="AIRFLOW_CONN_WAREHOUSE"):
        dg.materialize([count])


@pytest.mark.parametrize(
    ("text", "host"),
    [
        ("sqlite://%2Ftmp%2FMixed%20Case.db", "/tmp/Mixed Case.db"),
        ('{"conn_type": "sqlite", "host": "/tmp/x.db"}', "/tmp/x.db"),
    ],
    ids=["uri", "json"],
)
def test_connections_are_read_as_airflow_reads_them(text: str, host: str) -> None:
    connection = parse_connection("warehouse", text)
    assert (connection.conn_type, connection.host) == ("sqlite", host)


def test_a_connection_is_never_shown() -> None:
    connection = parse_connection("pg", "postgresql://user:s3cret@db:5432/prod")
    assert connection.password == "s3cret" and connection.port == 5432
    assert "s3cret" not in repr(connection)
    with pytest.raises(SqlConnectionError) as caught:
        run_statements(connection, "SELECT 1")
    assert "s3cret" not in str(caught.value) and "'postgres'" in str(caught.value)


CASES: list[dict[str, Any]] = [
    {"sql": "SELECT 1, 'a'"},
    {"sql": "SELECT 1", "return_last": False},
    {"sql": ["SELECT 1", "SELECT 2 UNION SELECT 3"]},
    {"sql": ["SELECT ?", "SELECT ? + 1 UNION SELECT 0"], "parameters": [7]},
    {"sql": ["CREATE TABLE t (x)", "INSERT INTO t VALUES (:a)", "SELECT x FROM t"],
     "parameters": {"a": 7}},
    {"sql": "SELECT :a + 1", "parameters": {"a": 41}, "fetch": "one"},
    {"sql": "SELECT 1", "split_statements": False, "return_last": False},
    {"sql": "SELECT 1", "do_xcom_push": False},
]  # fmt: skip

AIRFLOW_SIDE = """
import json, sys
from airflow.providers.common.sql.hooks.handlers import fetch_all_handler, fetch_one_handler
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
out = []
for i, case in enumerate(json.loads(sys.argv[1])):
    case = dict(case)
    fetch = case.pop("fetch", "all")
    op = SQLExecuteQueryOperator(
        task_id=f"t{i}", conn_id=f"case{i}",
        handler=fetch_one_handler if fetch == "one" else fetch_all_handler, **case)
    out.append(op.execute(context={}))
print(json.dumps(out))
"""


@pytest.mark.skipif(not AIRFLOW2_PYTHON.exists(), reason="needs .venv-airflow2 (scripts/setup)")
def test_results_equal_airflows_own_operator(tmp_path: Path) -> None:
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "home")}
    for i in range(len(CASES)):
        env[f"AIRFLOW_CONN_CASE{i}"] = sqlite_uri(tmp_path / f"airflow{i}.db")
    airflow = json_answer(["-c", textwrap.dedent(AIRFLOW_SIDE), json.dumps(CASES)], env=env)
    ours = []
    for i, case in enumerate(CASES):
        case = dict(case)
        push = case.pop("do_xcom_push", True)
        connection = parse_connection("x", sqlite_uri(tmp_path / f"ours{i}.db"))
        fetch = case.pop("fetch", "all") if push else None
        ours.append(run_statements(connection, fetch=fetch, **case) if push else None)
        if not push:
            run_statements(connection, fetch=None, **case)
    assert json.loads(json.dumps(ours)) == airflow
