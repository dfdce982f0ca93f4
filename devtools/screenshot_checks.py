"""Screenshots of an asset's acceptance-check history across a flip, for the docs.

A docs artifact, not a test (CI never runs it)::

    .venv/bin/python -m devtools.screenshot_checks            # writes docs/images/checks-*.png
    .venv/bin/python -m devtools.screenshot_checks --keep     # leave the servers' folder behind
    .venv/bin/python -m devtools.screenshot_checks --from /tmp/airlift-screenshots-XXXX  # re-shoot

It starts a real Airflow 3 and a real Dagster (webserver + daemon) on loopback,
with the DAG and Dagster code of ``tests/e2e/test_proxy_checks_e2e.py``: task
``load`` of ``proxy_checks_dag`` maps ``checks/loaded``, which carries the user
check ``loaded_ok`` (its verdict is a file this script writes). Two Airflow runs
before the flip (the check passes, then fails), ``airlift proxy on --force``,
then two proxied runs (it passes). The sensor runs the check on each
materialization it records from Airflow; the proxied runs run it themselves. Then
headless Chromium (Debian's ``chromium``: ``apt-get install -y chromium``, see
:mod:`devtools.headless_chromium`) photographs the check's execution history in
Dagster's UI, the asset's events, and the page ``airlift proxy status --format
html`` writes.
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


def _photograph(work: Path, out: Path) -> None:
    """Start Dagster alone on ``work``'s storage and photograph the pages."""
    from devtools.headless_chromium import screenshot, screenshot_after_click

    dagster = _dagster(work, daemon=False)
    try:
        dagster.start()
        out.mkdir(parents=True, exist_ok=True)
        page = f"{dagster.url}/assets/{'/'.join(KEY.path)}"
        history = out / "checks-history-across-flip.png"
        screenshot_after_click(
            f"{page}?view=checks&checkDetail={CHECK.name}",
            history,
            click="Execution history",
            then_text="Failed",
        )
        _say(f"wrote {history}")
        events = out / "checks-asset-events-across-flip.png"
        screenshot(f"{page}?view=events", events)
        _say(f"wrote {events}")
    finally:
        dagster.stop()
    status = out / "checks-proxy-status.png"
    screenshot((work / "status.html").as_uri(), status, wait_ms=2000)
    _say(f"wrote {status}")


def _dagster(work: Path, *, daemon: bool) -> DagsterServer:
    return DagsterServer(
        work / "dagster-home",
        ["-f", str(work / "defs.py")],
        env={
            "CHECKS_E2E_VERDICT": str(work / "verdict"),
            "PYTHONPATH": str(E2E / "projects" / "checks"),
        },
        daemon=daemon,
    )


def _produce(work: Path) -> None:
    """Airflow 3 and Dagster (with its daemon) through two runs, a flip and two runs."""
    airflow = AirflowServer(3, home=work / "airflow-home", dags_folder=_dags(work))
    verdict = work / "verdict"
    config = work / "airlift.yaml"  # written once Airflow has its port
    (work / "defs.py").write_text(DEFS.format(airlift_yaml=str(config)))
    dagster = _dagster(work, daemon=True)
    try:
        _say(f"starting Airflow 3 and Dagster under {work}")
        airflow.start()
        airflow.wait_for_dag(DAG, timeout=180)
        _airlift_yaml(airflow, config)
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
        status_html = str(work / "status.html")
        _airlift("proxy", "status", *where, "--format", "html", "--output", status_html)
    finally:
        dagster.stop()
        airflow.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--keep", action="store_true", help="keep the servers' folder")
    parser.add_argument(
        "--from",
        dest="reuse",
        type=Path,
        metavar="FOLDER",
        help="photograph a folder a --keep run left (no Airflow, no new runs)",
    )
    args = parser.parse_args(argv)
    work = args.reuse or Path(tempfile.mkdtemp(prefix="airlift-screenshots-"))
    try:
        if args.reuse is None:
            _produce(work)
        _photograph(work, args.out)
        return 0
    finally:
        if args.keep or args.reuse is not None:
            _say(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
