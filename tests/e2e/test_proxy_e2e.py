"""Proxying against real Airflow (2 and 3) and a real Dagster webserver.

The Dagster project ``tests/e2e/projects/proxy`` has executable assets tagged
for the DAGs in ``tests/e2e/dags/proxy_*.py``. Airflow finds Dagster through
the ``dagster_default`` Connection (created over the REST API). Every flip goes
through ``airlift proxy on|off`` and is awaited by polling the DAG's tags, never
by sleeping; no DAG code is edited.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from airflow_side.xcom_return import read_return_value
from airlift_component.cli.main import main as airlift_cli
from airlift_component.dagster_api import DagsterClient, DagsterRun
from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.processes import poll_for
from tests.e2e.proxy_support import (
    AIRLIFT,
    INSTANCE,
    PROJECT,
    airflow_records,
    airlift,
    dagster_records,
    point_at_dagster,
    run_dag,
    set_state,
)


@pytest.fixture(scope="module")
def dagster(
    module_dagster_server_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DagsterServer]:
    out = tmp_path_factory.mktemp("proxy-dagster-out")
    server: DagsterServer = module_dagster_server_factory(
        PROJECT, env={"PROXY_E2E_OUT": str(out), "PROXY_E2E_INSTANCE": INSTANCE}, daemon=False
    )
    server.out = out  # type: ignore[attr-defined]
    yield server


def connect_to_dagster(airflow: AirflowServer, dagster: DagsterServer) -> AirflowServer:
    """Point ``airflow``'s ``dagster_default`` Connection at ``dagster``."""
    return point_at_dagster(airflow, dagster.url, INSTANCE)


@pytest.fixture
def proxied_airflow(airflow: AirflowServer, dagster: DagsterServer) -> AirflowServer:
    """``airflow`` with its ``dagster_default`` Connection pointing at ``dagster``."""
    return connect_to_dagster(airflow, dagster)


def task_log(airflow: AirflowServer, dag_id: str, run_id: str, task_id: str) -> str:
    path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/logs/1"
    resp = airflow.api.request("GET", path, params={"full_content": "true"})
    assert resp.status_code == 200, resp.text[:300]
    return json.dumps(resp.json()) if "json" in resp.headers.get("content-type", "") else resp.text


def test_task_level_proxy_then_rollback(
    proxied_airflow: AirflowServer, dagster: DagsterServer
) -> None:
    airflow = proxied_airflow
    state_dir = str(airflow.dags_folder / "proxied_state")
    set_state(
        airflow,
        "proxy_task_dag",
        "tasks:\n  - id: extract\n    proxied: false\n  - id: load\n    proxied: false\n"
        "  - id: report\n    proxied: false\n",
        "airlift:proxied_tasks=0",
    )
    airlift("proxy", "on", "proxy_task_dag", "load", "--dir", state_dir)
    airflow.wait_for_dag_tags("proxy_task_dag", lambda t: "airlift:proxied_tasks=1" in t, 120)

    proxied_run, state = run_dag(airflow, "proxy_task_dag")
    assert state == "success"
    assert airflow_records(airflow, proxied_run) == {
        ("proxy_task_dag", "extract"),
        ("proxy_task_dag", "report"),
    }
    [materialized] = dagster_records(dagster, "loaded", proxied_run)
    assert materialized["airflow_task_id"] == "load"

    airlift("proxy", "off", "proxy_task_dag", "load", "--dir", state_dir)
    airflow.wait_for_dag_tags("proxy_task_dag", lambda t: "airlift:proxied_tasks=0" in t, 120)
    rolled_back, state = run_dag(airflow, "proxy_task_dag")
    assert state == "success"
    assert airflow_records(airflow, rolled_back) == {
        ("proxy_task_dag", "extract"),
        ("proxy_task_dag", "load"),
        ("proxy_task_dag", "report"),
    }
    assert dagster_records(dagster, "loaded", rolled_back) == []


WHOLE_CONSUMER = "proxy_whole_consumer"


def dag_run_ids(airflow: AirflowServer, dag_id: str) -> set[str]:
    runs = airflow.api.json("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})
    return {run["dag_run_id"] for run in runs["dag_runs"]}


def wait_for_new_run(airflow: AirflowServer, dag_id: str, before: set[str]) -> str:
    """Poll until a run of ``dag_id`` not in ``before`` finished successfully; its id."""

    def probe() -> str | None:
        try:
            runs = airflow.api.json("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 100})
        except httpx.TimeoutException:
            return None
        for run in runs["dag_runs"]:
            if run["dag_run_id"] not in before and run["state"] in ("success", "failed"):
                assert run["state"] == "success", run
                return str(run["dag_run_id"])
        return None

    return poll_for(probe, timeout=300, what=f"a new run of {dag_id}", interval=0.5)


def test_dag_level_proxy_then_rollback(
    proxied_airflow: AirflowServer, dagster: DagsterServer
) -> None:
    airflow = proxied_airflow
    state_dir = str(airflow.dags_folder / "proxied_state")
    set_state(airflow, "proxy_whole_dag", "proxied: false\n", "airlift:proxied_tasks=0")
    airlift("proxy", "on", "proxy_whole_dag", "--dag", "--dir", state_dir)
    airflow.wait_for_dag_tags("proxy_whole_dag", lambda t: "airlift:proxied" in t, 120)

    airflow.wait_for_dag(WHOLE_CONSUMER)
    consumer_runs_before = dag_run_ids(airflow, WHOLE_CONSUMER)
    proxied_run, state = run_dag(airflow, "proxy_whole_dag")
    assert state == "success"
    assert airflow_records(airflow, proxied_run) == set()
    assert len(dagster_records(dagster, "whole_a", proxied_run)) == 1
    assert len(dagster_records(dagster, "whole_b", proxied_run)) == 1
    # The whole-DAG proxy carries the outlet of `second`: the DAG scheduled on it runs.
    consumer_run = wait_for_new_run(airflow, WHOLE_CONSUMER, consumer_runs_before)
    assert airflow_records(airflow, consumer_run) == {(WHOLE_CONSUMER, "consume")}

    airlift("proxy", "off", "proxy_whole_dag", "--dag", "--dir", state_dir)
    airflow.wait_for_dag_tags("proxy_whole_dag", lambda t: "airlift:proxied_tasks=0" in t, 120)
    rolled_back, state = run_dag(airflow, "proxy_whole_dag")
    assert state == "success"
    assert airflow_records(airflow, rolled_back) == {
        ("proxy_whole_dag", "first"),
        ("proxy_whole_dag", "second"),
    }
    assert dagster_records(dagster, "whole_a", rolled_back) == []


def test_failing_asset_fails_the_task_with_the_run_id_in_its_log(
    proxied_airflow: AirflowServer, dagster: DagsterServer
) -> None:
    airflow = proxied_airflow
    set_state(
        airflow,
        "proxy_fail_dag",
        "tasks:\n  - id: explode\n    proxied: true\n",
        "airlift:proxied_tasks=1",
    )
    run_id, state = run_dag(airflow, "proxy_fail_dag")
    assert state == "failed"
    assert airflow_records(airflow, run_id) == set()

    with DagsterClient(dagster.url) as client:
        [dagster_run] = client.find_runs({"airlift/airflow_run_id": run_id})
    assert dagster_run.status == "FAILURE"
    log = task_log(airflow, "proxy_fail_dag", run_id, "explode")
    assert f"Dagster run {dagster_run.run_id} ended FAILURE" in log
    assert f"{dagster.url}/runs/{dagster_run.run_id}" in log


def clear_task(airflow: AirflowServer, dag_id: str, run_id: str, task_id: str) -> None:
    """Clear one finished task instance as the Airflow UI does (its DAG run runs again)."""
    body = {
        "dry_run": False,
        "task_ids": [task_id],
        "dag_run_id": run_id,
        "only_failed": False,
        "reset_dag_runs": True,
    }
    airflow.api.json("POST", f"/dags/{dag_id}/clearTaskInstances", json=body)


def wait_for_try(
    airflow: AirflowServer, dag_id: str, run_id: str, task_id: str, try_number: int
) -> str:
    """Poll until try ``try_number`` of the task instance and its DAG run finished;
    returns the task instance's state."""
    path = f"/dags/{dag_id}/dagRuns/{run_id}"
    last = {"state": "unknown"}

    def probe() -> str | None:
        try:
            ti = airflow.api.json("GET", f"{path}/taskInstances/{task_id}")
            run = airflow.api.json("GET", path)
        except httpx.TimeoutException:
            return None
        last["state"] = f"try {ti['try_number']} {ti['state']}, run {run['state']}"
        finished = ti["state"] in ("success", "failed") and run["state"] in ("success", "failed")
        return str(ti["state"]) if finished and ti["try_number"] >= try_number else None

    return poll_for(
        probe,
        timeout=300,
        what=f"try {try_number} of {task_id} in run {run_id} of {dag_id}",
        interval=0.5,
        last_state=lambda: last["state"],
    )


def test_clearing_a_proxied_task_runs_its_assets_again(
    proxied_airflow: AirflowServer, dagster: DagsterServer
) -> None:
    airflow = proxied_airflow
    airflow.wait_for_dag_tags("proxy_clear_dag", lambda t: "airlift:proxied_tasks=1" in t, 120)
    run_id, state = run_dag(airflow, "proxy_clear_dag")
    assert state == "success"
    [first] = dagster_records(dagster, "cleared", run_id)
    assert (first["airflow_task_id"], first["airflow_try_number"]) == ("load", "1")

    clear_task(airflow, "proxy_clear_dag", run_id, "load")
    assert wait_for_try(airflow, "proxy_clear_dag", run_id, "load", 2) == "success"

    records = dagster_records(dagster, "cleared", run_id)
    assert [r["airflow_try_number"] for r in records] == ["1", "2"]
    assert records[1]["run_id"] != first["run_id"]
    assert airflow_records(airflow, run_id) == set()
    with DagsterClient(dagster.url) as client:
        runs = client.find_runs({"airlift/airflow_run_id": run_id})
    assert sorted((r.tags["airlift/airflow_try_number"], r.status) for r in runs) == [
        ("1", "SUCCESS"),
        ("2", "SUCCESS"),
    ]


def test_airlift_reload_against_real_dagster(dagster: DagsterServer) -> None:
    [location] = [entry["name"] for entry in dagster.locations()]
    done = airlift("reload", "--location", location, "--dagster-url", dagster.url)
    assert f"reloaded code location {location!r}" in done.stdout
    # With one code location, --location may be left out.
    done = airlift("reload", "--dagster-url", dagster.url)
    assert f"reloaded code location {location!r}" in done.stdout
    missing = subprocess.run(
        [*AIRLIFT, "reload", "--location", "nope", "--dagster-url", dagster.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 1
    assert f"{dagster.url}/graphql" in missing.stderr
    assert "nope" in missing.stderr


def test_cluster_policy_proxies_without_touching_the_dag_file(
    airflow_server_factory: Any, dagster: DagsterServer, tmp_path: Path
) -> None:
    """Zero-code mode: ``airflow_local_settings`` imports ``dag_policy``; the DAG file is plain."""
    (tmp_path / "airflow_local_settings.py").write_text(
        "from airflow_side.policy import dag_policy  # noqa: F401\n"
    )
    connection = {"conn_type": "http", "host": dagster.url, "extra": {"instance": INSTANCE}}
    airflow: AirflowServer = airflow_server_factory(
        3,
        env_overrides={
            "PYTHONPATH": str(tmp_path),
            "AIRFLOW_CONN_DAGSTER_DEFAULT": json.dumps(connection),
        },
    )
    airflow.wait_for_dag_tags("proxy_policy_dag", lambda t: "airlift:proxied_tasks=1" in t, 120)
    run_id, state = run_dag(airflow, "proxy_policy_dag")
    assert state == "success"
    assert airflow_records(airflow, run_id) == {
        ("proxy_policy_dag", "extract"),
        ("proxy_policy_dag", "report"),
    }
    assert len(dagster_records(dagster, "policy_loaded", run_id)) == 1


COMPONENT_DEFS = """
import dagster as dg

from airlift_component.component import build_defs

# One process per run (in-process executor): this test is not about the deployed
# executor, and a step worker per asset costs seconds on a loaded machine.
defs = dg.Definitions.merge(
    build_defs({airlift_yaml!r}), dg.Definitions(executor=dg.in_process_executor)
)
"""


def test_proxy_finds_assets_built_by_the_real_component(
    proxied_airflow: AirflowServer,
    dagster_server_factory: Any,
    tmp_path: Path,
) -> None:
    """The component (airlift.yaml → build_defs) tags and links the assets the proxy looks for."""
    airflow = proxied_airflow
    mapping = {
        "dag": "proxy_component_dag",
        "tasks": [
            {"task": "extract", "assets": ["proxy/component_raw"]},
            {
                "task": "load",
                "assets": [
                    {
                        "key": "proxy/component_loaded",
                        "code": "component_assets:component_loaded",
                    }
                ],
            },
            {"task": "report", "assets": ["proxy/component_report"]},
        ],
    }
    config = {
        "version": 1,
        "instances": [
            {
                **airflow.instance_config(name=INSTANCE),
                "dags": {"include": ["proxy_component_dag"]},
                "mappings": [mapping],
            }
        ],
    }
    (tmp_path / "airlift.yaml").write_text(json.dumps(config))
    defs_file = tmp_path / "defs.py"
    defs_file.write_text(COMPONENT_DEFS.format(airlift_yaml=str(tmp_path / "airlift.yaml")))
    out = tmp_path / "out"
    # As in a deployment: the state is refreshed before Dagster loads the code.
    assert airlift_cli(["refresh", "--config", str(tmp_path / "airlift.yaml")]) == 0
    server: DagsterServer = dagster_server_factory(
        defs_file,
        env={"PROXY_E2E_OUT": str(out), "PYTHONPATH": str(PROJECT.parent)},
        daemon=False,
    )
    connection = {"host": server.url, "extra": json.dumps({"instance": INSTANCE})}
    airflow.api.json(
        "PATCH",
        "/connections/dagster_default",
        json={"connection_id": "dagster_default", "conn_type": "http", **connection},
    )
    set_state(
        airflow,
        "proxy_component_dag",
        "tasks:\n  - id: extract\n    proxied: false\n  - id: load\n    proxied: true\n"
        "  - id: report\n    proxied: false\n",
        "airlift:proxied_tasks=1",
    )
    run_id, state = run_dag(airflow, "proxy_component_dag")
    assert state == "success"
    assert airflow_records(airflow, run_id) == {
        ("proxy_component_dag", "extract"),
        ("proxy_component_dag", "report"),
    }
    lines = (out / "component_loaded.jsonl").read_text().splitlines()
    records = [r for r in map(json.loads, lines) if r["airflow_run_id"] == run_id]
    assert [r["airflow_task_id"] for r in records] == ["load"]
    log = task_log(airflow, "proxy_component_dag", run_id, "load")
    assert "of proxy/component_loaded (found via index)" in log


def test_dagster_airlift_style_custom_operator_tags_the_run(
    proxied_airflow: AirflowServer, dagster: DagsterServer
) -> None:
    """A subclass overriding get_dagster_url, get_dagster_session (a requests.Session)
    and default_dagster_run_tags, as dagster-airlift users write them."""
    airflow = proxied_airflow
    airflow.api.request("DELETE", "/variables/proxy_custom_dagster_url")
    variable = {"key": "proxy_custom_dagster_url", "value": dagster.url}
    airflow.api.json("POST", "/variables", json=variable, ok=(200, 201))
    airflow.wait_for_dag_tags("proxy_custom_dag", lambda t: "airlift:proxied_tasks=1" in t, 120)

    run_id, state = run_dag(airflow, "proxy_custom_dag")
    assert state == "success"
    assert airflow_records(airflow, run_id) == {("proxy_custom_dag", "extract")}
    assert len(dagster_records(dagster, "custom_loaded", run_id)) == 1
    with DagsterClient(dagster.url) as client:
        [dagster_run] = client.find_runs({"airlift/airflow_run_id": run_id})
    assert dagster_run.status == "SUCCESS"
    assert dagster_run.tags["team"] == "payments"
    assert dagster_run.tags["cost_center"] == "cc-42"
    assert dagster_run.tags["airlift/airflow_instance"] == INSTANCE
    assert dagster_run.tags["airlift/airflow_task_id"] == "load"
    ti = airflow.api.json("GET", f"/dags/proxy_custom_dag/dagRuns/{run_id}/taskInstances/load")
    assert ti["operator"] == "TeamProxyTaskToDagsterOperator"


def test_factory_file_with_one_broken_state_file_loses_only_that_dag(
    airflow: AirflowServer,
) -> None:
    """One module builds three DAGs; breaking one DAG's proxied-state file shows an
    import error naming that file, and the other two are still parsed and listed.

    Airflow 2 keeps them active. Airflow 3.3 marks every DAG of a file that has an
    import error stale (``dag_processing/collection.py``), even the ones it has just
    serialized; they are listed with their new state, and active again once the
    file is fixed.
    """
    good_a = "tasks:\n  - id: first\n    proxied: false\n"
    good_c = "tasks:\n  - id: second\n    proxied: false\n"
    airflow.wait_for_dag_tags("proxy_factory_a", lambda t: "airlift:proxied_tasks=0" in t, 120)
    airflow.wait_for_dag("proxy_factory_c", timeout=120)

    def factory_error() -> str | None:
        found = [e for e in airflow.api.import_errors() if "proxy_factory_dags.py" in e]
        return found[0] if found else None

    def listed_with_tag(dag_id: str, tag: str) -> dict[str, Any] | None:
        dag = airflow.get_dag(dag_id)
        names = {t["name"] for t in (dag or {}).get("tags") or []}
        if dag is not None and tag in names:
            return dag
        # Airflow does not watch the state files: ask for the factory's parse.
        airflow.request_parse("proxy_factory_dags.py")
        return None

    try:
        # Break c first, then change a: the parse that shows a's change saw c broken.
        airflow.write_dag_file(
            "proxied_state/proxy_factory_c.yaml", "tasks:\n  - id: second\n    proxied: maybe\n"
        )
        airflow.write_dag_file(
            "proxied_state/proxy_factory_a.yaml", "tasks:\n  - id: first\n    proxied: true\n"
        )
        dag_a = poll_for(
            lambda: listed_with_tag("proxy_factory_a", "airlift:proxied_tasks=1"),
            timeout=120,
            what="proxy_factory_a re-parsed with its new proxied state",
        )
        error = poll_for(factory_error, timeout=120, what="the factory file's import error")
        assert "ProxiedStateParsingError" in error
        assert "proxied_state/proxy_factory_c.yaml:3:" in error
        dag_b = airflow.get_dag("proxy_factory_b")
        assert dag_b is not None
        if airflow.version_major == 2:
            assert dag_a["is_active"] and dag_b["is_active"]
    finally:
        airflow.write_dag_file("proxied_state/proxy_factory_c.yaml", good_c)
        airflow.write_dag_file("proxied_state/proxy_factory_a.yaml", good_a)
    airflow.wait_for_dag_tags("proxy_factory_a", lambda t: "airlift:proxied_tasks=0" in t, 120)
    airflow.wait_for_dag("proxy_factory_c", timeout=120)
    poll_for(lambda: factory_error() is None or None, timeout=120, what="the import error to clear")


@pytest.fixture
def linked_airflow(airflow: AirflowServer, dagster: DagsterServer) -> AirflowServer:
    """The shared Airflow (2 and 3) as a user installs it: airlift-component in its
    environment and nothing in the plugins folder. Airflow 2 shows the "Dagster run"
    link because it loads ``AirliftPlugin`` from the package's ``airflow.plugins``
    entry point; Airflow 3 needs no plugin and loads it without complaint."""
    plugins = airflow.api.json("GET", "/plugins")["plugins"]
    [airlift] = [plugin for plugin in plugins if plugin["name"] == "airlift"]
    assert "airflow.plugins" in str(airlift["source"])  # the entry point, not a file
    assert not list((airflow.home / "plugins").glob("*.py"))
    if airflow.version_major == 3:
        errors = airflow.api.json("GET", "/plugins/importErrors")["import_errors"]
        assert errors == []
    return connect_to_dagster(airflow, dagster)


def extra_links(airflow: AirflowServer, dag_id: str, run_id: str, task_id: str) -> Any:
    """The task instance's extra links from the REST API (v1 answers the mapping
    itself, v2 wraps it in ``extra_links``)."""
    path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/links"
    body = airflow.api.json("GET", path)
    return body.get("extra_links", body)


def test_dagster_run_link_and_the_way_back(
    linked_airflow: AirflowServer, dagster: DagsterServer
) -> None:
    """Airflow's REST API gives each proxy task a "Dagster run" link to the run it
    launched; the run is tagged with the task instance's Airflow URL."""
    airflow = linked_airflow
    cases = [
        ("proxy_link_dag", "load"),
        ("proxy_link_whole_dag", "DAGSTER_OVERRIDE_DAG_proxy_link_whole_dag"),
    ]
    airflow.wait_for_dag_tags("proxy_link_dag", lambda t: "airlift:proxied_tasks=1" in t, 120)
    airflow.wait_for_dag_tags("proxy_link_whole_dag", lambda t: "airlift:proxied" in t, 120)
    run_ids = {}
    for dag_id, task_id in cases:
        run_id, state = run_dag(airflow, dag_id)
        assert state == "success", dag_id
        run_ids[dag_id] = run_id
        with DagsterClient(dagster.url) as client:
            [dagster_run] = client.find_runs(
                {"airlift/airflow_run_id": run_id, "airlift/airflow_dag_id": dag_id}
            )
        assert extra_links(airflow, dag_id, run_id, task_id) == {
            "Dagster run": f"{dagster.url}/runs/{dagster_run.run_id}"
        }
        back = dagster_run.tags["airlift/airflow_task_instance_url"]
        assert back.startswith(f"{airflow.url}/dags/{dag_id}/")
        assert task_id in back and quote(run_id) in back
        assert "@" not in back
    # The DAG's task that still runs in Airflow has no such link.
    assert extra_links(airflow, "proxy_link_dag", run_ids["proxy_link_dag"], "extract") == {}


def test_taskflow_return_value_from_dagster_reaches_the_next_task(
    proxied_airflow: AirflowServer, dagster: DagsterServer
) -> None:
    """Airflow's TaskFlow tutorial with ``transform`` proxied: the Dagster asset hands
    the total back and ``load`` formats it (it failed on None before)."""
    airflow = proxied_airflow
    airflow.wait_for_dag_tags("proxy_taskflow_dag", lambda t: "airlift:proxied_tasks=1" in t, 120)
    task = airflow.api.json("GET", "/dags/proxy_taskflow_dag/tasks/transform")
    assert "its XCom is read by load (total_order_value)" in (task.get("doc_md") or "")

    run_id, state = run_dag(airflow, "proxy_taskflow_dag")
    assert state == "success"
    assert len(dagster_records(dagster, "order_summary", run_id)) == 1
    path = airflow.dags_folder.parent / "proxy_out" / "airflow.jsonl"
    loads = [
        r
        for r in map(json.loads, path.read_text().splitlines())
        if r["run_id"] == run_id and r["dag"] == "proxy_taskflow_dag"
    ]
    assert [(r["step"], r["value"]) for r in loads] == [("load", "Total order value is: 1236.70")]
    xcom = f"/dags/proxy_taskflow_dag/dagRuns/{run_id}/taskInstances/transform/xcomEntries"
    entry = airflow.api.json("GET", f"{xcom}/return_value")
    assert "1236.7" in str(entry["value"])


REEXECUTE = """
mutation AirliftTestReexecute($parentRunId: String!, $strategy: ReexecutionStrategy!) {
  launchRunReexecution(
    reexecutionParams: {parentRunId: $parentRunId, strategy: $strategy}
  ) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
  }
}
"""


def finished_run(client: DagsterClient, run_id: str) -> DagsterRun:
    """Poll the Dagster run until it finished; returns it."""
    last = {"status": "unknown"}

    def probe() -> DagsterRun | None:
        run = client.get_run(run_id)
        last["status"] = run.status
        return run if run.finished else None

    return poll_for(
        probe, timeout=180, what=f"Dagster run {run_id}", last_state=lambda: last["status"]
    )


def reexecute(client: DagsterClient, parent: str, strategy: str) -> str:
    """Re-execute run ``parent`` as the Dagster UI does; returns the new run's id."""
    data = client.graphql(
        REEXECUTE, {"parentRunId": parent, "strategy": strategy}, fields=["launchRunReexecution"]
    )
    launched = data["launchRunReexecution"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return str(launched["run"]["runId"])


def test_xcom_hand_back_reads_the_followed_retry_and_its_ancestors_never_a_sibling(
    dagster: DagsterServer,
) -> None:
    """A run fails after one asset handed a value back; its retry from failure (the
    run a proxy task follows) hands nothing back itself, and a later re-execution of
    the same first run by hand hands back another value: the retry's value is the
    first run's, not its sibling's."""
    failing = dagster.out / "handback_then_fails"  # type: ignore[attr-defined]
    failing.parent.mkdir(parents=True, exist_ok=True)
    failing.touch()
    [location] = [entry["name"] for entry in dagster.locations()]
    with DagsterClient(dagster.url) as client:
        first = client.launch_run(
            location=location,
            repository="__repository__",
            asset_keys=[["proxy", "handback_first"], ["proxy", "handback_then"]],
            tags={},
        ).run_id
        assert finished_run(client, first).status == "FAILURE"
        failing.unlink()
        retry = reexecute(client, first, "FROM_FAILURE")
        followed = finished_run(client, retry)
        sibling = reexecute(client, first, "ALL_STEPS")
        assert finished_run(client, sibling).status == "SUCCESS"

        assert followed.status == "SUCCESS"
        assert followed.tags["dagster/parent_run_id"] == first
        assert not [m for m in client.run_materializations(retry) if m.key[-1] == "handback_first"]
        handed = read_return_value(client, followed)
    assert (handed.found, handed.value) == (True, first)
    assert handed.assets == ("proxy/handback_first",)
