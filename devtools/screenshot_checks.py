"""Screenshots of an asset's acceptance-check history across a flip, for the docs.

A docs artifact, not a test (CI never runs it)::

    .venv/bin/python -m devtools.screenshot_checks            # writes docs/images/checks-*.png
    .venv/bin/python -m devtools.screenshot_checks --keep     # leave the servers' folder behind

It starts a real Airflow 3 and a real Dagster (webserver + daemon) on loopback,
with the DAG and Dagster code of ``tests/e2e/test_proxy_checks_e2e.py``: task
``load`` of ``proxy_checks_dag`` maps ``checks/loaded``, which carries the user
check ``loaded_ok`` (its verdict is a file this script writes). Two Airflow runs
before the flip (the check passes, then fails), ``airlift proxy on --force``,
then two proxied runs (it passes). The sensor runs the check on each
materialization it records from Airflow; the proxied runs run it themselves. Then
headless Chromium (Debian's ``chromium``: ``apt-get install -y chromium``)
photographs the check's page in Dagster's UI, the asset's events, and the page
``airlift proxy status --format html`` writes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import dagster as dg
import yaml

from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.processes import poll_for

ROOT = Path(__file__).resolve().parents[1]
E2E = ROOT / "tests" / "e2e"
DAG = "proxy_checks_dag"
INSTANCE = "chk"
KEY = dg.AssetKey(["checks", "loaded"])
CHECK = dg.AssetCheckKey(KEY, "loaded_ok")
AIRLIFT = [sys.executable, "-m", "airlift_component"]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
DEFS = """
import dagster as dg
from checks_e2e_assets import loaded_ok

from airlift_component.component import build_defs

defs = dg.Definitions.merge(build_defs({airlift_yaml!r}), dg.Definitions(asset_checks=[loaded_ok]))
"""


def _say(message: str) -> None:
    print(f"[screenshot_checks] {message}", flush=True)


def _dags(folder: Path) -> Path:
    dags = folder / "dags"
    (dags / "proxied_state").mkdir(parents=True)
    for name in ("proxy_checks_dag.py", "proxy_e2e_tasks.py"):
        shutil.copy(E2E / "dags" / name, dags / name)
    state = E2E / "dags" / "proxied_state" / f"{DAG}.yaml"
    shutil.copy(state, dags / "proxied_state" / state.name)
    return dags


def _airlift_yaml(airflow: AirflowServer, path: Path) -> Path:
    config = {
        "version": 1,
        "instances": [
            {
                **airflow.instance_config(name=INSTANCE),
                "dags": {"include": [DAG]},
                "sensor": {"interval_seconds": 5, "lookback_hours": 1},
                "proxied_state_dir": str(airflow.dags_folder / "proxied_state"),
                "mappings": [
                    {
                        "dag": DAG,
                        "tasks": [
                            {"task": "extract", "assets": ["checks/raw"]},
                            {
                                "task": "load",
                                "assets": [
                                    {
                                        "key": "checks/loaded",
                                        "code": "checks_e2e_assets:checks_loaded",
                                    }
                                ],
                            },
                            {"task": "report", "assets": ["checks/report"]},
                        ],
                    }
                ],
            }
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def _airlift(*args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*AIRLIFT, *args], capture_output=True, text=True, timeout=120)
    _say(f"airlift {' '.join(args[:3])} ... -> exit {done.returncode}")
    for line in (done.stdout + done.stderr).splitlines():
        print(f"    {line}")
    return done


def _evaluated_runs(home: Path) -> set[str]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        history = instance.event_log_storage.get_asset_check_execution_history(CHECK, limit=100)
        return {r.run_id for r in history if r.status.value in ("SUCCEEDED", "FAILED")}


def _recorded(home: Path, airflow_run: str) -> bool | None:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for record in instance.fetch_materializations(KEY, limit=50).records:
            entry = record.asset_materialization.metadata.get("airflow/run_id")  # type: ignore[union-attr]
            if entry is not None and entry.value == airflow_run:
                return True
    return None


def _airflow_run(airflow: AirflowServer, dagster: DagsterServer, proxied: bool) -> None:
    """One DAG run, and the check evaluated on what it produced."""
    seen = _evaluated_runs(dagster.home)
    run_id = airflow.trigger(DAG)
    assert airflow.wait_for_run(DAG, run_id, timeout=600) == "success", run_id
    _say(f"Airflow run {run_id}: success ({'load proxied' if proxied else 'all in Airflow'})")

    def new_evaluation() -> bool | None:
        return True if _evaluated_runs(dagster.home) - seen else None

    if not proxied:
        poll_for(lambda: _recorded(dagster.home, run_id), timeout=240, what="the sensor")
    # Before the flip the sensor requests a run of the checks on what it recorded;
    # after it, the proxied task's Dagster run runs them.
    poll_for(new_evaluation, timeout=240, what="the check's evaluation")


def _shoot(url: str, target: Path, profile: Path, wait_ms: int = 20000) -> None:
    """Photograph ``url`` with headless Chromium (a fresh profile each time)."""
    browser = shutil.which("chromium") or "/usr/bin/chromium"
    subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tempfile.mkdtemp(dir=profile)}",
            f"--virtual-time-budget={wait_ms}",
            f"--screenshot={target}",
            "--window-size=1400,900",
            url,
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    _say(f"wrote {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--keep", action="store_true", help="keep the servers' folder")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="airlift-screenshots-"))
    airflow = AirflowServer(3, home=work / "airflow-home", dags_folder=_dags(work))
    verdict = work / "verdict"
    config = _airlift_yaml(airflow, work / "airlift.yaml")
    defs = work / "defs.py"
    defs.write_text(DEFS.format(airlift_yaml=str(config)))
    dagster = DagsterServer(
        work / "dagster-home",
        ["-f", str(defs)],
        env={"CHECKS_E2E_VERDICT": str(verdict), "PYTHONPATH": str(E2E / "projects" / "checks")},
        daemon=True,
    )
    try:
        _say(f"starting Airflow 3 and Dagster under {work}")
        airflow.start()
        airflow.wait_for_dag(DAG, timeout=180)
        assert _airlift("refresh", "--config", str(config)).returncode == 0
        dagster.start()
        connection = {
            "connection_id": "dagster_default",
            "conn_type": "http",
            "host": dagster.url,
            "extra": json.dumps({"instance": INSTANCE}),
        }
        airflow.api.json("POST", "/connections", json=connection, ok=(200, 201))
        where = ["--config", str(config), "--dagster-url", dagster.url]
        for outcome in ("pass", "fail"):
            verdict.write_text(outcome)
            _airflow_run(airflow, dagster, proxied=False)
        _airlift("proxy", "on", DAG, "load", *where)  # refused: the latest check failed
        assert _airlift("proxy", "on", DAG, "load", *where, "--force").returncode == 0
        airflow.wait_for_dag_tags(DAG, lambda tags: "airlift:proxied_tasks=1" in tags, 180)
        verdict.write_text("pass")
        for _ in range(2):
            _airflow_run(airflow, dagster, proxied=True)
        _airlift("proxy", "status", *where)
        status_html = work / "status.html"
        _airlift("proxy", "status", *where, "--format", "html", "--output", str(status_html))
        args.out.mkdir(parents=True, exist_ok=True)
        profiles = work / "chromium"
        profiles.mkdir()
        path = "/".join(KEY.path)
        _shoot(
            f"{dagster.url}/assets/{path}?view=checks&checkDetail={CHECK.name}",
            args.out / "checks-history-across-flip.png",
            profiles,
        )
        _shoot(
            f"{dagster.url}/assets/{path}?view=events",
            args.out / "checks-asset-events-across-flip.png",
            profiles,
        )
        _shoot(status_html.as_uri(), args.out / "checks-proxy-status.png", profiles, 2000)
        return 0
    finally:
        dagster.stop()
        airflow.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            _say(f"kept {work}")


if __name__ == "__main__":
    sys.exit(main())
