"""Our definitions build over Dagster's floor, alone and repeated (prints one table).

    .venv/bin/python bench/compare/floor_ratio.py                       # 1,000 and 5,000 DAGs
    .venv/bin/python bench/compare/floor_ratio.py --sizes 1000 --rounds 7

Issue 21's target is our build at most 1.25x the floor (``drive_floor.py``: Dagster
alone constructing the same ``AssetSpec``s and resolving the repository and asset
graph). ``run.py --only defs`` prints that ratio once per size, next to
dagster-airlift; this script measures only the three numbers the ratio needs, in
rounds: each round runs the floor, our warm build and our build from stored state
(no checked ``airlift.yaml``), one fresh process each, back to back, the order turned
by one every round, so that the ratio of a round compares processes that ran under
the same load. It prints each mode's median CPU seconds with its range and the
median of the per-round ratios with their range: on a shared machine the spread is
part of the result. A round whose warm build found no checked ``airlift.yaml`` (its
checking code was edited during the run, in a shared working tree) is dropped and
said so.

Needs only our venv (no dagster-airlift, no ``uv``): the fake Airflow server runs
for the cold build that writes the state, and is stopped before the rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workload  # noqa: E402
from fake_server import FakeServerProcess  # noqa: E402
from run import OURS, run_json  # noqa: E402

MODES = ("floor", "warm", "stored")


def prepare(folder: Path, dags: int) -> tuple[dict[str, list[str]], int]:
    """Write the workload, build it cold once (state and checked ``airlift.yaml``) and
    capture the floor's spec arguments; the command of each mode and the asset count."""
    yaml_path, cache, specs = folder / "airlift.yaml", folder / "cache", folder / "specs.pickle"
    ours = [OURS, str(HERE / "drive_ours.py"), "defs", str(yaml_path), str(cache)]
    floor = [OURS, str(HERE / "drive_floor.py")]
    with FakeServerProcess(OURS, dags) as server:
        workload.write_airlift_yaml(yaml_path, server.url, dags)
        assets = int(run_json([*ours, "cold"])["assets"])
    run_json([*floor, "capture", str(yaml_path), str(cache / "state.json"), str(specs)])
    commands = {
        "floor": [*floor, "floor", str(specs)],
        "warm": [*ours, "warm"],
        "stored": [*ours, "stored"],
    }
    return commands, assets


def measure(commands: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    """CPU seconds of each mode, one fresh process per mode and round."""
    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
    for n in range(rounds):
        order = MODES[n % len(MODES) :] + MODES[: n % len(MODES)]
        found = {mode: run_json(commands[mode]) for mode in order}
        line = ", ".join(f"{mode} {found[mode]['cpu_seconds']:.2f}" for mode in MODES)
        if not found["warm"].get("checked", True):
            # The checking code changed under the run: that warm build was a stored one.
            print(f"    round {n + 1}: {line}; warm found no checked airlift.yaml, dropped")
            continue
        for mode in MODES:
            cpu[mode].append(float(found[mode]["cpu_seconds"]))
        ratios = "".join(f", {m}/floor {cpu[m][-1] / cpu['floor'][-1]:.2f}" for m in MODES[1:])
        print(f"    round {n + 1}: {line}{ratios}", flush=True)
    return cpu


def spread(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def report(dags: int, assets: int, cpu: dict[str, list[float]]) -> list[str]:
    size = f"{dags:,} DAGs x {workload.TASKS} tasks ({assets:,} assets)"
    lines = [f"| {mode}, {size} | {spread(cpu[mode], 2)} | |" for mode in MODES[:1]]
    for mode in MODES[1:]:
        ratios = [ours / floor for ours, floor in zip(cpu[mode], cpu["floor"], strict=True)]
        lines.append(f"| {mode}, {size} | {spread(cpu[mode], 2)} | {spread(ratios, 2)}x |")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated DAG counts")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per size")
    args = parser.parse_args(argv)
    rows = ["| build | CPU s, median (range) | over the floor, median of rounds (range) |"]
    rows.append("|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="airlift-floor-") as tmp:
        for dags in (int(size) for size in args.sizes.split(",")):
            folder = Path(tmp) / f"dags_{dags}"
            folder.mkdir()
            print(f"  {dags} DAGs: cold build and floor capture ...", flush=True)
            commands, assets = prepare(folder, dags)
            rows += report(dags, assets, measure(commands, args.rounds))
    print()
    print("\n".join(rows))
    print(
        f"\n({args.rounds} rounds per size; CPU seconds of the measured process; target <= 1.25x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
