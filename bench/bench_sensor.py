"""Benchmark one sensor tick against the fake Airflow server (prints a table; not a test).

The fake serves 1,000 DAGs x 10 tasks (each a chain), all mapped one asset per
task. Times the sensor (the real ``SensorDefinition`` from ``build_defs``, the
real REST client, Airflow 3 API shape with JWT auth) for a tick with no new run
and a tick with 1,000 newly finished runs (one per DAG, 10,000 task instances),
and prints the REST calls each made.

Run: ``.venv/bin/python -m bench.bench_sensor`` (from the repository root)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

DAGS = 1000
TASKS = 10
REPEAT = 15


def main() -> int:
    import dagster as dg

    from airlift_component.airflow_api.client import AirflowClient
    from airlift_component.component import build_defs
    from bench.bench_defs import airlift_yaml
    from tests.harness.fake_airflow import FakeAirflow

    chain = {f"task_{t:02d}": [f"task_{t + 1:02d}"] if t + 1 < TASKS else [] for t in range(TASKS)}
    clients: list[AirflowClient] = []

    def factory(instance: Any) -> AirflowClient:
        client = AirflowClient(instance)
        clients.append(client)
        return client

    with FakeAirflow(api="v2") as fake, tempfile.TemporaryDirectory() as tmp:
        for d in range(DAGS):
            fake.add_dag(f"dag_{d:04d}", chain)
        path = Path(tmp) / "airlift.yaml"
        path.write_text(airlift_yaml(fake.url))
        defs = build_defs(path, client_factory=factory)
        sensor = defs.resolve_sensor_def("airlift_bench_sensor")
        instance = dg.DagsterInstance.ephemeral()

        def tick(cursor: str | None) -> tuple[Any, float, int]:
            before = sum(c.request_count for c in clients)
            t0 = time.perf_counter()
            result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor))
            seconds = time.perf_counter() - t0
            return result, seconds, sum(c.request_count for c in clients) - before

        warm, _, _ = tick(None)  # first tick: empty lookback window, client logs in
        cursor = warm.cursor if isinstance(warm, dg.SensorResult) else None
        seed = datetime.now(timezone.utc) - timedelta(minutes=30)
        # The empty tick is tiny: the median of several, so the load of a shared machine
        # does not decide it.
        empties = [tick(seed_cursor(seed) if cursor is None else cursor) for _ in range(REPEAT)]
        empty, _, empty_calls = empties[-1]
        empty_s = statistics.median(seconds for _, seconds, _ in empties)
        end = datetime.now(timezone.utc)
        for d in range(DAGS):
            fake.add_finished_run(
                f"dag_{d:04d}", f"run_{d}", end_date=end - timedelta(seconds=d % 60)
            )
        full, full_s, full_calls = tick(seed_cursor(seed) if cursor is None else cursor)
        events = len(full.asset_events) if isinstance(full, dg.SensorResult) else 0
    assert not getattr(empty, "asset_events", None), empty
    assert events == DAGS * (TASKS + 1), events
    print(f"sensor tick, fake Airflow 3 API, {DAGS} DAGs x {TASKS} tasks mapped")
    print(f"{'0 new runs (median)':<28} {empty_s:8.3f} s   REST calls: {empty_calls}")
    print(f"{'1,000 new runs':<28} {full_s:8.3f} s   REST calls: {full_calls}   events: {events}")
    return 0


def seed_cursor(high_water: datetime) -> str:
    from airlift_component.sensor.cursor import SensorCursor

    return SensorCursor(high_water).to_json()


if __name__ == "__main__":
    sys.exit(main())
