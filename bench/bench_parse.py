"""DAG-file parse time with and without ``proxying_to_dagster``: 100 DAGs x 20 tasks.

Writes the DAG files (a chain of 20 tasks each, 5 of them proxied, plus a
proxied-state file per DAG) to a temporary folder and imports every file the
way Airflow's parser does (``importlib`` from the path), in a fresh interpreter
per variant with Airflow already imported. Prints milliseconds per DAG on
Airflow 3 (this venv) and Airflow 2 (``.venv-airflow2``, when present)::

    .venv/bin/python bench/bench_parse.py [--dags 100] [--tasks 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

DAG_TEMPLATE = """
from datetime import datetime
from pathlib import Path
try:
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator
except ImportError:
    from airflow.models import DAG
    from airflow.operators.empty import EmptyOperator
{proxy_import}
with DAG("{dag_id}", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    tasks = [EmptyOperator(task_id=f"task_{{i}}", retries=1) for i in range({tasks})]
    for up, down in zip(tasks, tasks[1:]):
        up >> down
{proxy_call}
"""

PROXY_IMPORT = "from airflow_side import load_proxied_state_from_yaml, proxying_to_dagster"
PROXY_CALL = (
    "proxying_to_dagster(global_vars=globals(), "
    'proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"))'
)

MEASURE = r"""
import importlib.util, json, sys, time
from pathlib import Path
import airflow_side  # imports Airflow too: not part of the per-file cost
files = sorted(Path(sys.argv[1]).glob("*.py"))
start = time.perf_counter()
for path in files:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
elapsed = time.perf_counter() - start
print(json.dumps({"files": len(files), "seconds": elapsed}))
"""


def write_variant(folder: Path, *, dags: int, tasks: int, proxied: bool) -> None:
    folder.mkdir(parents=True)
    state_dir = folder / "proxied_state"
    state_dir.mkdir()
    for index in range(dags):
        dag_id = f"bench_{index:03d}"
        text = DAG_TEMPLATE.format(
            dag_id=dag_id,
            tasks=tasks,
            proxy_import=PROXY_IMPORT if proxied else "",
            proxy_call=PROXY_CALL if proxied else "",
        )
        (folder / f"{dag_id}.py").write_text(text)
        entries = "".join(
            f"  - id: task_{i}\n    proxied: {'true' if i % 4 == 0 else 'false'}\n"
            for i in range(tasks)
        )
        (state_dir / f"{dag_id}.yaml").write_text(f"tasks:\n{entries}")


def measure(python: Path, folder: Path, home: Path) -> float:
    env = {**os.environ, "AIRFLOW_HOME": str(home), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [str(python), "-c", MEASURE, str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=True,
    )
    last = [line for line in done.stdout.splitlines() if line.startswith("{")][-1]
    return float(json.loads(last)["seconds"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dags", type=int, default=100)
    parser.add_argument("--tasks", type=int, default=20)
    args = parser.parse_args()
    pythons = {"airflow3": Path(sys.executable)}
    airflow2 = ROOT / ".venv-airflow2" / "bin" / "python"
    if airflow2.exists():
        pythons["airflow2"] = airflow2
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        write_variant(base / "plain", dags=args.dags, tasks=args.tasks, proxied=False)
        write_variant(base / "proxied", dags=args.dags, tasks=args.tasks, proxied=True)
        print(f"{args.dags} DAG files x {args.tasks} tasks (every 4th task proxied)")
        for label, python in pythons.items():
            plain = measure(python, base / "plain", base / "home") * 1000 / args.dags
            proxied = measure(python, base / "proxied", base / "home") * 1000 / args.dags
            print(
                f"{label}: plain {plain:7.2f} ms/DAG   with proxying_to_dagster "
                f"{proxied:7.2f} ms/DAG   (+{proxied - plain:.2f} ms, x{proxied / plain:.2f})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
