"""Acceptance checks across a flip, on real Airflow 2.10 and 3 with a real Dagster
(webserver + daemon ticking the airlift sensor).

A user's ``@asset_check`` sits on the asset of task ``load`` of ``proxy_checks_dag``.
Airflow runs the DAG; the sensor records ``checks/loaded``; the check judges that
materialization (in the run of checks the sensor requests) and fails. ``airlift proxy on`` refuses the flip naming the check;
``--force`` flips. The next DAG run launches the Dagster version of ``load``, whose
run materializes the asset and runs the check, which passes. ``airlift proxy status``
then shows for ``load`` the failure before the flip and the pass after it.

``airlift.yaml`` also declares a freshness check on ``checks/loaded``
(``checks: [{type: freshness}]``): it is judged once in the sensor's run of checks
for the Airflow run, once more in the proxied run, and passes both times.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from airlift_component.cli.main import main as airlift_cli
from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.processes import poll_for
from tests.e2e.proxy_support import AIRLIFT, point_at_dagster, run_dag, set_state

PROJECT = Path(__file__).parent / "projects" / "checks"
DAG = "proxy_checks_dag"
INSTANCE = "chk"
KEY = dg.AssetKey(["checks", "loaded"])
CHECK = dg.AssetCheckKey(KEY, "loaded_ok")
FRESH = dg.AssetCheckKey(KEY, "freshness_check")  # declared in airlift.yaml
OFF = "tasks:\n  - id: extract\n    proxied: false\n  - id: load\n    proxied: false\n"
OFF += "  - id: report\n    proxied: false\n"
ON = OFF.replace("load\n    proxied: false", "load\n    proxied: true")

DEFS = """
import dagster as dg
from checks_e2e_assets import loaded_ok

from airlift_component.component import build_defs

# Runs execute in their run worker: this test is about the checks, not the executor.
defs = dg.Definitions.merge(
    build_defs({airlift_yaml!r}),
    dg.Definitions(asset_checks=[loaded_ok], executor=dg.in_process_executor),
)
"""


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
                                        "checks": [{"type": "freshness", "max_lag": "6h"}],
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


def _recorded(home: Path, airflow_run: str) -> bool | None:
    """Whether the sensor stored ``checks/loaded`` for ``airflow_run``."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(KEY, limit=20).records
        for record in records:
            metadata = record.asset_materialization.metadata  # type: ignore[union-attr]
            entry = metadata.get("airflow/run_id")
            if entry is not None and entry.value == airflow_run:
                return True
    return None


def _evaluations(home: Path, check: dg.AssetCheckKey = CHECK) -> list[Any]:
    """The check's finished executions, newest first, as Dagster stores them."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        history = instance.event_log_storage.get_asset_check_execution_history(check, limit=20)
        finished = [r for r in history if r.status.value in ("SUCCEEDED", "FAILED")]
        return finished


def _at_least(count: int, check: dg.AssetCheckKey, home: Path) -> list[Any] | None:
    """The check's finished executions once there are ``count`` of them (else None)."""
    found = _evaluations(home, check)
    return found if len(found) >= count else None


def _evaluated_in_run_tagged(home: Path, tag: str, value: str) -> str | None:
    """The id of a Dagster run tagged ``tag=value`` in which the check has finished."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={tag: value}))
    evaluated = {r.run_id for r in _evaluations(home)}
    return next((run.run_id for run in runs if run.run_id in evaluated), None)


def _airlift(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AIRLIFT, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.timeout(1500)  # a Dagster start with its daemon, a flip and two DAG runs, 2 cores
def test_checks_back_the_flip_and_status_shows_before_and_after(
    airflow: AirflowServer, dagster_server_factory: Any, tmp_path: Path
) -> None:
    airflow.wait_for_dag(DAG)
    config = _airlift_yaml(airflow, tmp_path / "airlift.yaml")
    defs = tmp_path / "defs.py"
    defs.write_text(DEFS.format(airlift_yaml=str(config)))
    verdict = tmp_path / "verdict"
    verdict.write_text("fail")
    assert airlift_cli(["refresh", "--config", str(config)]) == 0
    server: DagsterServer = dagster_server_factory(
        defs,
        env={"CHECKS_E2E_VERDICT": str(verdict), "PYTHONPATH": str(PROJECT)},
        daemon=True,
    )
    point_at_dagster(airflow, server.url, INSTANCE)
    set_state(airflow, DAG, OFF, "airlift:proxied_tasks=0")
    where = ["--config", str(config), "--dagster-url", server.url]
    try:
        # Before: Airflow runs load; the sensor records it; the check judges it and fails.
        before_run, state = run_dag(airflow, DAG)
        assert state == "success"
        poll_for(lambda: _recorded(server.home, before_run), timeout=240, what="the sensor")
        # The sensor requests a run of the checks on what it recorded from Airflow.
        check_run = poll_for(
            lambda: _evaluated_in_run_tagged(server.home, "airlift/checks_for_run_id", before_run),
            timeout=240,
            what="the sensor's run of the check on what Airflow produced",
        )
        (failed,) = _evaluations(server.home)  # once per Airflow run
        assert (failed.run_id, failed.status.value) == (check_run, "FAILED")
        # The declared freshness check is judged in the same run of checks, once.
        (fresh,) = poll_for(
            lambda: _at_least(1, FRESH, server.home), timeout=120, what="the freshness check"
        )
        assert (fresh.run_id, fresh.status.value) == (check_run, "SUCCEEDED")

        refused = _airlift("proxy", "on", DAG, "load", *where)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "refused: 1 of 2 acceptance check(s) do not back this flip" in refused.stderr
        assert "checks/loaded:loaded_ok (task load): FAILED" in refused.stderr
        assert (airflow.dags_folder / "proxied_state" / f"{DAG}.yaml").read_text() == OFF

        forced = _airlift("proxy", "on", DAG, "load", *where, "--force")
        assert forced.returncode == 0, forced.stderr
        assert "warning: 1 of 2 acceptance check(s) do not back this flip" in forced.stderr
        assert "task 'load': proxied false -> true" in forced.stdout
        airflow.wait_for_dag_tags(DAG, lambda tags: "airlift:proxied_tasks=1" in tags, 180)

        # After: the proxied load runs in Dagster, and the same check runs in its run.
        verdict.write_text("pass")
        after_run, state = run_dag(airflow, DAG)
        assert state == "success"
        proxy_run = poll_for(
            lambda: _evaluated_in_run_tagged(server.home, "airlift/airflow_run_id", after_run),
            timeout=240,
            what="the check in the proxied run",
        )
        passed, again = _evaluations(server.home)  # once more, in the proxied run
        assert (passed.run_id, passed.status.value) == (proxy_run, "SUCCEEDED")
        assert again.run_id == failed.run_id
        fresh_after, fresh_before = poll_for(
            lambda: _at_least(2, FRESH, server.home),
            timeout=120,
            what="the freshness check in the proxied run",
        )
        assert (fresh_after.run_id, fresh_after.status.value) == (proxy_run, "SUCCEEDED")
        assert fresh_before.run_id == check_run

        shown = _airlift("proxy", "status", *where, "--format", "json")
        assert shown.returncode == 0, shown.stderr
        (instance_status,) = json.loads(shown.stdout)["instances"]
        rows = {row["check"]: row for row in instance_status["checks"]["rows"]}
        assert sorted(rows) == ["checks/loaded:freshness_check", "checks/loaded:loaded_ok"]
        for row in rows.values():
            assert (row["dag_id"], row["task_id"], row["proxied"]) == (DAG, "load", True)
        row = rows["checks/loaded:loaded_ok"]
        assert (row["before"]["status"], row["before"]["run_id"]) == ("FAILED", check_run)
        assert (row["after"]["status"], row["after"]["run_id"]) == ("SUCCEEDED", proxy_run)
        row = rows["checks/loaded:freshness_check"]
        assert (row["before"]["status"], row["before"]["run_id"]) == ("SUCCEEDED", check_run)
        assert (row["after"]["status"], row["after"]["run_id"]) == ("SUCCEEDED", proxy_run)

        text = _airlift("proxy", "status", *where)
        assert text.returncode == 0, text.stderr
        (line,) = [ln for ln in text.stdout.splitlines() if "checks/loaded:loaded_ok" in ln]
        assert line.split()[:5] == [DAG, "load", "yes", "checks/loaded:loaded_ok", "FAILED"]
        assert line.split()[8] == "passed"
    finally:
        set_state(airflow, DAG, OFF, "airlift:proxied_tasks=0")
