"""`airlift proxy on` warns from the state `airlift refresh` stored from a real Airflow
(2 and 3): Airflow's TaskFlow tutorial pattern (``tests/e2e/dags/proxy_taskflow_dag.py``,
extract -> transform -> load, each task taking the previous one's return value).

Only the CLI runs here, on a proxied-state folder of the test's own: the shared
Airflow's DAG is not changed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from airlift_component.airflow_state.state_file import default_state_file, read_state_file
from devtools.local_stack import AirflowServer

DAG = "proxy_taskflow_dag"
AIRLIFT = [sys.executable, "-m", "airlift_component"]


def _airlift(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*AIRLIFT, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_proxy_on_warns_when_a_taskflow_result_is_read_downstream(
    airflow: AirflowServer, tmp_path: Path
) -> None:
    airflow.wait_for_dag(DAG, timeout=120)
    tasks = [{"task": t, "assets": [f"xcom_hint/{t}"]} for t in ("extract", "transform", "load")]
    instance = {
        **airflow.instance_config(name="e2e"),
        "dags": {"include": [DAG]},
        "proxied_state_dir": "proxied_state",
        "mappings": [{"dag": DAG, "tasks": tasks}],
    }
    (tmp_path / "airlift.yaml").write_text(json.dumps({"version": 1, "instances": [instance]}))
    (tmp_path / "proxied_state").mkdir()
    flags = "".join(f"  - id: {t}\n    proxied: false\n" for t in ("extract", "transform", "load"))
    (tmp_path / "proxied_state" / f"{DAG}.yaml").write_text("tasks:\n" + flags)

    # Without a stored state there is nothing to go by, and nothing is said.
    assert _airlift(tmp_path, "proxy", "on", DAG, "load").stderr == ""

    _airlift(tmp_path, "refresh")
    stored = read_state_file(default_state_file(tmp_path / "airlift.yaml"))
    assert stored is not None
    dag = stored.instances["e2e"].dags[DAG]
    extract = dag.task("extract")
    # How the REST API of this Airflow names a TaskFlow task (v1 and v2 alike).
    assert extract is not None and extract.operator == "@task"
    assert extract.downstream_task_ids == ("transform",)

    done = _airlift(tmp_path, "proxy", "on", DAG, "extract")
    assert "Done: Airflow hands these tasks to Dagster" in done.stdout
    (warning,) = done.stderr.splitlines()
    assert warning.startswith(f"proxied_state/{DAG}.yaml:3:1: warning: task 'extract' of DAG ")
    assert "TaskFlow task (@task)" in warning
    assert "transform runs after it and may read its return value" in warning
    assert "'airlift/xcom_return_value'" in warning

    # load feeds nothing: no warning, also from validate, which warns for extract.
    assert _airlift(tmp_path, "proxy", "on", DAG, "load").stderr == ""
    report = json.loads(_airlift(tmp_path, "validate", "--format", "json").stdout)
    assert report["problems"] == []
    assert [(w["rule"], w["line"]) for w in report["warnings"]] == [("xcom-consumers", 2)]
