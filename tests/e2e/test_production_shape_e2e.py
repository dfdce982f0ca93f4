"""The production shape, on this machine: separate Dagster processes, runs started as containers.

``dagster code-server start`` (gRPC), ``dagster-webserver`` and ``dagster-daemon``
run as separate processes; the defs state lives in VERSIONED_STATE_STORAGE on
moto's S3 server on 127.0.0.1; each run is launched by
:class:`~devtools.local_stack.fresh_copy_launcher.FreshCopyRunLauncher` in a fresh
copy of the project with no state on disk. Airflow 3 is real. Run workers reach
Airflow only through a counting proxy of their own, which must see no request.

The story: refresh (``dg utils refresh-defs-state``) → ``airlift reload`` → the
DAG assets appear; trigger the DAG, whose ``load`` task is proxied → a run
starts and holds; Airflow gains a DAG → refresh (the code server still serves
the first version: a run started now loads that version, not the newest) →
reload → the new DAG's asset appears; the held runs are released and succeed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml

from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.airflow_env import clean_base_environment
from devtools.local_stack.code_server import CodeServer
from devtools.local_stack.counting_proxy import CountingProxy
from devtools.local_stack.processes import poll_for
from devtools.local_stack.s3_server import S3Server
from tests.e2e.proxy_support import point_at_dagster

REPO = Path(__file__).resolve().parents[2]
PROJECT = Path(__file__).parent / "projects" / "prodshape"
LOCATION = "prodshape"
DAG, NEW_DAG = "prodshape_dag", "prodshape_new"
RUN_TIMEOUT = 300

DAG_SOURCE = f'''"""E2E (production shape): load >> report, extract beside them; load is proxied.

load has no upstream, so a triggered run reaches the proxied task at once.
"""

from pathlib import Path

from proxy_e2e_tasks import manual_dag, recording_task

from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster

with manual_dag("{DAG}") as dag:
    recording_task(dag.dag_id, "extract")
    load = recording_task(dag.dag_id, "load")
    report = recording_task(dag.dag_id, "report")
    load >> report

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
'''
NEW_DAG_SOURCE = f'''"""E2E (production shape): an Airflow DAG added while the code location runs.

(Airflow's safe mode parses only files that mention both "airflow" and "dag".)
"""

from proxy_e2e_tasks import manual_dag, recording_task

with manual_dag("{NEW_DAG}") as dag:
    recording_task(dag.dag_id, "only")
'''
PROXIED = "tasks:\n  - id: extract\n    proxied: false\n  - id: load\n    proxied: true\n" \
    "  - id: report\n    proxied: false\n"  # fmt: skip

ASSET_KEYS = "{ assetNodes { assetKey { path } } }"
RUN_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"


class Stack:
    """The processes of one production-shape deployment, and what the test watches."""

    def __init__(self, airflow: AirflowServer, tmp: Path, stack: ExitStack) -> None:
        self.phases: list[tuple[str, float]] = []
        self._clock = time.monotonic()
        self.airflow = airflow
        self.project = tmp / "project"  # what the image would hold
        shutil.copytree(PROJECT, self.project, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        self.out = tmp / "out"
        self.out.mkdir()
        self.runs = tmp / "runs"
        self.s3 = stack.enter_context(S3Server(tmp / "s3"))
        self.server_proxy = stack.enter_context(CountingProxy(airflow.url))
        self.worker_proxy = stack.enter_context(CountingProxy(airflow.url))
        self.home = tmp / "dagster-home"
        self.env = {
            "DAGSTER_HOME": str(self.home),
            "PYTHONPATH": os.pathsep.join([str(self.project / "src"), str(REPO)]),
            "AIRFLOW_URL": self.server_proxy.url,
            "AIRFLOW_USER": airflow.username,
            "AIRFLOW_PASSWORD": airflow.password,
        }
        instance = {
            "defs_state_storage": {
                "module": "dagster._core.storage.defs_state.blob_storage_state_storage",
                "class": "UPathDefsStateStorage",
                "config": {
                    "base_path": f"s3://{self.s3.bucket}/defs-state",
                    "storage_options": self.s3.storage_options(),
                },
            },
            "run_launcher": {
                "module": "devtools.local_stack.fresh_copy_launcher",
                "class": "FreshCopyRunLauncher",
                "config": {
                    "project": str(self.project),
                    "work_root": str(self.runs),
                    "env": {
                        "AIRFLOW_URL": self.worker_proxy.url,
                        "PRODSHAPE_OUT": str(self.out),
                        "PYTHONPATH_EXTRA": str(REPO),
                    },
                },
            },
        }
        workspace = tmp / "workspace.yaml"
        self.dagster = DagsterServer(
            self.home,
            ["-w", str(workspace)],
            env=self.env,
            daemon=True,
            extra_instance_yaml=yaml.safe_dump(instance),
        )
        self.dagster.write_instance_yaml()
        self.code = CodeServer(
            "prodshape_project.definitions", LOCATION, home=self.home, env=self.env, cwd=self.home
        )
        self.code.start()
        stack.callback(self.code.stop)
        workspace.write_text(self.code.workspace_yaml())
        self.dagster.start()
        stack.callback(self.dagster.stop)
        self.phase("S3 + code server + webserver + daemon started")

    def phase(self, name: str) -> None:
        """Record how long the step took (printed at the end; ``pytest -s`` shows it)."""
        now = time.monotonic()
        self.phases.append((name, now - self._clock))
        self._clock = now

    def refresh(self) -> None:
        env = {**clean_base_environment(Path(sys.executable)), **self.env}
        done = subprocess.run(
            [str(Path(sys.executable).parent / "dg"), "utils", "refresh-defs-state"],
            cwd=self.project, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        self.phase("dg utils refresh-defs-state")

    def reload(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "airlift_component", "reload", "--location", LOCATION,
             "--dagster-url", self.dagster.url],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        self.phase("airlift reload")

    def asset_keys(self) -> set[str]:
        nodes = self.dagster.graphql(ASSET_KEYS)["assetNodes"]
        return {"/".join(node["assetKey"]["path"]) for node in nodes}

    def started(self, count: int) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            found = [json.loads(p.read_text()) for p in self.out.glob("*.started.json")]
            return found if len(found) >= count else None

        return poll_for(enough, timeout=RUN_TIMEOUT, what=f"{count} held Dagster run(s)")

    def dagster_status(self, run_id: str) -> str | None:
        status = self.dagster.graphql(RUN_STATUS, {"id": run_id})["runOrError"].get("status")
        return str(status) if status in ("SUCCESS", "FAILURE", "CANCELED") else None


@pytest.fixture
def stack(airflow3: AirflowServer, tmp_path: Path) -> Iterator[Stack]:
    airflow3.write_dag_file(f"proxied_state/{DAG}.yaml", PROXIED)
    airflow3.write_dag_file(f"{DAG}.py", DAG_SOURCE)
    with ExitStack() as exits:
        yield Stack(airflow3, tmp_path, exits)


def test_refresh_reload_proxied_runs_and_a_new_dag_without_worker_rest_calls(
    stack: Stack,
) -> None:
    airflow = stack.airflow
    # No state yet: the location loads the mapped assets only.
    assert f"{LOCATION}/dag/{DAG}" in stack.asset_keys()  # mapped DAG, from airlift.yaml
    airflow.wait_for_dag_tags(DAG, lambda tags: "airlift:proxied_tasks=1" in tags, timeout=120)
    stack.refresh()
    stack.reload()
    assert len(stack.s3.list_keys()) == 1
    point_at_dagster(airflow, stack.dagster.url, LOCATION)

    first = airflow.trigger(DAG)
    (held,) = stack.started(1)
    stack.phase("Airflow run to the proxied task's Dagster run in flight")
    airflow.write_dag_file(f"{NEW_DAG}.py", NEW_DAG_SOURCE)
    airflow.wait_for_dag(NEW_DAG)
    stack.phase("new DAG parsed by Airflow")
    stack.refresh()
    assert len(stack.s3.list_keys()) == 2
    # Refreshed but not reloaded: a run started now loads the code server's version.
    second = airflow.trigger(DAG)
    before_reload = next(r for r in stack.started(2) if r["run_id"] != held["run_id"])
    stack.phase("second Airflow run to its Dagster run in flight")
    stack.reload()
    poll_for(
        lambda: True if f"{LOCATION}/dag/{NEW_DAG}" in stack.asset_keys() else None,
        timeout=60,
        what="the new DAG's asset after the reload",
    )
    stack.phase("new DAG's asset visible")
    (stack.out / "release").touch()

    for run_id in (first, second):
        assert airflow.wait_for_run(DAG, run_id, timeout=RUN_TIMEOUT) == "success"
    for record in (held, before_reload):
        status = poll_for(
            lambda r=record: stack.dagster_status(r["run_id"]),  # type: ignore[misc]
            timeout=RUN_TIMEOUT,
            what=f"Dagster run {record['run_id']} to finish",
        )
        assert status == "SUCCESS"
        # Each ran in its own copy of the project, from the first state version.
        assert record["module_file"].startswith(str(stack.runs / record["run_id"]))
        assert f"{LOCATION}/dag/{DAG}" in record["asset_keys"]
        assert f"{LOCATION}/dag/{NEW_DAG}" not in record["asset_keys"]
        copy = stack.runs / record["run_id"]
        assert not list(copy.rglob(".local_defs_state")), "a run worker wrote local state"
    stack.phase("both runs finished in Airflow and Dagster")
    print("\n".join(f"{seconds:7.1f} s  {name}" for name, seconds in stack.phases))
    assert stack.worker_proxy.requests == []  # 0 Airflow REST calls from run workers
    assert stack.server_proxy.requests, "the refreshes went through the server-side proxy"
