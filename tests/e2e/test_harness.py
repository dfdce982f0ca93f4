"""The local-server harness itself: process hygiene, readable start-up errors,
real Airflow (both majors) picking up DAG files, real Dagster loading code."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from devtools.local_stack import AirflowServer, DagsterServer, StackStartError
from devtools.local_stack.ports import free_ports
from devtools.local_stack.processes import ManagedProcess, poll_for
from tests.e2e.proxy_support import point_at_dagster


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- processes, no servers -------------------------------------------------------


def test_stop_kills_the_whole_group_even_when_sigterm_is_ignored(tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    # Both the shell and its child ignore SIGTERM (an ignored signal survives exec).
    script = "trap '' TERM; sleep 300 & echo child=$!; wait"
    proc = ManagedProcess("stubborn", ["bash", "-c", script], env=os.environ, log_path=log)
    proc.start()
    child = poll_for(
        lambda: next((int(x[6:]) for x in log.read_text().split() if x.startswith("child=")), None),
        timeout=10,
        what="the child pid",
    )
    leader = proc.pid
    assert leader is not None

    started = time.monotonic()
    proc.stop(timeout=1)

    assert time.monotonic() - started < 10
    assert not _pid_alive(leader)
    assert not _pid_alive(child)
    assert not proc.running


def test_servers_die_with_the_process_that_started_them(tmp_path: Path) -> None:
    starter = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        from devtools.local_stack.processes import ManagedProcess
        proc = ManagedProcess("sleeper", ["sleep", "300"], env=os.environ,
                              log_path=Path({str(tmp_path / "sleeper.log")!r}))
        proc.start()
        print(proc.pid, flush=True)
        time.sleep(300)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _pid_alive(child)
    parent.kill()  # SIGKILL: no atexit, no finally
    parent.wait()
    poll_for(lambda: True if not _pid_alive(child) else None, timeout=10, what="the orphan to die")


def test_a_process_that_exits_early_fails_the_wait_with_its_log(tmp_path: Path) -> None:
    log = tmp_path / "early.log"
    proc = ManagedProcess(
        "early", ["bash", "-c", "echo cannot-bind-marker; exit 3"], env=os.environ, log_path=log
    )
    proc.start()
    with pytest.raises(StackStartError) as err:
        poll_for(lambda: None, timeout=60, what="readiness", processes=[proc])
    message = str(err.value)
    assert "early exited with code 3" in message
    assert "cannot-bind-marker" in message
    proc.stop()


def test_missing_airflow_interpreter_points_at_setup(tmp_path: Path) -> None:
    server = AirflowServer(
        2, home=tmp_path / "home", dags_folder=tmp_path / "dags", python=tmp_path / "no" / "python"
    )
    with pytest.raises(StackStartError, match=r"scripts/setup"):
        server.start()
    assert server.processes == ()


def test_free_ports_are_distinct_loopback_ports() -> None:
    ports = free_ports(5)
    assert len(set(ports)) == 5
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


# -- real Airflow -----------------------------------------------------------------


def test_airflow_answers_on_loopback_and_requires_auth(airflow: AirflowServer) -> None:
    assert airflow.url.startswith("http://127.0.0.1:")
    version = airflow.api.json("GET", "/version")["version"]
    assert version.split(".")[0] == str(airflow.version_major)

    dags_path = f"/api/{airflow.api_version}/dags"
    anonymous = httpx.get(f"{airflow.url}{dags_path}")
    wrong = httpx.get(f"{airflow.url}{dags_path}", auth=(airflow.username, "wrong-password"))
    assert anonymous.status_code in (401, 403)
    assert wrong.status_code in (401, 403)
    if airflow.version_major == 3:
        bad_login = httpx.post(
            f"{airflow.url}/auth/token", json={"username": airflow.username, "password": "nope"}
        )
        assert bad_login.status_code == 401
    assert airflow.api.request("GET", "/dags").status_code == 200


def test_a_connection_with_an_encrypted_extra_is_stored_and_read_back(
    airflow: AirflowServer,
) -> None:
    """The Connection the proxy e2e setups create, through the same REST call.

    Airflow encrypts a Connection's password and extra with the Fernet key the
    harness sets, so a cryptography release that Airflow cannot use (Airflow
    2.10.5 with cryptography 51: ``MultiFernet`` refuses ``is_encrypted``) fails
    here by name instead of as a 500 in every proxy test's setup.
    """
    conn_id = f"harness_encrypted_af{airflow.version_major}"
    point_at_dagster(airflow, "http://127.0.0.1:3000", instance="harness", conn_id=conn_id)

    stored = airflow.api.json("GET", f"/connections/{conn_id}")
    assert json.loads(stored["extra"]) == {"instance": "harness"}
    with sqlite3.connect(airflow.home / "airflow.db", timeout=60) as db:
        row = db.execute(
            "SELECT is_extra_encrypted, extra FROM connection WHERE conn_id = ?", (conn_id,)
        ).fetchone()
    assert row is not None
    is_extra_encrypted, ciphertext = row
    assert is_extra_encrypted
    assert "harness" not in ciphertext


def test_new_and_edited_dag_files_are_picked_up(airflow: AirflowServer) -> None:
    dag_id = f"harness_e2e_written_af{airflow.version_major}"
    source = textwrap.dedent(
        """
        from datetime import datetime
        try:
            from airflow.providers.standard.operators.empty import EmptyOperator
            from airflow.sdk import DAG
        except ImportError:
            from airflow import DAG
            from airflow.operators.empty import EmptyOperator

        with DAG(dag_id="{dag_id}", start_date=datetime(2024, 1, 1), schedule=None, tags=["{tag}"]):
            EmptyOperator(task_id="only")
        """
    )
    airflow.write_dag_file(f"{dag_id}.py", source.format(dag_id=dag_id, tag="first"))
    dag = airflow.wait_for_dag(dag_id)
    assert {t["name"] for t in dag["tags"]} == {"first"}

    airflow.write_dag_file(f"{dag_id}.py", source.format(dag_id=dag_id, tag="second"))
    airflow.wait_for_dag_tags(dag_id, lambda tags: tags == {"second"})


def test_trigger_and_wait_reports_a_failed_run(airflow3: AirflowServer) -> None:
    airflow3.wait_for_dag("harness_e2e_fails")
    assert airflow3.trigger_and_wait("harness_e2e_fails") == "failed"


def test_airflow_cli_runs_against_the_server(airflow3: AirflowServer) -> None:
    result = airflow3.cli("dags", "list", "--output", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "client_e2e_chain" in result.stdout


# -- real Dagster -----------------------------------------------------------------

_DEFS = """
import dagster as dg

@dg.asset
def harness_first() -> int:
    return 1
{extra}
defs = dg.Definitions(assets=[a for a in list(globals().values()) if isinstance(a, dg.AssetsDefinition)])
"""

_LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""
_RUN = "query Run($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
_ASSETS = "query { assetNodes { assetKey { path } } }"


def test_dagster_loads_runs_reloads_and_stops(
    dagster_server_factory: Callable[..., DagsterServer], tmp_path: Path
) -> None:
    defs = tmp_path / "harness_defs.py"
    defs.write_text(_DEFS.format(extra=""))
    server = dagster_server_factory(defs)
    assert server.url.startswith("http://127.0.0.1:")
    assert server.graphql("{ version }")["version"]
    [location] = server.locations()
    assert (location["name"], location["loadStatus"]) == ("harness_defs.py", "LOADED")

    selector = {
        "repositoryLocationName": "harness_defs.py",
        "repositoryName": "__repository__",
        "jobName": "__ASSET_JOB",
        "assetSelection": [{"path": ["harness_first"]}],
    }
    launched = server.graphql(_LAUNCH, {"params": {"selector": selector}})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    status = poll_for(
        lambda: (
            s
            if (s := server.graphql(_RUN, {"id": run_id})["runOrError"]["status"])
            in ("SUCCESS", "FAILURE", "CANCELED")
            else None
        ),
        timeout=120,
        what="the Dagster run to finish",
    )
    assert status == "SUCCESS"

    defs.write_text(_DEFS.format(extra="\n@dg.asset\ndef harness_second() -> int:\n    return 2\n"))
    server.reload_location("harness_defs.py")
    keys = {tuple(n["assetKey"]["path"]) for n in server.graphql(_ASSETS)["assetNodes"]}
    assert keys == {("harness_first",), ("harness_second",)}

    pids = [p.pid for p in server.processes]
    port = server.port
    server.stop()
    assert not _port_open(port)
    assert not any(pid is not None and _pid_alive(pid) for pid in pids)


def test_dagster_code_that_fails_to_load_is_reported(
    dagster_server_factory: Callable[..., DagsterServer], tmp_path: Path
) -> None:
    broken = tmp_path / "broken_defs.py"
    broken.write_text("raise RuntimeError('harness-broken-defs-marker')\n")
    with pytest.raises(StackStartError, match="harness-broken-defs-marker"):
        dagster_server_factory(broken, daemon=False)
