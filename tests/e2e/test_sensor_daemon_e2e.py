"""Exactly once per task try with the real Dagster daemon ticking the sensor, across a
stop and restart of Dagster (webserver and daemon), on real Airflow 2.10 and 3.

While Dagster is down a new run finishes and a task of a recorded run is
cleared and re-runs; after the restart the daemon's sensor catches up from its
stored cursor. Counted per (run, task, try) against Airflow's task instances:
nothing lost, nothing twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from airlift_component.cli.main import main as airlift_cli
from devtools.local_stack import AirflowServer
from devtools.local_stack.processes import poll_for
from tests.e2e.exactly_once_support import (
    DAG,
    DAG_KEY,
    RUN_TIMEOUT,
    TryKey,
    airflow_tries,
    airlift_config,
    clear_task,
    recorded_runs,
    recorded_tries,
)


def _successes(airflow: AirflowServer, runs: list[str]) -> set[TryKey]:
    return {key for key, state in airflow_tries(airflow, runs).items() if state == "success"}


def _wait_recorded(home: Path, wanted: set[TryKey], what: str) -> None:
    def done() -> bool | None:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            return True if wanted <= set(recorded_tries(instance)) else None

    poll_for(done, timeout=240, what=what, interval=1.0)


def test_daemon_stopped_and_restarted_records_each_try_once(
    airflow: AirflowServer, dagster_server_factory: Any, tmp_path: Path
) -> None:
    airflow.wait_for_dag(DAG)
    (tmp_path / "airlift.yaml").write_text(yaml.safe_dump(airlift_config(airflow, interval=5)))
    code = tmp_path / "eo_defs.py"
    code.write_text(
        "from airlift_component.component import build_defs\n\n"
        f"defs = build_defs({str(tmp_path / 'airlift.yaml')!r})\n"
    )
    # As in a deployment: the state is refreshed before Dagster loads the code.
    assert airlift_cli(["refresh", "--config", str(tmp_path / "airlift.yaml")]) == 0
    server = dagster_server_factory(str(code), daemon=True)

    first = airflow.trigger(DAG)
    assert airflow.wait_for_run(DAG, first, timeout=RUN_TIMEOUT) == "success"
    seen_first = _successes(airflow, [first])
    _wait_recorded(server.home, seen_first, f"the daemon to record {first}")

    server.stop()  # webserver, daemon and code server
    second = airflow.trigger(DAG)
    clear_task(airflow, first, "load")
    assert airflow.wait_for_run(DAG, second, timeout=RUN_TIMEOUT) == "success"
    assert airflow.wait_for_run(DAG, first, timeout=RUN_TIMEOUT) == "success"
    server.start()

    expected = seen_first | _successes(airflow, [first, second])
    assert (first, "load", 2) in expected or any(
        k[:2] == (first, "load") and k[2] >= 2 for k in expected
    )
    _wait_recorded(server.home, expected, "the restarted daemon to catch up")

    with dg.DagsterInstance.from_config(str(server.home)) as instance:
        counts = recorded_tries(instance)
        completions = recorded_runs(instance, DAG_KEY)
    mine = {key: n for key, n in counts.items() if key[0] in (first, second)}
    assert {k: n for k, n in mine.items() if n != 1} == {}, "recorded twice"
    assert set(mine) == expected
    assert sum(n for (run, _), n in completions.items() if run == first) == 2
    assert sum(n for (run, _), n in completions.items() if run == second) == 1
