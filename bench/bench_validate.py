"""Benchmark `airlift validate` and CLI start-up (prints a table; not a test).

Generates, in a temporary folder, 1,000 proxied-state files and an airlift.yaml
with 1,000 DAGs x 10 mapped tasks whose ``proxied_state_dir`` points at them (so
the cross-file checks run too), then times, best of 3 runs each:

- ``airlift validate <folder>``      target < 0.5 s wall
- ``airlift validate <every file>``  the same files named one by one
- ``airlift validate <state files>`` the pre-commit shape when a commit touches only
  proxied-state files: the ``airlift.yaml`` naming their folder is found and read
- ``airlift validate <one file>``    one proxied-state file, the same way
- ``airlift --help``                 target < 0.15 s wall

Each is run ``RUNS`` times after a warm-up; the best and the median wall time and
the best CPU time (user + sys) are printed. ``PYTHONPATH=<tree>`` measures another
checkout of the package with the same project.

Reading the proxied-state files in a forked child (``config/background.py``)
was measured with this project on 2 cores (``taskset -c 0,1``, 29 Nov 2026, 9
alternated runs each, a shared machine): forked best 2.60 s / median 3.25 s
wall, 1.02 s CPU; serial best 2.40 s / median 2.98 s wall, 0.95 s CPU. In
process, the 1,000 state files cost 0.20 s CPU of ~0.7 s, so the fork could
save at most ~0.2 s with an idle second core and cost more than that when the
cores are shared (as in CI). It did not pay for itself and was removed.

Where ``validate .`` spends its CPU (7 Dec 2026, in process, one run each, a machine
at load ~25 on 2 cores, so every figure is inflated alike): interpreter and
``cli.main`` 0.06 s; the imports of the checking path 0.18 s (pydantic and the
``airlift.yaml`` models most of it); reading the 1.9 MB ``airlift.yaml`` 0.21 s, of
which libyaml's 220,000 events alone take 0.175 s; its model and rules 0.09 s; the
1,000 proxied-state files 0.07 s (0.13 s before they were read by ``config/yaml/
shallow.py``); cross-file rules 0.03 s; the XCom hints 0.01 s. Fresh processes,
``validate .``, 12 alternated runs: CPU median 0.856 s at 9b08fe5, 0.740 s after.
What is left over 0.5 s is the ``airlift.yaml`` read, its models' import and
validation, which only a verdict remembered outside the user's tree could skip.

Run: ``.venv/bin/python bench/bench_validate.py``
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAGS = 1000
TASKS = 10
RUNS = 5
TARGETS = {"validate .": 0.5, "--help": 0.15}


def write_project(root: Path) -> None:
    """airlift.yaml (DAGS x TASKS mappings) and one proxied-state file per DAG."""
    state_dir = root / "airflow" / "proxied_state"
    state_dir.mkdir(parents=True)
    lines = [
        "version: 1",
        "instances:",
        "  - name: bench",
        "    url: https://airflow.example.com",
        "    auth: {type: basic, username: admin, password: '${AIRFLOW_PASSWORD}'}",
        "    proxied_state_dir: ../airflow/proxied_state",
        "    mappings:",
    ]
    for d in range(DAGS):
        lines += [
            f"      - dag: dag_{d:04d}",
            f"        assets: [dag_{d:04d}/report]",
            "        tasks:",
        ]
        for t in range(TASKS):
            lines += [
                f"          - task: task_{t}",
                "            assets:",
                f"              - key: dag_{d:04d}/task_{t}",
                f"                deps: [dag_{d:04d}/task_{t - 1}]"
                if t
                else "                deps: []",
                "                group: bench",
                "                kinds: [python]",
            ]
        tasks = "".join(
            f"  - id: task_{t}\n    proxied: {'True' if t < d % TASKS else 'False'}\n"
            for t in range(TASKS)
        )
        (state_dir / f"dag_{d:04d}.yaml").write_text("tasks:\n" + tasks, encoding="utf-8")
    (root / "dagster").mkdir()
    (root / "dagster" / "airlift.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def best_of(
    command: list[str], cwd: Path, expect: int, env: dict[str, str]
) -> tuple[float, float, float]:
    """Best wall time, median wall time and best CPU time (user + sys) of RUNS runs,
    after one warm-up run (which also writes bytecode). CPU time shows the cost when
    the machine is shared and wall time is inflated by waiting for a core."""
    subprocess.run(command, cwd=cwd, capture_output=True, env=env)
    best_wall = best_cpu = float("inf")
    walls = []
    for _ in range(RUNS):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if result.returncode != expect:
            raise SystemExit(
                f"{command} exited {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        best_wall, best_cpu = min(best_wall, wall), min(best_cpu, cpu)
        walls.append(wall)
    return best_wall, statistics.median(walls), best_cpu


def main() -> int:
    airlift = [sys.executable, "-m", "airlift_component"]
    with tempfile.TemporaryDirectory(prefix="airlift-bench-") as tmp:
        root = Path(tmp) / "project"
        write_project(root)
        # Measure what an installed package does: with bytecode (pip writes it at install
        # time). It is kept in the temp folder, whatever PYTHONDONTWRITEBYTECODE says.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        size = (root / "dagster" / "airlift.yaml").stat().st_size
        summary = subprocess.run(
            [*airlift, "validate", "."], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        states = sorted(str(p.relative_to(root)) for p in root.glob("airflow/proxied_state/*"))
        every = ["dagster/airlift.yaml", *states]
        commands = {
            "validate .": ["validate", "."],
            "validate <every file>": ["validate", *every],
            "validate <state files>": ["validate", *states],
            "validate <one file>": ["validate", states[0]],
            "--help": ["--help"],
        }
        results = {
            name: best_of([*airlift, *args], root, 0, env) for name, args in commands.items()
        }
    print(
        f"airlift.yaml: {DAGS} DAGs x {TASKS} tasks ({size / 1e6:.1f} MB); {DAGS} proxied-state files"
    )
    print(f"validate says: {summary}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'command':<24}{'best':>9}{'median':>9}{'cpu':>9}{'target':>9}  best ok")
    for name, (wall, median, cpu) in results.items():
        target = TARGETS.get(name)
        ok = "" if target is None else ("yes" if wall < target else "NO")
        shown = f"{target:>8.2f}s" if target is not None else f"{'-':>9}"
        print(f"{name:<24}{wall:>8.3f}s{median:>8.3f}s{cpu:>8.3f}s{shown}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
