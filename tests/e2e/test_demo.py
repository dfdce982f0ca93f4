"""The one-command demo, end to end: real Airflow 3, real Dagster, the whole loop.

The demo runs as a user runs it (``scripts/demo``), without a browser. Once it
prints its ``DEMO_SUMMARY`` line the servers are still up, so the test checks
the claims in the summary against Dagster itself over GraphQL, then stops the
demo with SIGTERM and checks that it exits cleanly and frees its ports.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SUMMARY_PREFIX = "DEMO_SUMMARY "

# One worker runs the whole module, so the module-scoped demo starts once (xdist).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800), pytest.mark.xdist_group("demo")]

_MATERIALIZATIONS = """
query ($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    ... on Asset {
      assetMaterializations(limit: 50) {
        runId
        metadataEntries { label ... on TextMetadataEntry { text } }
      }
    }
  }
}
"""

_RUN = """
query ($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status tags { key value } assetSelection { path } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _nothing_listens(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def _processes_mentioning(text: str) -> list[str]:
    """Live processes whose command line or environment mention ``text``.

    Airflow renames its processes ("airflow scheduler -- ..."), but their
    environment still holds AIRFLOW_HOME under the demo's work dir.
    """
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if text.encode() in cmdline + environ and proc.name != str(os.getpid()):
            found.append(cmdline.replace(b"\0", b" ").decode(errors="replace"))
    return found


def _graphql(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables}, timeout=30
    )
    response.raise_for_status()
    body = response.json()
    assert not body.get("errors"), body["errors"]
    return dict(body["data"])


def _materializations(url: str, key: str) -> list[dict[str, Any]]:
    data = _graphql(url, _MATERIALIZATIONS, {"path": key.split("/")})["assetOrError"]
    return [
        {
            "run_id": event["runId"],
            "airflow_run_id": next(
                (e.get("text") for e in event["metadataEntries"] if e["label"] == "airflow/run_id"),
                None,
            ),
        }
        for event in data.get("assetMaterializations", [])
    ]


@pytest.fixture(scope="module")
def running_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run scripts/demo until it has proven the loop; yield its summary while it still runs."""
    work = tmp_path_factory.mktemp("demo")
    ports = {"airflow": _free_port(), "dagster": _free_port()}
    log = (work / "demo.log").open("w+")
    process = subprocess.Popen(
        [
            str(ROOT / "scripts" / "demo"),
            "--skip-setup",
            "--no-browser",
            "--airflow-port",
            str(ports["airflow"]),
            "--dagster-port",
            str(ports["dagster"]),
            "--work-dir",
            str(work / "work"),
            "--step-timeout",
            "600",  # CI machines are busy; a healthy run needs seconds per step
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    summary: dict[str, Any] | None = None
    deadline = time.monotonic() + 1500
    try:
        while summary is None:
            log.seek(0)
            for line in log.read().splitlines():
                if line.startswith(SUMMARY_PREFIX):
                    summary = json.loads(line[len(SUMMARY_PREFIX) :])
            if summary is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"demo ended without a summary:\n{log.read()[-6000:]}")
                time.sleep(1)
        yield {
            "summary": summary,
            "process": process,
            "log": log,
            "ports": ports,
            "work": str(work / "work"),
        }
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_demo_proves_the_loop_in_its_summary(running_demo: dict[str, Any]) -> None:
    summary = running_demo["summary"]
    assert summary["ok"] is True, summary
    assert set(summary["airflow_runs"]) == {"customers_etl", "regional_sales", "daily_report"}
    # every mapped asset of the three DAGs, plus the three DAG assets, recorded once per run
    assert len(summary["observed"]) == 16
    assert set(summary["observed"].values()) == {1}
    proxied = summary["proxied"]
    assert proxied["status"] == "SUCCESS"
    assert proxied["asset"] == "staging/customers_clean"
    assert proxied["assets"] == ["staging/customers_clean"]


def test_dagster_holds_the_observed_and_the_proxied_materializations(
    running_demo: dict[str, Any],
) -> None:
    summary = running_demo["summary"]
    url = summary["dagster_url"]
    first_etl_run = summary["airflow_runs"]["customers_etl"]
    observed_from = {
        "raw/customers": "customers_etl",
        "staging/customers_clean": "customers_etl",
        "warehouse/customers": "customers_etl",
        "sales/latam": "regional_sales",
        "reports/latest": "daily_report",
        "local/dag/daily_report": "daily_report",
    }
    for key, dag in observed_from.items():
        run_id = summary["airflow_runs"][dag]
        observed = [m for m in _materializations(url, key) if m["airflow_run_id"] == run_id]
        assert len(observed) == 1, (key, observed)

    proxied = summary["proxied"]
    run = _graphql(url, _RUN, {"runId": proxied["dagster_run_id"]})["runOrError"]
    assert run["__typename"] == "Run"
    assert run["status"] == "SUCCESS"
    tags = {tag["key"]: tag["value"] for tag in run["tags"]}
    assert tags["airlift/airflow_dag_id"] == "customers_etl"
    assert tags["airlift/airflow_task_id"] == "transform.clean"
    assert tags["airlift/airflow_run_id"] == proxied["airflow_run_id"]
    assert [sel["path"] for sel in run["assetSelection"]] == [["staging", "customers_clean"]]

    clean = _materializations(url, "staging/customers_clean")
    assert [m for m in clean if m["run_id"] == proxied["dagster_run_id"]]
    # the proxied task ran in Dagster, so the sensor did not also record it from Airflow
    assert not [m for m in clean if m["airflow_run_id"] == proxied["airflow_run_id"]]
    assert first_etl_run != proxied["airflow_run_id"]
    enriched = _materializations(url, "staging/customers_enriched")
    assert [m for m in enriched if m["airflow_run_id"] == proxied["airflow_run_id"]]


def test_dg_list_defs_shows_the_dag_and_mapped_assets(running_demo: dict[str, Any]) -> None:
    work = Path(running_demo["work"])
    passwords = json.loads((work / "airflow-home/simple_auth_manager_passwords.json").read_text())
    env = {
        **os.environ,
        "AIRFLOW_URL": running_demo["summary"]["airflow_url"],
        "AIRFLOW_USERNAME": "admin",
        "AIRFLOW_PASSWORD": passwords["admin"],
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dg"), "list", "defs", "--json"],
        cwd=work / "example_project" / "dagster",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    listed = json.loads(result.stdout)
    assets = {asset["asset_key"]: asset for asset in listed["assets"]}
    assert {
        f"local/dag/{dag}" for dag in ("customers_etl", "regional_sales", "daily_report")
    } <= set(assets)
    assert len(assets) == 16  # 3 DAG assets + 13 mapped task assets
    assert assets["staging/customers_clean"]["is_executable"] is True
    assert assets["raw/customers"]["is_executable"] is False
    assert assets["local/dag/customers_etl"]["kinds"] == ["airflow", "dag"]
    assert "airlift_local_sensor" in json.dumps(listed["sensors"])


def test_sigterm_stops_every_process_and_frees_the_ports(running_demo: dict[str, Any]) -> None:
    process: subprocess.Popen[str] = running_demo["process"]
    assert process.poll() is None, "the demo should keep running until stopped"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 0
    log = running_demo["log"]
    log.seek(0)
    assert "stopped Airflow and Dagster" in log.read()
    for port in running_demo["ports"].values():
        assert _nothing_listens(port), f"something still listens on {port} after the demo stopped"
    assert _processes_mentioning(running_demo["work"]) == []


def test_a_taken_port_fails_fast_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "devtools.demo",
                "--headless",
                "--airflow-port",
                str(port),
                "--work-dir",
                str(tmp_path / "work"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--airflow-port" in result.stderr
    assert not (tmp_path / "work").exists(), "nothing may start when a port is taken"


def test_a_folder_the_demo_did_not_make_is_never_wiped(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "devtools.demo",
            "--headless",
            "--work-dir",
            str(precious),
            "--airflow-port",
            str(_free_port()),
            "--dagster-port",
            str(_free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "is not empty and was not made by the demo" in result.stdout
    assert (precious / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in precious.iterdir()) == ["notes.txt"]
