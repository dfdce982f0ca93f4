"""Airflow DAG-file parse overhead of proxying: 100 DAG files x 20 tasks, ours vs theirs.

Three copies of the same DAG folder: plain, ending with our
``airflow_side.proxying_to_dagster(...)`` and ending with dagster-airlift's
``dagster_airlift.in_airflow.proxying_to_dagster(...)``; every DAG has a
proxied-state file with half of its tasks proxied. Each copy is parsed by
Airflow 2.10.5's ``DagBag`` in a fresh process (ours: ``.venv-airflow2``;
theirs: the throwaway venv with Airflow 2.10.5 + ``dagster-airlift[in-airflow]``);
the overhead is the time over the plain copy in the same venv (best of 2; theirs: 1 run).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import venvs
from measures import Measure, Row

HERE = Path(__file__).resolve().parent
DAGS = 100
TASKS = 20
#: Best of this many fresh processes (theirs takes about a minute per parse: one run).
RUNS = {"plain": 2, "ours": 2, "theirs": 1}

_DAG = """\
from datetime import datetime
from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG("{dag_id}", start_date=datetime(2026, 1, 1), schedule=None, catchup=False) as dag:
    tasks = [EmptyOperator(task_id=f"task_{{j:02d}}") for j in range({tasks})]
    for upstream, downstream in zip(tasks, tasks[1:]):
        upstream >> downstream
"""

_TAIL = {
    "plain": "",
    "ours": (
        "\nfrom pathlib import Path\n"
        "from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster\n"
        "proxying_to_dagster(global_vars=globals(), "
        "proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / 'proxied_state'))\n"
    ),
    "theirs": (
        "\nfrom pathlib import Path\n"
        "from dagster_airlift.in_airflow import load_proxied_state_from_yaml, proxying_to_dagster\n"
        "proxying_to_dagster(global_vars=globals(), "
        "proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / 'proxied_state'))\n"
    ),
}


def write_folder(folder: Path, variant: str, dags: int) -> None:
    state_dir = folder / "proxied_state"
    state_dir.mkdir(parents=True)
    for i in range(dags):
        dag_id = f"parse_{i:03d}"
        (folder / f"{dag_id}.py").write_text(
            _DAG.format(dag_id=dag_id, tasks=TASKS) + _TAIL[variant], encoding="utf-8"
        )
        tasks = "".join(
            f"  - id: task_{j:02d}\n    proxied: {'true' if j < TASKS // 2 else 'false'}\n"
            for j in range(TASKS)
        )
        (state_dir / f"{dag_id}.yaml").write_text("tasks:\n" + tasks, encoding="utf-8")


def parse(python: str, work: Path, variant: str) -> dict[str, float]:
    one, every = work / f"{variant}_one", work / f"{variant}_all"
    if not every.exists():
        write_folder(one, variant, 1)
        write_folder(every, variant, DAGS)
    home = work / "airflow_home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "600",
        "DAGSTER_URL": "http://127.0.0.1:1",
        "PYTHONWARNINGS": "ignore",
    }
    best: dict[str, float] = {}
    for _ in range(RUNS[variant]):
        result = subprocess.run(
            [python, str(HERE / "parse_driver.py"), str(one), str(every)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise RuntimeError(f"parse driver failed ({variant}):\n{result.stderr[-3000:]}")
        out: dict[str, Any] = json.loads(lines[-1])
        if out["errors"] or out["dags"] != DAGS:
            raise RuntimeError(f"{variant}: {out['dags']} DAGs, errors:\n{out['error_text']}")
        for key in ("first_file", "all_files"):
            best[key] = min(best.get(key, float("inf")), out[key])
        best["tasks"] = out["tasks"]
    return best


def run(work: Path, theirs_airflow_py: str) -> list[Row]:
    work = work / "parse"
    work.mkdir()
    ours_py = venvs.python(venvs.OUR_AIRFLOW2)
    ours_plain, ours = parse(ours_py, work, "plain"), parse(ours_py, work, "ours")
    theirs_plain, theirs = (
        parse(theirs_airflow_py, work, "plain"),
        parse(theirs_airflow_py, work, "theirs"),
    )
    rows = []
    for key, label in (("all_files", f"{DAGS} files"), ("first_file", "first file, fresh process")):
        o = Measure(max(0.0, ours[key] - ours_plain[key]))
        t = Measure(max(0.0, theirs[key] - theirs_plain[key]))
        note = f"plain: ours venv {ours_plain[key]:.3f} s, theirs venv {theirs_plain[key]:.3f} s"
        rows.append(Row(f"DAG parse overhead, {label} x {TASKS} tasks", o, t, note))
    return rows
