"""Our definitions build over Dagster's floor, alone and repeated (prints one table).

    .venv/bin/python bench/compare/floor_ratio.py                       # 1,000 and 5,000 DAGs
    .venv/bin/python bench/compare/floor_ratio.py --sizes 1000 --rounds 7
    .venv/bin/python bench/compare/floor_ratio.py --before /tmp/base   # and another commit
    .venv/bin/python bench/compare/floor_ratio.py --edited   # and after an edit of airlift.yaml


Issue 21's target is our build at most 1.25x the floor (``drive_floor.py``: Dagster
alone constructing the same ``AssetSpec``s and resolving the repository and asset
graph). ``run.py --only defs`` prints that ratio once per size, next to
dagster-airlift; this script measures only the numbers the ratio needs, in rounds:
each round runs the floor and our build from the stored state (as every code server
and run worker loads: ``drive_ours.py`` explains the modes), one fresh process each,
back to back, the order turned by one every round, so that the ratio of a round
compares processes that ran under the same load. It prints each mode's median CPU
seconds with its range and the median of the per-round ratios with their range: on
a shared machine the spread is part of the result. ``--edited`` adds the build from
the same state after an edit of ``airlift.yaml`` (read in full until the next
refresh).

``--before DIR`` measures another checkout too (a clone: ``git clone -q REPO DIR``,
with ``ln -s "$PWD/.venv" DIR/.venv``), its warm and stored builds in the same rounds
(its own drivers, ``PYTHONPATH=DIR``, on a copy of the workload, whose state that
tree's cold build writes): a change is judged by both ratios under the same load.
Run the script itself from a clone too (``PYTHONPATH=CLONE python
CLONE/bench/compare/floor_ratio.py``) so that edits in a shared working tree during
the run do not change what is measured.

Needs only our venv (no dagster-airlift, no ``uv``): the fake Airflow server runs
for the cold build that writes the state, and is stopped before the rounds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workload  # noqa: E402
from fake_server import FakeServerProcess  # noqa: E402
from measures import OURS, run_json  # noqa: E402

BEFORE = " before"


def prepare(
    folder: Path, dags: int, before: Path | None, edited: bool
) -> tuple[dict[str, list[str]], int]:
    """Write the workload, build it cold once (the state) and capture the floor's spec
    arguments; the command of each mode and the asset count. With ``before``, the
    modes of that checkout too, on a copy of the workload."""
    yaml_path, cache, specs = folder / "airlift.yaml", folder / "cache", folder / "specs.pickle"
    ours = [OURS, str(HERE / "drive_ours.py"), "defs", str(yaml_path), str(cache)]
    floor = [OURS, str(HERE / "drive_floor.py")]
    commands = {"floor": [*floor, "floor", str(specs)], "stored": [*ours, "stored"]}
    if edited:
        commands["edited"] = [*ours, "edited"]
    with FakeServerProcess(OURS, dags) as server:
        workload.write_airlift_yaml(yaml_path, server.url, dags)
        assets = int(run_json([*ours, "cold"])["assets"])
        if before is not None:
            copy = folder / "before"
            copy.mkdir()
            shutil.copy(yaml_path, copy / "airlift.yaml")
            driver = str(before / "bench" / "compare" / "drive_ours.py")
            theirs = ["env", f"PYTHONPATH={before}", OURS, driver, "defs"]
            theirs += [str(copy / "airlift.yaml"), str(copy / "cache")]
            run_json([*theirs, "cold"])  # that tree's own state
            run_json([*theirs, "stored"])  # writes a checked airlift.yaml, where it has one
            commands["warm" + BEFORE] = [*theirs, "warm"]
            commands["stored" + BEFORE] = [*theirs, "stored"]
    run_json([*floor, "capture", str(yaml_path), str(cache / "state.json"), str(specs)])
    return commands, assets


def measure(commands: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    """CPU seconds of each mode, one fresh process per mode and round."""
    modes = list(commands)
    cpu: dict[str, list[float]] = {mode: [] for mode in modes}
    for n in range(rounds):
        order = modes[n % len(modes) :] + modes[: n % len(modes)]
        found = {mode: run_json(commands[mode]) for mode in order}
        line = ", ".join(f"{mode} {found[mode]['cpu_seconds']:.2f}" for mode in modes)
        for mode in modes:
            cpu[mode].append(float(found[mode]["cpu_seconds"]))
        ratios = "".join(f", {m}/floor {cpu[m][-1] / cpu['floor'][-1]:.2f}" for m in modes[1:])
        print(f"    round {n + 1}: {line}{ratios}", flush=True)
    return cpu


def spread(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def report(dags: int, assets: int, cpu: dict[str, list[float]]) -> list[str]:
    size = f"{dags:,} DAGs x {workload.TASKS} tasks ({assets:,} assets)"
    lines = [f"| floor, {size} | {spread(cpu['floor'], 2)} | |"]
    for mode in [mode for mode in cpu if mode != "floor"]:
        ratios = [ours / floor for ours, floor in zip(cpu[mode], cpu["floor"], strict=True)]
        lines.append(f"| {mode}, {size} | {spread(cpu[mode], 2)} | {spread(ratios, 2)}x |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated DAG counts")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per size")
    parser.add_argument(
        "--before", type=Path, help="another checkout to measure in the same rounds"
    )
    parser.add_argument(
        "--edited", action="store_true", help="also the build after an edit of airlift.yaml"
    )
    args = parser.parse_args(argv)
    rows = ["| build | CPU s, median (range) | over the floor, median of rounds (range) |"]
    rows.append("|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="airlift-floor-") as tmp:
        for dags in (int(size) for size in args.sizes.split(",")):
            folder = Path(tmp) / f"dags_{dags}"
            folder.mkdir()
            print(f"  {dags} DAGs: cold build and floor capture ...", flush=True)
            commands, assets = prepare(folder, dags, args.before, args.edited)
            rows += report(dags, assets, measure(commands, args.rounds))
    print()
    print("\n".join(rows))
    print(
        f"\n({args.rounds} rounds per size; CPU seconds of the measured process; target <= 1.25x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
