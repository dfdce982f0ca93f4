"""Benchmark `airlift validate` and CLI start-up (prints a table; not a test).

Generates, in a temporary folder, 1,000 proxied-state files and an airlift.yaml
with 1,000 DAGs x 10 mapped tasks whose ``proxied_state_dir`` points at them (so
the cross-file checks run too), then times each shape, ``RUNS`` runs after a
warm-up, in four cache states (``config/validation/verdict_cache.py`` and
``summary_cache.py``):

- cold: the user's cache folder empty before every run (the run checks in full and
  remembers the pass and the ``airlift.yaml``'s summary: what the first run after
  an install, or after ``airlift.yaml`` changed, costs);
- edited: one proxied-state file every shape reads (``dag_0000.yaml``) has a flag
  flipped before every run (the pass cannot be reused, the ``airlift.yaml``'s
  summary can: what a commit that flips ``proxied`` flags costs);
- warm: the pass remembered (what pre-commit costs while nothing changed);
- off: ``--no-cache`` (checks in full, remembers nothing).

Shapes:

- ``airlift validate <folder>``      target < 0.5 s
- ``airlift validate <every file>``  the same files named one by one
- ``airlift validate <state files>`` the pre-commit shape when a commit touches only
  proxied-state files: the ``airlift.yaml`` naming their folder is found and read
- ``airlift validate <one file>``    one proxied-state file, the same way
- ``airlift --help``                 target < 0.15 s

The best and the median wall time and the best and the median CPU time (user +
sys) are printed. ``PYTHONPATH=<tree>`` measures another checkout of the package
with the same project. ``--only cold,warm`` measures only those cache states.

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

With the verdict cache (7 Dec 2026, ``ead41bd``, load 22-28, CPU medians of 5): cold
``validate .`` 0.78 s (0.82 s with ``--no-cache``: recording what the run read costs
less than the noise), warm 0.15 s; the 1,000 named proxied-state files 0.90 s cold,
0.26 s warm (each named file's search for its ``airlift.yaml`` is checked again; the
work tree is walked once); one file 0.62 s cold, 0.10 s warm. BENCHMARKS.md has the
table.

With the ``airlift.yaml`` summaries (``summary_cache.py``; 7 Dec 2026, load 6 on 2
cores, CPU medians of 5, the tree at ``2c6e066`` measured by this script in the same
hour with ``PYTHONPATH``): edited ``validate .`` 0.76 s -> 0.38 s, ``<state files>``
1.05 s -> 0.65 s, ``<one file>`` 0.64 s -> 0.24 s; cold ``validate .`` 0.76 s -> 0.72 s
(unchanged but for the real paths); warm 0.15 s -> 0.14 s.

With the searches for a named proxied-state file's ``airlift.yaml`` worked out once
per folder (``targets.SearchRoots``; 7 Dec 2026, load 5, CPU medians of 5): the
``<state files>`` rows cold 0.87 s -> 0.73 s, edited 0.65 s -> 0.39 s, warm 0.23 s ->
0.16 s; ``validate .`` cold 0.70 s, edited 0.33 s, warm 0.11 s; ``<one file>`` edited
0.20 s (the usual pre-commit run: a commit that flips one DAG's flags).

Where cold ``validate .`` (0.67 s CPU) spends it after these (7 Dec 2026, in process,
the phases of one run, load ~5): interpreter and ``cli.main`` 0.04 s; importing the
proxied-state reader (``config/proxied_state/file.py``: pydantic, its two models,
PyYAML) 0.10 s; importing the ``airlift.yaml`` models 0.10 s; parsing the 1.9 MB
``airlift.yaml`` from libyaml's events 0.20 s; its model and rules 0.085 s; the 1,000
proxied-state files 0.07 s; cross-file rules 0.02 s; the XCom warnings 0.02 s;
remembering the pass and the summary 0.02 s. Under 0.5 s needs work in the readers
themselves (``config/yaml``, ``config/airlift_yaml``): what validation does around
them is under 0.1 s. An edited run skips the ``airlift.yaml`` models and parse; its
largest part left is the proxied-state reader's import, which a plain-Python path for
the usual valid file (pydantic only to word a problem) would remove.

Issue 22 (7 Dec 2026, load 2-8 on 2 cores, CPU medians of 5, ``2b691e9`` measured
in alternated rounds with ``PYTHONPATH``): ``airlift.yaml`` read line by line
(``config/yaml/block.py``: 0.20 s -> 0.08 s in process), the usual valid
proxied-state file read without pydantic (``proxied_state/file.py``), real paths
logged only where they decide anything. Cold ``validate .`` 0.70 s -> 0.52 s (0.50
to 0.62 over four rounds), ``<state files>`` 0.74 -> 0.62, ``<one file>`` 0.57 ->
0.43; edited ``validate .`` 0.33 -> 0.23, ``<one file>`` 0.22 -> 0.12; warm 0.12 ->
0.11. Where cold ``validate .`` (about 0.5 s) spends it now (in process, the phases
of one run, load ~3): interpreter and ``cli.main`` 0.04 s; importing validation, the
verdict cache, PyYAML and the readers 0.045 s; importing pydantic and the
``airlift.yaml`` models 0.13 s; reading ``airlift.yaml`` 0.085 s; its model and rules
0.075 s; the 1,000 proxied-state files 0.07 s (0.03 s of it their shallow parse);
cross-file rules 0.02 s; the XCom warnings 0.015 s (finding where the stored state
would be imports ``airflow_state.state_file``); the summary and the pass 0.01 s.
What is left over 0.5 s is the models' import and validation (``config/airlift_yaml``).

Issue 22, its last row (7 Dec 2026, load 1.5-2 on 2 cores, CPU medians of 5, two
rounds of every state alternated with ``b156908`` through ``PYTHONPATH``): an
``airlift.yaml`` the models would pass as it is is judged without pydantic
(``config/airlift_yaml/usual.py``, about 0.04 s for the 10,000 mappings), a run of
one command imports only its module (``cli/main.py``), and finding where the stored
Airflow state would be imports no state model (``airflow_state/state_location.py``).
Cold ``validate .`` 0.50 -> 0.31 s, ``<every file>`` 0.50 -> 0.32, ``<state files>``
0.56 -> 0.36, ``<one file>`` 0.42 -> 0.23; edited ``validate .`` 0.19 -> 0.17; warm
0.10 -> 0.08. Where cold ``validate .`` (0.31 s) spends it now (in process, the
collector paused as the command pauses it, load ~2): interpreter and ``cli.main``
0.04 s; importing validation, the verdict cache and the readers 0.055 s; reading
``airlift.yaml`` 0.085 s; the usual check and the rules on the file as written 0.05
s; the 1,000 proxied-state files and the cross-file rules 0.07 s; the summary, the
pass and the warnings 0.01 s. pydantic is not imported at all.

Run: ``.venv/bin/python bench/bench_validate.py``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DAGS = 1000
TASKS = 10
RUNS = 5
TARGETS = {"validate .": 0.5, "--help": 0.15}
STATES = ("cold", "edited", "warm", "off")
#: Set by the benchmark itself, or would change what is measured.
NOT_INHERITED = ("PYTHONDONTWRITEBYTECODE", "XDG_CACHE_HOME", "AIRLIFT_VALIDATE_CACHE")


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
    command: list[str], cwd: Path, expect: int, env: dict[str, str], before: Callable[[], None]
) -> tuple[float, float, float, float]:
    """Best and median wall time and best and median CPU time (user + sys) of RUNS
    runs, each after ``before()``, after one warm-up run (which also writes bytecode).
    CPU time shows the cost when the machine is shared and wall time is inflated by
    waiting for a core."""
    before()
    subprocess.run(command, cwd=cwd, capture_output=True, env=env)
    walls, cpus = [], []
    for _ in range(RUNS):
        before()
        start_usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - start_usage.ru_utime) + (after.ru_stime - start_usage.ru_stime)
        if result.returncode != expect:
            raise SystemExit(
                f"{command} exited {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        walls.append(wall)
        cpus.append(cpu)
    return min(walls), statistics.median(walls), min(cpus), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(STATES), help="cache states, comma-separated")
    states = [state for state in parser.parse_args().only.split(",") if state]
    airlift = [sys.executable, "-m", "airlift_component"]
    with tempfile.TemporaryDirectory(prefix="airlift-bench-") as tmp:
        root = Path(tmp) / "project"
        write_project(root)
        cache = Path(tmp) / "user-cache"
        # Measure what an installed package does: with bytecode (pip writes it at install
        # time). It is kept in the temp folder, whatever PYTHONDONTWRITEBYTECODE says.
        env = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        env["XDG_CACHE_HOME"] = str(cache)
        size = (root / "dagster" / "airlift.yaml").stat().st_size
        summary = subprocess.run(
            [*airlift, "validate", "."], cwd=root, capture_output=True, text=True, env=env
        ).stdout.strip()
        files = sorted(str(p.relative_to(root)) for p in root.glob("airflow/proxied_state/*"))
        shapes = {
            "validate .": ["validate", "."],
            "validate <every file>": ["validate", "dagster/airlift.yaml", *files],
            "validate <state files>": ["validate", *files],
            "validate <one file>": ["validate", files[0]],
        }

        def empty() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        def keep() -> None:
            pass

        edited = root / files[0]
        flips = iter(range(1_000_000))

        def edit() -> None:
            """Flip task_0's flag of the first file: mapped with assets, so it passes."""
            flag = "True" if next(flips) % 2 else "False"
            text = edited.read_text(encoding="utf-8")
            head, rest = text.split("\n    proxied: ", 1)
            edited.write_text(f"{head}\n    proxied: {flag}\n{rest.split(chr(10), 1)[1]}")

        results = {}
        for state in states:
            for name, args in shapes.items():
                extra = ["--no-cache"] if state == "off" else []
                before = {"cold": empty, "edited": edit}.get(state, keep)
                results[f"{name} ({state})"] = best_of(
                    [*airlift, *args, *extra], root, 0, env, before
                )
        results["--help"] = best_of([*airlift, "--help"], root, 0, env, keep)
    print(
        f"airlift.yaml: {DAGS} DAGs x {TASKS} tasks ({size / 1e6:.1f} MB); {DAGS} proxied-state files"
    )
    print(f"validate says: {summary}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'command':<32}{'best':>9}{'median':>9}{'cpu':>9}{'cpu med':>9}{'target':>9}  cpu med ok"
    )
    for name, (wall, median, cpu, cpu_median) in results.items():
        target = TARGETS.get(name.split(" (")[0])
        ok = "" if target is None else ("yes" if cpu_median < target else "NO")
        shown = f"{target:>8.2f}s" if target is not None else f"{'-':>9}"
        print(f"{name:<32}{wall:>8.3f}s{median:>8.3f}s{cpu:>8.3f}s{cpu_median:>8.3f}s{shown}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
