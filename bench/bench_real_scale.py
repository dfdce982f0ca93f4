"""Scale on a real Airflow: ours next to dagster-airlift, then ours on Airflow 3.

    .venv/bin/python bench/bench_real_scale.py                  # 500 DAGs, 10 runs
    .venv/bin/python bench/bench_real_scale.py --dags 200 --runs 5 --only af2

Starts a real Airflow 2.10 (``.venv-airflow2``) with ``--dags`` generated DAG
files, each a chain of 10 ``EmptyOperator`` tasks, behind one counting loopback
proxy per side, and measures:

- ours: ``airlift refresh`` (the CLI process, wall and CPU) for an
  ``airlift.yaml`` mapping every task to one asset, then the code-location load
  from that state in a fresh process (``real_scale_driver.py``);
- dagster-airlift (``.venv-bench-theirs``, installed by ``bench/compare/venvs.py``):
  ``build_defs_from_airflow_instance`` with the same mappings, fetching
  (``drive_theirs.py defs cold``), then from its serialized state
  (``defs warm``, the run-worker path);
- the sensor: each side's sensor in a long-lived process, a first tick, then
  ``--runs`` DAG runs triggered and waited for (REST polling), then one tick
  each, with the asset events it recorded and its REST calls;
- Airflow 3 (``.venv``) with the same DAG files: our refresh, load and tick.

Airflow re-parses nothing after the first parse (``MIN_FILE_PROCESS_INTERVAL``
600 s), so the measurements do not compete with a parse loop over every file.
Prints one markdown table. Not a test; never run by CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
COMPARE = ROOT / "bench" / "compare"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(COMPARE))

import workload  # noqa: E402

from devtools.local_stack.airflow import AirflowServer  # noqa: E402
from devtools.local_stack.counting_proxy import CountingProxy  # noqa: E402

OURS_PY = ROOT / ".venv" / "bin" / "python"
OURS_CLI = ROOT / ".venv" / "bin" / "airlift"
THEIRS_PY = ROOT / ".venv-bench-theirs" / "bin" / "python"

DAG_FILE = """\
from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.operators.empty import EmptyOperator

with DAG(dag_id="{dag_id}", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
    previous = None
    for j in range({tasks}):
        task = EmptyOperator(task_id=f"task_{{j:02d}}")
        if previous is not None:
            previous >> task
        previous = task
"""

Row = tuple[str, str, str, str, str]


class Rows(list[Row]):
    """The table's rows, each also printed as soon as it is measured."""

    def append(self, row: Row) -> None:
        super().append(row)
        print("| " + " | ".join(row) + " |", flush=True)


def write_dags(folder: Path, dags: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(dags):
        text = DAG_FILE.format(dag_id=workload.dag_id(i), tasks=workload.TASKS)
        (folder / f"{workload.dag_id(i)}.py").write_text(text)


def parse_overrides(version: int) -> dict[str, str]:
    section = "DAG_PROCESSOR" if version >= 3 else "SCHEDULER"
    return {
        f"AIRFLOW__{section}__MIN_FILE_PROCESS_INTERVAL": "600",
        f"AIRFLOW__{section}__PARSING_PROCESSES": "2",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
    }


def poll(what: str, probe: Callable[[], bool], timeout: float, interval: float = 1.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)  # a polling interval, not a readiness guess


def wait_parsed(server: AirflowServer, dags: int, timeout: float) -> float:
    started = time.monotonic()
    last = {"n": 0}

    def probe() -> bool:
        body = server.api.json("GET", "/dags", params={"limit": 1})
        last["n"] = int(body.get("total_entries", 0))
        return last["n"] >= dags

    try:
        poll(f"{dags} DAGs to be parsed", probe, timeout, interval=2.0)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc} (saw {last['n']})") from None
    return time.monotonic() - started


def timed_child(argv: list[str], cwd: Path, log: Path) -> tuple[float, float, str]:
    """Run a child process; its wall seconds, CPU seconds and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    with log.open("a") as err:
        done = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=err, text=True)
    seconds = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:3]} exited {done.returncode}; see {log}")
    return seconds, cpu, done.stdout


def last_json(text: str) -> dict[str, Any]:
    for line in reversed(text.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    raise RuntimeError(f"no JSON line in {text[-500:]!r}")


class SensorProcess:
    """A driver's ``sensor`` command: one long-lived process, one tick per line."""

    def __init__(self, argv: list[str], cwd: Path, log: Path) -> None:
        self._err = log.open("a")
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
            text=True,
        )
        self._read()  # {"ready": true}

    def _read(self) -> dict[str, Any]:
        out: IO[str] | None = self.proc.stdout
        assert out is not None
        for line in out:
            if line.startswith("{"):
                return dict(json.loads(line))
        raise RuntimeError(f"sensor driver exited {self.proc.wait()}")

    def tick(self, timeout: float | None = None) -> dict[str, Any] | None:
        """One tick's JSON; ``None`` when it has not returned within ``timeout`` seconds
        (the process is then killed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("tick\n")
        self.proc.stdin.flush()
        if timeout is None:
            return self._read()
        with ThreadPoolExecutor(max_workers=1) as pool:
            answer = pool.submit(self._read)
            try:
                return answer.result(timeout=timeout)
            except FutureTimeout:
                self.proc.kill()
                self.proc.wait()
                return None

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._err.close()


def fmt(value: float) -> str:
    return f"{value:.2f}"


def run_airflow(
    version: int, args: argparse.Namespace, work: Path, rows: list[Row], with_theirs: bool
) -> None:
    base = work / f"af{version}"
    dags_folder = base / "dags"
    reused = (base / "home").exists()
    if not reused:
        write_dags(dags_folder, args.dags)
    log = base / "drivers.log"
    server = AirflowServer(
        version,
        home=base / "home",
        dags_folder=dags_folder,
        username=workload.USERNAME,
        password=workload.PASSWORD,
        env_overrides=parse_overrides(version),
        startup_timeout=300.0,
    )
    label = f"Airflow {version}"
    server.start()
    ours_proxy = CountingProxy(server.url).start()
    theirs_proxy = CountingProxy(server.url).start()
    sensors: list[SensorProcess] = []
    try:
        parse = wait_parsed(server, args.dags, args.parse_timeout)
        rows.append(
            (
                f"{label}: {'restart on the kept database' if reused else 'start'}, "
                f"then {args.dags} DAG files parsed",
                fmt((server.startup_seconds or 0) + parse),
                "",
                "",
                "Airflow's own work",
            )
        )
        # -- ours: refresh, then load from state -------------------------------
        ours = base / "ours"
        (ours / "cache").mkdir(parents=True)
        yaml_path = ours / "airlift.yaml"
        workload.write_airlift_yaml(yaml_path, ours_proxy.url, args.dags)
        if version >= 3:
            yaml_path.write_text(yaml_path.read_text().replace("api: v1", "api: v2"))
        state = ours / "cache" / "state.json"
        n0 = len(ours_proxy.requests)
        wall, cpu, _ = timed_child(
            [str(OURS_CLI), "refresh", "--config", str(yaml_path), "--output", str(state)],
            ours,
            log,
        )
        rows.append(
            (
                f"{label}: ours `airlift refresh` (CLI process)",
                fmt(wall),
                fmt(cpu),
                str(len(ours_proxy.requests) - n0),
                f"state {state.stat().st_size / 1e6:.2f} MB",
            )
        )
        n0 = len(ours_proxy.requests)
        wall, cpu, out = timed_child(
            [
                str(OURS_PY),
                str(ROOT / "bench" / "real_scale_driver.py"),
                str(yaml_path),
                str(state),
            ],
            ours,
            log,
        )
        got = last_json(out)
        rows.append(
            (
                f"{label}: ours load from state (build_defs + resolve_asset_graph)",
                fmt(got["seconds"]),
                fmt(got["cpu_seconds"]),
                str(len(ours_proxy.requests) - n0),
                f"{got['assets']} assets; process {fmt(wall)} s wall incl. imports",
            )
        )
        # -- theirs: fetch + build, then build from serialized state -----------
        theirs = base / "theirs"
        if with_theirs:
            theirs.mkdir(parents=True)
            mapping = theirs / "mapping.json"
            workload.write_mapping_json(mapping, args.dags)
            theirs_state = theirs / "state.json"
            for mode, what in (("cold", "fetch + build"), ("warm", "load from state")):
                n0 = len(theirs_proxy.requests)
                wall, cpu, out = timed_child(
                    [
                        str(THEIRS_PY),
                        str(COMPARE / "drive_theirs.py"),
                        "defs",
                        theirs_proxy.url,
                        str(mapping),
                        str(theirs_state),
                        mode,
                    ],
                    theirs,
                    log,
                )
                got = last_json(out)
                rows.append(
                    (
                        f"{label}: dagster-airlift {what} (build_defs_from_airflow_instance)",
                        fmt(got["seconds"]),
                        fmt(got["cpu_seconds"]),
                        str(len(theirs_proxy.requests) - n0),
                        f"{got['assets']} assets; process {fmt(wall)} s wall incl. imports",
                    )
                )
        # -- the sensor tick with real finished runs ---------------------------
        if args.runs <= 0 or (version >= 3 and args.skip_af3_tick):
            return
        sensors.append(
            SensorProcess(
                [
                    str(OURS_PY),
                    str(COMPARE / "drive_ours.py"),
                    "sensor",
                    str(yaml_path),
                    str(state.parent),
                ],
                ours,
                log,
            )
        )
        if with_theirs:
            sensors.append(
                SensorProcess(
                    [
                        str(THEIRS_PY),
                        str(COMPARE / "drive_theirs.py"),
                        "sensor",
                        theirs_proxy.url,
                        str(theirs / "mapping.json"),
                        str(theirs / "state.json"),
                    ],
                    theirs,
                    log,
                )
            )
        for sensor in sensors:
            sensor.tick()  # the first tick: nothing finished yet
        started = time.monotonic()
        runs = [(workload.dag_id(i), server.trigger(workload.dag_id(i))) for i in range(args.runs)]
        states = [server.wait_for_run(d, r, timeout=args.run_timeout) for d, r in runs]
        run_seconds = time.monotonic() - started
        rows.append(
            (
                f"{label}: {args.runs} DAG runs x 10 tasks triggered and finished",
                fmt(run_seconds),
                "",
                "",
                f"{states.count('success')} success (Airflow's own work)",
            )
        )
        sides = [("ours", ours_proxy)] + (
            [("dagster-airlift", theirs_proxy)] if with_theirs else []
        )
        for sensor, (name, proxy) in zip(sensors, sides, strict=True):
            n0 = len(proxy.requests)
            started = time.monotonic()
            got = sensor.tick(timeout=args.tick_timeout)
            if got is None:
                rows.append(
                    (
                        f"{label}: {name} sensor tick after {args.runs} finished runs",
                        f"> {time.monotonic() - started:.0f} (stopped)",
                        "",
                        f">= {len(proxy.requests) - n0}",
                        f"no answer within --tick-timeout {args.tick_timeout:.0f} s",
                    )
                )
                continue
            rows.append(
                (
                    f"{label}: {name} sensor tick after {args.runs} finished runs",
                    fmt(got["seconds"]),
                    fmt(got["cpu_seconds"]),
                    str(len(proxy.requests) - n0),
                    f"{got['events']} asset events, {got.get('ticks', 1)} tick(s)",
                )
            )
    finally:
        for sensor in sensors:
            sensor.close()
        ours_proxy.stop()
        theirs_proxy.stop()
        server.stop()


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dags", type=int, default=500)
    parser.add_argument("--runs", type=int, default=10, help="DAG runs before the tick")
    parser.add_argument("--only", default="af2,af3", help="af2, af3 or both")
    parser.add_argument("--parse-timeout", type=float, default=1800.0)
    parser.add_argument(
        "--reuse", type=Path, help="a kept work folder: restart its Airflow on its database"
    )
    parser.add_argument("--run-timeout", type=float, default=900.0)
    parser.add_argument("--skip-af3-tick", action="store_true")
    parser.add_argument(
        "--tick-timeout",
        type=float,
        default=600.0,
        help="stop a sensor tick that has not returned after this many seconds",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    only = set(args.only.split(","))
    if "af2" in only and not THEIRS_PY.exists():
        sys.exit(f"{THEIRS_PY} missing: run bench/compare/venvs.py (or bench/compare/run.py) once")
    work = args.reuse or Path(tempfile.mkdtemp(prefix="airlift-real-scale-"))
    rows = Rows()
    # A SIGTERM still stops the Airflow servers and prints what was measured.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))
    load_start = os.getloadavg()
    started = dt.datetime.now(dt.timezone.utc)
    try:
        if "af2" in only:
            run_airflow(2, args, work, rows, with_theirs=True)
        if "af3" in only:
            run_airflow(3, args, work, rows, with_theirs=False)
    finally:
        load_end = os.getloadavg()
        print(
            f"\n{started:%Y-%m-%d %H:%M} UTC, commit {commit()}, {args.dags} DAGs x "
            f"{workload.TASKS} EmptyOperator tasks, {args.runs} runs; shared machine: load average "
            f"{load_start[0]:.1f} at start, {load_end[0]:.1f} at end ({os.cpu_count()} cores)\n"
        )
        print("| measurement | wall s | cpu s | REST calls | notes |")
        print("|---|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        if args.keep:
            print(f"\nwork folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
