"""Benchmark building the Dagster definitions from the state cache (prints a table; not a test).

Writes, in a temporary folder, an airlift.yaml mapping 1,000 DAGs x 10 tasks x 1
asset and the matching cached Airflow state (each DAG a chain of its 10 tasks),
then times ``build_defs`` (best of 3). A client factory that raises proves that
loading from a fresh cache makes no REST call.

Also times ``airlift refresh``'s fetch of that state (1,000 mapped DAGs) from the
fake Airflow server with the real client, and counts its REST calls.

Run: ``.venv/bin/python -m bench.bench_defs`` (from the repository root)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

DAGS = 1000
TASKS = 10
RUNS = 3


def airlift_yaml(url: str) -> str:
    lines = [
        "version: 1",
        "instances:",
        "  - name: bench",
        f"    url: {url}",
        "    auth: {type: none}",
    ]
    lines.append("    mappings:")
    for d in range(DAGS):
        lines += [f"      - dag: dag_{d:04d}", "        tasks:"]
        for t in range(TASKS):
            lines += [f"          - task: task_{t:02d}", f"            assets: [d{d:04d}/t{t:02d}]"]
    return "\n".join(lines) + "\n"


def write_cache(path: Path) -> None:
    from airlift_component.airflow_api.types import AirflowDag, AirflowTask
    from airlift_component.airflow_state.fetch import instance_fingerprint
    from airlift_component.airflow_state.state import AirflowState, DagState
    from airlift_component.airflow_state.state_file import (
        AirliftStateFile,
        default_state_file,
        write_state_file,
    )
    from airlift_component.config.airlift_yaml.load import load_airlift_file

    instance = load_airlift_file(path).instances[0]
    dags = {}
    for d in range(DAGS):
        tasks = tuple(
            AirflowTask(f"task_{t:02d}", (f"task_{t + 1:02d}",) if t + 1 < TASKS else ())
            for t in range(TASKS)
        )
        dags[f"dag_{d:04d}"] = DagState(AirflowDag(f"dag_{d:04d}", owners=("airflow",)), tasks)
    state = AirflowState(
        "bench", instance.url, "v2", "3.3.2", datetime.now(timezone.utc),
        instance_fingerprint(instance), dags,
    )  # fmt: skip
    now = datetime.now(timezone.utc)
    write_state_file(default_state_file(path), AirliftStateFile(now, {"bench": state}))


def no_rest(instance: object) -> object:
    raise AssertionError("a REST call was attempted although the cache is fresh")


def time_refresh() -> tuple[float, int]:
    """Seconds and REST calls to fetch the state of DAGS mapped DAGs from the fake server."""
    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.airflow_state.fetch import refresh_state_file
    from airlift_component.airflow_state.state_file import default_state_file
    from airlift_component.config.airlift_yaml.load import load_airlift_file
    from tests.harness.fake_airflow import FakeAirflow

    clients: list[AirflowClient] = []

    def factory(instance: object) -> AirflowClient:
        clients.append(AirflowClient(instance))  # type: ignore[arg-type]
        return clients[-1]

    chain = {f"task_{t:02d}": [f"task_{t + 1:02d}"] if t + 1 < TASKS else [] for t in range(TASKS)}
    with FakeAirflow(api="v2") as fake, tempfile.TemporaryDirectory() as tmp:
        for d in range(DAGS):
            fake.add_dag(f"dag_{d:04d}", chain)
        path = Path(tmp) / "airlift.yaml"
        path.write_text(airlift_yaml(fake.url))
        instances = load_airlift_file(path).instances
        t0 = time.perf_counter()
        refresh_state_file(instances, default_state_file(path), factory)
        return time.perf_counter() - t0, clients[0].request_count


def main() -> int:
    started = time.perf_counter()
    import dagster as dg

    from airlift_component.component import build_defs
    from airlift_component.config.airlift_yaml.load import load_airlift_file

    import_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "airlift.yaml"
        path.write_text(airlift_yaml("http://127.0.0.1:8080"))
        write_cache(path)
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            defs = build_defs(path, refresh="never", client_factory=no_rest)  # type: ignore[arg-type]
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        load_airlift_file(path)
        parse_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        graph = defs.resolve_asset_graph()
        resolve_seconds = time.perf_counter() - t0
        assets = len(graph.get_all_asset_keys())
    expected = DAGS * TASKS + DAGS
    assert assets == expected, (assets, expected)
    print(f"dagster {dg.__version__}; {DAGS} DAGs x {TASKS} tasks x 1 asset ({assets} assets)")
    print(f"{'import dagster + component':<34} {import_seconds:8.3f} s")
    print(f"{'build_defs from state (best of 3)':<34} {min(times):8.3f} s   REST calls: 0")
    print(f"{'  of which: load airlift.yaml':<34} {parse_seconds:8.3f} s")
    print(f"{'resolve asset graph (Dagster)':<34} {resolve_seconds:8.3f} s")
    refresh_seconds, calls = time_refresh()
    print(f"{'airlift refresh (fake server)':<34} {refresh_seconds:8.3f} s   REST calls: {calls}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
