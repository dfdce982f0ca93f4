"""`airlift generate` in the real loop: Airflow 2 and 3, a real Dagster webserver.

``tests/e2e/dags/generate_e2e_dags.py`` has a Bash task (``hello``) and a
TaskFlow task (``transform``, reading ``extract``'s XCom); the test writes a third
DAG file, :data:`SQL_DAG`, whose ``SQLExecuteQueryOperator`` (``write``) runs on a
SQLite file. The test maps the three in an ``airlift.yaml``, generates their assets
with the command, serves them from a Dagster project (tagged as the component tags
``code:`` assets; the SQL connection given to Dagster as ``AIRFLOW_CONN_<ID>``),
proxies each task with ``airlift proxy on``, runs the DAGs, and checks that the
downstream Airflow tasks received the same XComs as in runs of Airflow's own
operators after ``airlift proxy off`` (SQL included: both environments have
Airflow's SQLite provider, which ``scripts/setup`` installs). Throughout, the
component's sensor ticks on the Dagster instance the proxies launch into: every
try of a mapped task is recorded once, by the Dagster run a proxy launched or else
by the sensor.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import dagster as dg
import httpx
import pytest
import yaml

from devtools.local_stack import AirflowServer, DagsterServer
from tests.e2e.proxy_support import INSTANCE, airlift, point_at_dagster, set_state

DEFINITIONS = """\
import dagster as dg

from airlift_component.mapping_tags import mapping_metadata, mapping_tags
from airlift_generated.generate_e2e_bash__hello import generate_e2e_bash__hello
from airlift_generated.generate_e2e_taskflow__transform import generate_e2e_taskflow__transform
from airlift_generated.generate_e2e_sql__write import generate_e2e_sql__write


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
        mapped(generate_e2e_sql__write, "generate_e2e_sql", "write"),
    ],
    # Runs execute in their run worker: this test is about the generated code, not
    # the executor (a step process costs 5-8 CPU s on the CI machine).
    executor=dg.in_process_executor,
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
      - dag: generate_e2e_sql
        tasks:
          - task: write
            assets: [generate_e2e/visits]
"""


#: Mapped (DAG, task) → asset key, for the sensor's own airlift.yaml.
MAPPED = {
    ("generate_e2e_bash", "hello"): "generate_e2e/hello",
    ("generate_e2e_taskflow", "transform"): "generate_e2e/transform",
    ("generate_e2e_sql", "write"): "generate_e2e/visits",
}
CONN_ID = "generate_e2e_db"

SQL_DAG = """\
import json
from datetime import datetime, timedelta
from pathlib import Path

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

try:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:
    from airflow.models import DAG
    from airflow.operators.python import PythonOperator

OUT = Path(__file__).resolve().parent.parent / "proxy_out"


def record(step, airflow_run, value):
    OUT.mkdir(parents=True, exist_ok=True)
    line = {"dag": "generate_e2e_sql", "step": step, "run_id": airflow_run, "value": value}
    with (OUT / "airflow.jsonl").open("a") as handle:
        handle.write(json.dumps(line) + "\\n")


with DAG(
    "generate_e2e_sql",
    start_date=datetime(2024, 1, 1),
    schedule=None,
    catchup=False,
    params={"who": "nobody"},
    default_args={"retries": 1, "retry_delay": timedelta(seconds=2)},
) as sql_dag:
    write = SQLExecuteQueryOperator(
        task_id="write",
        conn_id="generate_e2e_db",
        sql=[
            "CREATE TABLE IF NOT EXISTS visits (run_id TEXT, who TEXT)",
            "INSERT INTO visits VALUES ('{{ run_id }}', :who)",
            "SELECT who, COUNT(*) FROM visits WHERE run_id = '{{ run_id }}' GROUP BY who",
        ],
        parameters={"who": "{{ params.who }}"},
    )
    check = PythonOperator(
        task_id="check",
        python_callable=record,
        op_args=["check", "{{ run_id }}", "{{ ti.xcom_pull(task_ids='write') | tojson }}"],
    )
    write >> check

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
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
    airflow.write_dag_file("generate_e2e_sql.py", SQL_DAG)
    database = tmp_path / "visits.db"
    connection = {"connection_id": CONN_ID, "conn_type": "sqlite", "host": str(database)}
    airflow.api.request("DELETE", f"/connections/{CONN_ID}")
    airflow.api.json("POST", "/connections", json=connection, ok=(200, 201))
    for dag_id in ("generate_e2e_bash", "generate_e2e_taskflow", "generate_e2e_sql"):
        airflow.wait_for_dag(dag_id)
    assert "generate_e2e_bash.hello: written" in generate(tmp_path, airflow, "generate_e2e_bash")
    generate(tmp_path, airflow, "generate_e2e_taskflow")
    assert "generate_e2e_sql.write: written" in generate(tmp_path, airflow, "generate_e2e_sql")
    (tmp_path / "definitions.py").write_text(DEFINITIONS.replace("{instance}", INSTANCE))
    return tmp_path


def sqlite_uri(path: Path) -> str:
    """The URI Airflow gives the SQLite Connection above (``Connection.get_uri()``)."""
    return "sqlite://" + quote(str(path), safe="")


class Sensor:
    """The component's sensor for the mapped tasks, ticking in-process on the Dagster
    instance the proxies launch into, its events stored as the daemon stores them."""

    def __init__(self, airflow: AirflowServer, dagster: DagsterServer, folder: Path) -> None:
        from airlift_component.component import build_defs

        mappings: dict[str, list[dict[str, Any]]] = {}
        for (dag_id, task_id), key in MAPPED.items():
            mappings.setdefault(dag_id, []).append({"task": task_id, "assets": [key]})
        config = {
            "version": 1,
            "instances": [
                {
                    **airflow.instance_config(name=INSTANCE),
                    "dags": {"include": ["generate_e2e_*"]},
                    "sensor": {"lookback_hours": 1},
                    "mappings": [{"dag": d, "tasks": t} for d, t in mappings.items()],
                }
            ],
        }
        path = folder / "sensor" / "airlift.yaml"
        path.parent.mkdir()
        path.write_text(yaml.safe_dump(config))
        self.instance = dg.DagsterInstance.from_config(str(dagster.home))
        self.sensor = build_defs(path, refresh="if_missing").resolve_sensor_def(
            f"airlift_{INSTANCE}_sensor"
        )
        self.cursor: str | None = None

    def tick(self) -> None:
        result = self.sensor(dg.build_sensor_context(instance=self.instance, cursor=self.cursor))
        if isinstance(result, dg.SensorResult):
            for event in result.asset_events or []:
                self.instance.report_runless_asset_event(event)
            self.cursor = result.cursor or self.cursor

    def recorded(self) -> Counter[tuple[str, str, int]]:
        """Materializations per (Airflow run, task, try): the sensor's (with Airflow
        metadata) and the proxies' (made by a Dagster run tagged with the Airflow try)."""
        counts: Counter[tuple[str, str, int]] = Counter()
        for key in MAPPED.values():
            records = self.instance.fetch_materializations(
                dg.AssetKey(key.split("/")), limit=1000
            ).records
            for record in records:
                metadata = record.asset_materialization.metadata  # type: ignore[union-attr]
                if "airflow/run_id" in metadata:
                    counts[
                        (
                            str(metadata["airflow/run_id"].value),
                            str(metadata["airflow/task_id"].value),
                            int(metadata["airflow/try_number"].value),  # type: ignore[arg-type]
                        )
                    ] += 1
                    continue
                run = self.instance.get_run_by_id(record.run_id)
                assert run is not None, record
                tags = run.tags
                counts[
                    (
                        tags["airlift/airflow_run_id"],
                        tags["airlift/airflow_task_id"],
                        int(tags["airlift/airflow_try_number"]),
                    )
                ] += 1
        return counts


def airflow_tries(airflow: AirflowServer, run_ids: list[str]) -> Counter[tuple[str, str, int]]:
    """Every successful try of a mapped task in ``run_ids``, once each."""
    dags = sorted({dag for dag, _ in MAPPED})
    body = {"dag_ids": dags, "dag_run_ids": run_ids}
    answer = airflow.api.json("POST", "/dags/~/dagRuns/~/taskInstances/list", json=body)
    return Counter(
        (ti["dag_run_id"], ti["task_id"], int(ti["try_number"]))
        for ti in answer["task_instances"]
        if (ti["dag_id"], ti["task_id"]) in MAPPED and ti["state"] == "success"
    )


def run_all(
    airflow: AirflowServer, dagster: DagsterServer, confs: dict[str, dict[str, Any] | None]
) -> dict[str, str]:
    """Run each DAG (with its conf) to success, one after the other: {dag: run id}.
    (One at a time: on a loaded 2-core machine, Dagster runs launched at once may not
    start within the proxy's deadline.)"""
    return {dag_id: run(airflow, dagster, dag_id, conf) for dag_id, conf in confs.items()}


CONFS: dict[str, dict[str, Any] | None] = {
    "generate_e2e_bash": {"who": "e2e"},
    "generate_e2e_taskflow": None,
    "generate_e2e_sql": {"who": "e2e"},
}
#: What Airflow's own SQLExecuteQueryOperator hands ``check`` (tuples read back as
#: JSON lists by ``tojson``): the three statements' results, the last one's rows.
SQL_XCOM = '[null, null, [["e2e", 1]]]'


@pytest.mark.timeout(1500)  # a Dagster start, two rounds of flips and DAG runs on 2 cores
def test_generated_assets_run_proxied_with_the_same_xcoms_each_try_recorded_once(
    airflow: AirflowServer, project: Path, dagster_server_factory: Any
) -> None:
    config = (project / "airlift.yaml").read_text()
    assert 'code: "airlift_generated.generate_e2e_bash__hello:generate_e2e_bash__hello"' in config
    assert "# the e2e Airflow" in config
    database = project / "visits.db"
    dagster: DagsterServer = dagster_server_factory(
        project / "definitions.py",
        daemon=False,
        cwd=project,
        env={f"AIRFLOW_CONN_{CONN_ID.upper()}": sqlite_uri(database)},
    )
    point_at_dagster(airflow, dagster.url, INSTANCE)
    states = {
        "generate_e2e_bash": ["hello", "check"],
        "generate_e2e_taskflow": ["extract", "transform", "load"],
        "generate_e2e_sql": ["write", "check"],
    }
    for dag_id, tasks in states.items():
        text = "tasks:\n" + "".join(f"  - id: {t}\n    proxied: false\n" for t in tasks)
        set_state(airflow, dag_id, text, "airlift:proxied_tasks=0")
    sensor = Sensor(airflow, dagster, project)
    sensor.tick()

    # Proxied: the downstream tasks get their XComs from the generated assets.
    for dag_id, task_id in MAPPED:
        proxy(airflow, dag_id, task_id, True, 1)
    proxied = run_all(airflow, dagster, CONFS)
    sensor.tick()
    run = proxied["generate_e2e_bash"]
    assert records(airflow, run) == {"check": f"run={run} who=e2e task=hello"}
    assert records(airflow, proxied["generate_e2e_taskflow"]) == {"load": "1236.70"}
    assert records(airflow, proxied["generate_e2e_sql"]) == {"check": SQL_XCOM}

    # Back to Airflow's own operators: the same XComs.
    for dag_id, task_id in MAPPED:
        proxy(airflow, dag_id, task_id, False, 0)
    own = run_all(airflow, dagster, CONFS)
    sensor.tick()
    sensor.tick()
    run = own["generate_e2e_bash"]
    assert records(airflow, run) == {"check": f"run={run} who=e2e task=hello"}
    assert records(airflow, own["generate_e2e_taskflow"]) == {"load": "1236.70"}
    assert records(airflow, own["generate_e2e_sql"]) == {"check": SQL_XCOM}

    # The SQL side effect: one row per run, whichever side wrote it.
    with closing(sqlite3.connect(database)) as conn:
        rows = conn.execute("SELECT run_id, who FROM visits ORDER BY run_id").fetchall()
    sql_runs = [proxied["generate_e2e_sql"], own["generate_e2e_sql"]]
    assert sorted(rows) == sorted((r, "e2e") for r in sql_runs)

    # Every successful try of a mapped task recorded once, by a proxy's run or the sensor.
    run_ids = [*proxied.values(), *own.values()]
    assert sensor.recorded() == airflow_tries(airflow, run_ids)
    launched = {
        run["tags"]["airlift/airflow_run_id"]
        for run in _dagster_runs(dagster)
        if run["status"] == "SUCCESS"
    }
    assert set(proxied.values()) <= launched
    assert not set(own.values()) & launched
    sensor.instance.dispose()


def _dagster_runs(dagster: DagsterServer) -> list[dict[str, Any]]:
    from airlift_component.dagster_api import DagsterClient

    client = DagsterClient(dagster.url)
    found = []
    for run_tag in ("generate_e2e_bash", "generate_e2e_taskflow", "generate_e2e_sql"):
        for run in client.find_runs({"airlift/airflow_dag_id": run_tag}):
            found.append({"status": run.status, "tags": run.tags})
    return found
