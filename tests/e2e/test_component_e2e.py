"""The component end to end: dagster-webserver + dagster-daemon running the sensor against
a real Airflow 3, and `dg list defs` / `dg check yaml` on a dg project that uses the component."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from airlift_component.cli.main import main as airlift_cli
from devtools.local_stack import AirflowServer
from devtools.local_stack.processes import poll_for
from tests.e2e.test_sensor_e2e import CHAIN, CHAIN_KEYS, RUN_TIMEOUT, _airlift_yaml

PROJECT = Path(__file__).parent / "projects" / "observe"
BIN = Path(sys.executable).parent

MATERIALIZATIONS = """
query Materializations($key: AssetKeyInput!) {
  assetOrError(assetKey: $key) {
    ... on Asset {
      assetMaterializations(limit: 500) {
        timestamp
        metadataEntries { label ... on TextMetadataEntry { text } }
      }
    }
  }
}
"""

TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { ticks(limit: 20) { timestamp status } } }
  }
}
"""


def _run_ids(server: Any, key: str) -> list[str]:
    data = server.graphql(MATERIALIZATIONS, {"key": {"path": key.split("/")}})
    asset = data["assetOrError"]
    ids = []
    for event in asset.get("assetMaterializations") or []:
        for entry in event["metadataEntries"]:
            if entry["label"] == "airflow/run_id":
                ids.append(entry["text"])
    return ids


def _ticks(server: Any, location: str) -> list[dict[str, Any]]:
    selector = {
        "repositoryLocationName": location,
        "repositoryName": "__repository__",
        "sensorName": "airlift_obs_sensor",
    }
    data = server.graphql(TICKS, {"selector": selector})["sensorOrError"]
    return list(data["sensorState"]["ticks"]) if data["__typename"] == "Sensor" else []


def test_daemon_records_a_triggered_airflow_run_once(
    airflow3: AirflowServer, dagster_server_factory: Any, tmp_path: Path
) -> None:
    airflow3.wait_for_dag(CHAIN)
    config = _airlift_yaml(airflow3)
    config["instances"][0]["sensor"] = {"interval_seconds": 5}
    (tmp_path / "airlift.yaml").write_text(yaml.safe_dump(config))
    code = tmp_path / "airlift_defs.py"
    code.write_text(
        "from airlift_component.component import build_defs\n\n"
        f"defs = build_defs({str(tmp_path / 'airlift.yaml')!r})\n"
    )
    # As in a deployment: the state is refreshed before Dagster loads the code.
    assert airlift_cli(["refresh", "--config", str(tmp_path / "airlift.yaml")]) == 0
    server = dagster_server_factory(str(code), daemon=True)
    location = server.locations()[0]["name"]

    run_id = airflow3.trigger(CHAIN)
    assert airflow3.wait_for_run(CHAIN, run_id, timeout=RUN_TIMEOUT) == "success"

    def recorded() -> list[str] | None:
        ids = _run_ids(server, "obs/dag/observe_chain")
        return ids if run_id in ids else None

    poll_for(
        recorded,
        timeout=180,
        what=f"the daemon's sensor to record {run_id}",
        interval=1.0,
        transient=(httpx.ReadTimeout,),
    )
    for key in CHAIN_KEYS:
        assert _run_ids(server, key).count(run_id) == 1, key

    seen_at = max(float(t["timestamp"]) for t in _ticks(server, location))

    def later_tick() -> bool | None:
        return (
            True if any(float(t["timestamp"]) > seen_at for t in _ticks(server, location)) else None
        )

    poll_for(
        later_tick,
        timeout=120,
        what="one more sensor tick",
        interval=1.0,
        transient=(httpx.ReadTimeout,),
    )
    for key in CHAIN_KEYS:
        assert _run_ids(server, key).count(run_id) == 1, key


def _dg(args: list[str], airflow: AirflowServer, project: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(project / "src"),
        "VIRTUAL_ENV": str(BIN.parent),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_URL": airflow.url,
        "AIRFLOW_USER": airflow.username,
        "AIRFLOW_PASSWORD": airflow.password,
    }
    return subprocess.run(
        [str(BIN / "dg"), *args], cwd=project, env=env, capture_output=True, text=True, timeout=300
    )


def test_dg_lists_dag_and_mapped_assets_of_the_project(
    airflow3: AirflowServer, tmp_path: Path
) -> None:
    airflow3.wait_for_dag(CHAIN)
    project = tmp_path / "observe"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    checked = _dg(["check", "yaml"], airflow3, project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # dg refreshes the state in development (refresh_if_dev), into the defs folder.
    listed = _dg(["list", "defs", "--json"], airflow3, project)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    for name in [
        "obs/dag/observe_chain",
        "obs/dag/observe_failing",
        "observe/clean",
        "observe/raw",
    ]:
        assert name in listed.stdout, name
    assert "airlift_obs_sensor" in listed.stdout
    defs = project / "src" / "observe_project" / "defs"
    (state,) = (defs / ".local_defs_state").glob("*/state")
    assert (
        state.parent.name == "AirliftComponent__src__observe_project__defs__airflow__airlift.yaml__"
    )
    assert '"obs"' in state.read_text()
