"""This project next to dagster-airlift, on one generated workload (prints one table).

    .venv/bin/python bench/compare/run.py            # 100, 1,000 and 5,000 DAGs
    .venv/bin/python bench/compare/run.py --quick    # 100 and 1,000 DAGs only
    .venv/bin/python bench/compare/run.py --only defs,sensor --json out.json

dagster-airlift (latest release) is installed by this script only, with ``uv``,
into throwaway venvs ``.venv-bench-theirs`` (Dagster side) and
``.venv-bench-theirs-airflow2`` (Airflow 2.10.5 + ``dagster-airlift[in-airflow]``);
each side runs in its own process, driven by a small script that prints JSON.
Both talk to the same loopback fake Airflow 2 (``/api/v1``) server process
(``fake_server.py``), which counts the REST calls. See ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import select
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import venvs  # noqa: E402
import workload  # noqa: E402
from fake_server import FakeServerProcess  # noqa: E402
from measures import OURS, QUIET, Measure, Row, run_json  # noqa: E402

SECTIONS = ("defs", "sensor", "component", "parse", "proxy", "validate")


class Driver:
    """A long-lived driver process answering one JSON line per input line."""

    def __init__(self, command: list[str], log: Path) -> None:
        self.log = log
        # stderr to a file: an unread pipe fills up with Dagster's logs and blocks the driver
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            env=QUIET,
            start_new_session=True,
        )
        self.read()

    def read(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The next JSON line, or ``None`` (and the driver killed) after ``timeout`` seconds."""
        assert self.proc.stdout is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if deadline is not None:
                ready, _, _ = select.select(
                    [self.proc.stdout], [], [], max(0.0, deadline - time.monotonic())
                )
                if not ready:
                    self.kill()
                    return None
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"driver exited: {self.log.read_text()[-3000:]}")
            if line.startswith("{"):
                return dict(json.loads(line))

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def tick(self, timeout: float) -> dict[str, Any] | None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("tick\n")
        self.proc.stdin.flush()
        return self.read(timeout)

    def close(self) -> None:
        if self.proc.poll() is not None:
            return
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def measured(server: FakeServerProcess, command: list[str]) -> Measure:
    before = server.count()
    out = run_json(command)
    return Measure(out["seconds"], server.count() - before, out.get("cpu_seconds"))


def median_of(repeat: int, measure: Any, *args: Any) -> Measure:
    """The run of median CPU time among ``repeat`` fresh-process runs of ``measure(*args)``."""
    runs = [measure(*args) for _ in range(repeat)]
    runs.sort(key=lambda m: m.cpu_seconds or m.seconds)
    return runs[len(runs) // 2]


def floor_rows(
    dags: int,
    yaml_path: Path,
    cache: Path,
    ours_cmd: list[str],
    repeat: int,
    warm: Measure | None,
) -> list[Row]:
    """Our build from the stored state after an edit of ``airlift.yaml`` since the
    refresh (``drive_ours.py``'s ``edited``: the state's shipped mappings are for
    another version of the file, so it is read and checked in full), and Dagster's
    floor: the same specs built by Dagster alone (``drive_floor.py``); the notes give
    our builds over the floor, by CPU. ``warm`` is the warm row's build: from the
    stored state and its shipped mappings, as every code server and run worker
    loads (a fresh container builds the same way since ``ac257ef``)."""
    specs = yaml_path.parent / "specs.pickle"
    floor_cmd = [OURS, str(HERE / "drive_floor.py")]
    run_json([*floor_cmd, "capture", str(yaml_path), str(cache / "state.json"), str(specs)])
    edited = median_of(repeat, _measure, [*ours_cmd, "edited"])
    floor = median_of(repeat, _measure, [*floor_cmd, "floor", str(specs)])

    def over(m: Measure | None) -> str:
        if m is None or not m.cpu_seconds or not floor.cpu_seconds:
            return "-"
        return f"{m.cpu_seconds / floor.cpu_seconds:.2f}x"

    size = f"{dags:,} DAGs x {workload.TASKS} tasks"
    return [
        Row(
            f"defs build from stored state, airlift.yaml edited since the refresh, {size}",
            edited,
            None,
            f"{over(edited)} the floor (CPU): the file read in full until the next refresh",
        ),
        Row(
            f"Dagster floor: the same specs, repository and asset graph, {size}",
            floor,
            None,
            f"ours warm {over(warm)} the floor (CPU); target <= 1.25x",
        ),
    ]


def _measure(command: list[str]) -> Measure:
    out = run_json(command)
    return Measure(out["seconds"], None, out.get("cpu_seconds"))


def bench_defs_and_sensor(
    sizes: list[int], theirs_py: str, work: Path, sections: set[str], repeat: int = 1
) -> list[Row]:
    rows: list[Row] = []
    for dags in sizes:
        sensor_here = "sensor" in sections and dags in (100, 1000)
        if "defs" not in sections and not sensor_here:
            continue
        folder = work / f"dags_{dags}"
        folder.mkdir()
        print(f"  {dags} DAGs: fake Airflow, definitions ...", flush=True)
        with FakeServerProcess(OURS, dags) as server:
            yaml_path, mapping = folder / "airlift.yaml", folder / "mapping.json"
            cache, state = folder / "cache", folder / "their_state.json"
            workload.write_airlift_yaml(yaml_path, server.url, dags)
            workload.write_mapping_json(mapping, dags)
            ours_cmd = [OURS, str(HERE / "drive_ours.py"), "defs", str(yaml_path), str(cache)]
            theirs_cmd = [
                theirs_py,
                str(HERE / "drive_theirs.py"),
                "defs",
                server.url,
                str(mapping),
                str(state),
            ]
            for mode in ("cold", "warm"):
                ours = median_of(repeat, measured, server, [*ours_cmd, mode])
                theirs = median_of(repeat, measured, server, [*theirs_cmd, mode])
                note = (
                    "ours warm: the stored state and its shipped mappings (any code server"
                    " or run worker); theirs warm: reconstruction metadata (run-worker path)"
                    if mode == "warm"
                    else ""
                )
                label = f"defs build {mode}, {dags:,} DAGs x {workload.TASKS} tasks"
                if "defs" in sections:
                    rows.append(Row(label, ours, theirs, note))
            if "defs" in sections:
                rows += floor_rows(dags, yaml_path, cache, ours_cmd, repeat, rows[-1].ours)
            if sensor_here:
                print(f"  {dags} DAGs: sensor ticks ...", flush=True)
                rows += bench_sensor(server, yaml_path, cache, theirs_py, mapping, state, dags)
    return rows


#: Wall-clock cap for one measured sensor tick; a driver past it is killed.
TICK_CAP_SECONDS = 90.0


def bench_sensor(
    server: FakeServerProcess,
    yaml_path: Path,
    cache: Path,
    theirs_py: str,
    mapping: Path,
    state: Path,
    dags: int,
) -> list[Row]:
    """A tick with no new run, then one with 1,000 runs that finished since (one process
    per side, kept across ticks like a sensor daemon). dagster-airlift's sensor stops a
    tick after ~40 s and resumes at an offset; its ticks are repeated until it caught up."""
    drivers = {
        "ours": Driver(
            [OURS, str(HERE / "drive_ours.py"), "sensor", str(yaml_path), str(cache)],
            yaml_path.parent / "ours_sensor.log",
        ),
        "theirs": Driver(
            [
                theirs_py,
                str(HERE / "drive_theirs.py"),
                "sensor",
                server.url,
                str(mapping),
                str(state),
            ],
            yaml_path.parent / "theirs_sensor.log",
        ),
    }
    rows = []
    try:
        for label, new_runs in (("0", 0), ("1,000", 1000)):
            if new_runs:
                server.command(cmd="add_runs", n=new_runs)
            got: dict[str, Measure | None] = {}
            notes = []
            for name, driver in drivers.items():
                if driver.proc.poll() is not None:
                    got[name] = None
                    notes.append(f"{name}: not run (earlier tick over the cap)")
                    continue
                before = server.count()
                out = driver.tick(TICK_CAP_SECONDS)
                if out is None:
                    got[name] = None
                    notes.append(
                        f"{name}: > {TICK_CAP_SECONDS:.0f} s, killed ({server.count() - before} calls so far)"
                    )
                    continue
                got[name] = Measure(out["seconds"], server.count() - before, out["cpu_seconds"])
                notes.append(
                    f"{name} {out['events']:,} events"
                    + (f" in {out['ticks']} ticks" if out["ticks"] > 1 else "")
                )
            rows.append(
                Row(
                    f"sensor tick, {label} new runs ({dags:,} DAGs)",
                    got["ours"],
                    got["theirs"],
                    "; ".join(notes),
                )
            )
    finally:
        for driver in drivers.values():
            driver.close()
    return rows


#: dagster-airlift's component resolves its mappings from defs.yaml with Dagster's
#: model resolution (~17 s of wall time at 100 DAGs on a loaded 2-core machine), so
#: it is measured at 1,000 DAGs at most.
THEIRS_COMPONENT_MAX_DAGS = 1000


def bench_component(sizes: list[int], theirs_py: str, work: Path) -> list[Row]:
    """The state-backed components: refresh (dg's refresh_state), then the code-location
    load from state in a code server and in a run worker (fresh processes)."""
    driver = str(HERE / "drive_component.py")
    rows: list[Row] = []
    for dags in [size for size in sizes if size >= 1000]:
        print(f"  {dags} DAGs: state-backed components ...", flush=True)
        with FakeServerProcess(OURS, dags) as server:
            got: dict[str, dict[str, Measure | None]] = {}
            for side, python in (("ours", OURS), ("theirs", theirs_py)):
                got[side] = {"refresh": None, "server": None, "worker": None}
                if side == "theirs" and dags > THEIRS_COMPONENT_MAX_DAGS:
                    continue
                project = work / f"component_{side}_{dags}"
                run_json_free = [python, driver, "project", str(project), side, server.url]
                subprocess.run([*run_json_free, str(dags)], check=True, env=QUIET)
                got[side]["refresh"] = measured(server, [python, driver, "refresh", str(project)])
                for role in ("server", "worker"):
                    got[side][role] = measured(server, [python, driver, "load", str(project), role])
            skipped = dags > THEIRS_COMPONENT_MAX_DAGS
            theirs_note = (
                f"theirs not run above {THEIRS_COMPONENT_MAX_DAGS:,} DAGs" if skipped else ""
            )
            labels = {
                "refresh": (
                    "component refresh (dg refresh_state)",
                    "theirs fetches the DAG list only (no task lists: write_state_to_path passes "
                    "no mapped assets)",
                ),
                "server": (
                    "code-location load from state (code server)",
                    "ours 1 asset per DAG + per task; theirs per task + DAG jobs",
                ),
                "worker": ("code-location load from state (run worker)", "RECONSTRUCTION load"),
            }
            for key, (label, note) in labels.items():
                rows.append(
                    Row(
                        f"{label}, {dags:,} DAGs x {workload.TASKS} tasks",
                        got["ours"][key],
                        got["theirs"][key],
                        "; ".join(n for n in (note, theirs_note) if n),
                    )
                )
    return rows


def bench_validate(work: Path) -> list[Row]:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_validate import write_project  # 1,000 proxied-state files + airlift.yaml

    project = work / "validate"
    write_project(project)
    airlift = str(ROOT / ".venv" / "bin" / "airlift")
    rows = []
    # Cold: every run checks the files again (no remembered pass); warm: the files did
    # not change since the last pass, as on most pre-commit runs of an unchanged file.
    for label, cache in (("", "0"), (", unchanged since the last pass", "1")):
        env = {
            **os.environ,
            "AIRFLOW_PASSWORD": "unused",
            "AIRLIFT_VALIDATE_CACHE": cache,
            "XDG_CACHE_HOME": str(work / "validate-cache"),
        }
        best = float("inf")
        for _ in range(4):  # the first run also writes bytecode (and the remembered pass)
            started = time.perf_counter()
            result = subprocess.run(
                [airlift, "validate", str(project)], capture_output=True, env=env
            )
            best = min(best, time.perf_counter() - started)
            if result.returncode != 0:
                raise RuntimeError(f"airlift validate failed: {result.stdout[-2000:]!r}")
        rows.append(
            Row(
                f"airlift validate, 1,000 proxied-state files{label}",
                Measure(best),
                None,
                "theirs: no validator",
            )
        )
    return rows


def fmt_seconds(m: Measure | None) -> str:
    return "-" if m is None else f"{m.seconds:.3f}"


def fmt_cpu(m: Measure | None) -> str:
    return "-" if m is None or m.cpu_seconds is None else f"{m.cpu_seconds:.3f}"


def fmt_calls(m: Measure | None) -> str:
    return "-" if m is None or m.calls is None else f"{m.calls:,}"


def render(rows: list[Row]) -> str:
    header = [
        "benchmark",
        "ours s",
        "ours cpu s",
        "ours calls",
        "theirs s",
        "theirs cpu s",
        "theirs calls",
        "ours/theirs",
        "note",
    ]
    table = [header] + [
        [
            r.benchmark,
            fmt_seconds(r.ours),
            fmt_cpu(r.ours),
            fmt_calls(r.ours),
            fmt_seconds(r.theirs),
            fmt_cpu(r.theirs),
            fmt_calls(r.theirs),
            "-" if r.ratio is None else f"{r.ratio:.2f}",
            r.note,
        ]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    out = []
    for n, line in enumerate(table):
        cells = [
            cell.ljust(w) if i in (0, len(header) - 1) else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("| " + " | ".join(cells) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def machine(theirs_py: str) -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "dagster (ours)": venvs.version(OURS, "dagster"),
        "dagster (theirs)": venvs.version(theirs_py, "dagster"),
        "dagster-airlift": venvs.version(theirs_py, "dagster-airlift"),
        "airlift-component": venvs.version(OURS, "airlift-component"),
    }


def run_section(section: str, work: Path) -> list[Row]:
    if section == "parse":
        import parse_bench

        return parse_bench.run(work, venvs.ensure(venvs.THEIRS_AIRFLOW))
    if section == "proxy":
        import proxy_bench

        return proxy_bench.run(work, venvs.ensure(venvs.THEIRS_AIRFLOW))
    return bench_validate(work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1,000 DAGs only")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON here")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="fresh-process runs per definitions row; the run of median CPU is shown",
    )
    parser.add_argument(
        "--sizes", help="comma-separated DAG counts (default 100,1000,5000; --quick: 100,1000)"
    )
    args = parser.parse_args(argv)
    sections = set(args.only.split(","))
    sizes = [100, 1000] if args.quick else [100, 1000, 5000]
    if args.sizes:
        sizes = [int(size) for size in args.sizes.split(",")]
    started = time.perf_counter()
    print("preparing dagster-airlift venvs ...", flush=True)
    theirs_py = venvs.ensure(venvs.THEIRS)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="airlift-compare-") as tmp:
        work = Path(tmp)
        rows += bench_defs_and_sensor(sizes, theirs_py, work, sections, args.repeat)
        if "component" in sections:
            rows += bench_component(sizes, theirs_py, work)
        for section in ("parse", "proxy", "validate"):
            if section not in sections:
                continue
            print(f"  {section} ...", flush=True)
            try:
                rows += run_section(section, work)
            except Exception as exc:  # one failed section must not lose the others
                rows.append(Row(f"{section}: failed", None, None, str(exc).splitlines()[-1][:200]))
    info = machine(theirs_py)
    if args.json:
        data = {"machine": info, "rows": [{**asdict(r), "ratio": r.ratio} for r in rows]}
        args.json.write_text(json.dumps(data, indent=1))
    print()
    print(render(rows))
    print()
    print("; ".join(f"{k}: {v}" for k, v in info.items()))
    total = time.perf_counter() - started
    print(
        "(seconds; ours/theirs by CPU where both report it, < 1 means ours is faster; "
        f"each definitions row is the median-CPU run of {args.repeat}; total {total:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
