"""`airlift generate` in the real loop: Airflow 2 and 3, a real Dagster webserver.

``tests/e2e/dags/generate_e2e_dags.py`` has a Bash task (``hello``) and a
TaskFlow task (``transform``, reading ``extract``'s XCom). The test maps them in
an ``airlift.yaml``, generates their assets with the command, serves them from a
Dagster project (tagged as the component tags ``code:`` assets), proxies each
task with ``airlift proxy on``, runs the DAG, and checks that the downstream
Airflow task received the same XCom as in a run of Airflow's own operators after
``airlift proxy off``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from devtools.local_stack import AirflowServer, DagsterServer
from tests.e2e.proxy_support import INSTANCE, airlift, point_at_dagster, set_state

DEFINITIONS = """\
import dagster as dg

from airlift_component.mapping_tags import mapping_metadata, mapping_tags
from airlift_generated.generate_e2e_bash__hello import generate_e2e_bash__hello
from airlift_generated.generate_e2e_taskflow__transform import generate_e2e_taskflow__transform


def mapped(asset: dg.AssetsDefinition, dag_id: str, task_id: str) -> dg.AssetsDefinition:
    # What the component does for an asset named by code: in airlift.yaml.
    return asset.map_asset_specs(
        lambda spec: spec.merge_attributes(
            tags=mapping_tags("{instance}", dag_id, task_id),
            metadata=mapping_metadata("{instance}", dag_id, task_id),
        )
    )


defs = dg.Definitions(
    assets=[
        mapped(generate_e2e_bash__hello, "generate_e2e_bash", "hello"),
        mapped(generate_e2e_taskflow__transform, "generate_e2e_taskflow", "transform"),
    ]
)
"""


def airlift_yaml(airflow: AirflowServer) -> str:
    return f"""\
version: 1
instances:
  - name: {INSTANCE}   # the e2e Airflow
    url: {airflow.url}
    auth: {{type: basic, username: {airflow.username}, password: {airflow.password}}}
    mappings:
      - dag: generate_e2e_bash
        tasks:
          - task: hello
            assets: [generate_e2e/hello]
      - dag: generate_e2e_taskflow
        tasks:
          - task: transform
            assets:
              - generate_e2e/transform
"""


def generate(project: Path, airflow: AirflowServer, dag_id: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "airlift_component",
            "generate",
            dag_id,
            "--config",
            str(project / "airlift.yaml"),
            "--dags-folder",
            str(airflow.dags_folder),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def records(airflow: AirflowServer, run_id: str) -> dict[str, Any]:
    path = airflow.dags_folder.parent / "proxy_out" / "airflow.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return {r["step"]: r["value"] for r in map(json.loads, lines) if r["run_id"] == run_id}


def run(
    airflow: AirflowServer, dagster: DagsterServer, dag_id: str, conf: dict[str, Any] | None = None
) -> str:
    run_id = airflow.trigger(dag_id, conf)
    state = airflow.wait_for_run(dag_id, run_id, timeout=300)
    assert state == "success", failed_logs(airflow, dag_id, run_id) + dagster_story(dagster)
    return run_id


_STORY = """
{ workspaceOrError { ... on Workspace { locationEntries { name
    locationOrLoadError { __typename ... on PythonError { message } } } } }
  runsOrError(limit: 5) { ... on Runs { results { runId status
    eventConnection { events { __typename
      ... on ExecutionStepFailureEvent { error { message } }
      ... on RunFailureEvent { message } } } } } } }
"""


def dagster_story(dagster: DagsterServer) -> str:
    """The code location's load state and the last runs' failures, for the message."""
    answer = httpx.post(f"{dagster.url}/graphql", json={"query": _STORY}, timeout=30)
    return "\nDagster: " + answer.text[-6000:]


def failed_logs(airflow: AirflowServer, dag_id: str, run_id: str) -> str:
    """The logs of the run's failed tasks, for the assertion message."""
    path = f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances"
    logs = []
    for ti in airflow.api.json("GET", path)["task_instances"]:
        if ti["state"] != "success":
            log = airflow.api.request(
                "GET", f"{path}/{ti['task_id']}/logs/1", params={"full_content": "true"}
            )
            logs.append(f"{ti['task_id']} ({ti['state']}): {log.text[-4000:]}")
    return "\n".join(logs)


def proxy(airflow: AirflowServer, dag_id: str, task_id: str, on: bool, proxied: int) -> None:
    state_dir = str(airflow.dags_folder / "proxied_state")
    airlift("proxy", "on" if on else "off", dag_id, task_id, "--dir", state_dir)
    tag = f"airlift:proxied_tasks={proxied}"
    airflow.wait_for_dag_tags(dag_id, lambda tags: tag in tags, 180)


@pytest.fixture
def project(airflow: AirflowServer, tmp_path: Path) -> Path:
    (tmp_path / "airlift.yaml").write_text(airlift_yaml(airflow))
    airflow.wait_for_dag("generate_e2e_bash")
    airflow.wait_for_dag("generate_e2e_taskflow")
    assert "generate_e2e_bash.hello: written" in generate(tmp_path, airflow, "generate_e2e_bash")
    generate(tmp_path, airflow, "generate_e2e_taskflow")
    (tmp_path / "definitions.py").write_text(DEFINITIONS.replace("{instance}", INSTANCE))
    return tmp_path


@pytest.mark.timeout(1500)  # a Dagster start, four flips and four DAG runs on a 2-core machine
def test_generated_bash_and_taskflow_assets_run_proxied_with_the_same_xcoms(
    airflow: AirflowServer, project: Path, dagster_server_factory: Any
) -> None:
    config = (project / "airlift.yaml").read_text()
    assert 'code: "airlift_generated.generate_e2e_bash__hello:generate_e2e_bash__hello"' in config
    assert "# the e2e Airflow" in config
    dagster: DagsterServer = dagster_server_factory(
        project / "definitions.py", daemon=False, cwd=project
    )
    point_at_dagster(airflow, dagster.url, INSTANCE)
    set_state(
        airflow,
        "generate_e2e_bash",
        "tasks:\n  - id: hello\n    proxied: false\n  - id: check\n    proxied: false\n",
        "airlift:proxied_tasks=0",
    )
    set_state(
        airflow,
        "generate_e2e_taskflow",
        "tasks:\n  - id: extract\n    proxied: false\n  - id: transform\n    proxied: false\n"
        "  - id: load\n    proxied: false\n",
        "airlift:proxied_tasks=0",
    )

    # Bash: proxied, the downstream task gets the last output line from Dagster.
    proxy(airflow, "generate_e2e_bash", "hello", True, 1)
    proxied = run(airflow, dagster, "generate_e2e_bash", {"who": "e2e"})
    assert records(airflow, proxied) == {"check": f"run={proxied} who=e2e task=hello"}
    # TaskFlow: transform reads extract's XCom from Airflow, load gets its output.
    proxy(airflow, "generate_e2e_taskflow", "transform", True, 1)
    proxied_flow = run(airflow, dagster, "generate_e2e_taskflow")
    assert records(airflow, proxied_flow) == {"load": "1236.70"}

    # Back to Airflow's own operators: the same XComs.
    proxy(airflow, "generate_e2e_bash", "hello", False, 0)
    own = run(airflow, dagster, "generate_e2e_bash", {"who": "e2e"})
    assert records(airflow, own) == {"check": f"run={own} who=e2e task=hello"}
    proxy(airflow, "generate_e2e_taskflow", "transform", False, 0)
    own_flow = run(airflow, dagster, "generate_e2e_taskflow")
    assert records(airflow, own_flow) == {"load": "1236.70"}

    materialized = {
        run["tags"]["airlift/airflow_run_id"]
        for run in _dagster_runs(dagster)
        if run["status"] == "SUCCESS"
    }
    assert {proxied, proxied_flow} <= materialized
    assert not {own, own_flow} & materialized


def _dagster_runs(dagster: DagsterServer) -> list[dict[str, Any]]:
    from airlift_component.dagster_api import DagsterClient

    client = DagsterClient(dagster.url)
    found = []
    for run_tag in ("generate_e2e_bash", "generate_e2e_taskflow"):
        for run in client.find_runs({"airlift/airflow_dag_id": run_tag}):
            found.append({"status": run.status, "tags": run.tags})
    return found
