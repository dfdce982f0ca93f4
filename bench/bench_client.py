"""REST calls and wall time of the Airflow client against the fake server (a table, not a test).

Serves 1,000 DAGs (5 tasks each) and 1,000 finished runs from the in-process
fake Airflow (``tests/harness/fake_airflow.py``, Airflow's default page cap of
100) and times, for the v1 shape (Airflow 2) and the v2 shape (Airflow 3):

- listing the 1,000 DAGs (paged);
- reading the 1,000 finished runs in one time window (batch endpoint, paged);
- reading their 5,000 task instances (batched across runs).

Run: ``.venv/bin/python bench/bench_client.py``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from airlift_component.airflow_api.client import AirflowClient
from tests.harness.fake_airflow import FakeAirflow

DAGS = 1_000
RUNS = 1_000
TASKS = {
    "extract": ["transform"],
    "transform": ["check", "load"],
    "check": [],
    "load": ["notify"],
    "notify": [],
}
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def populate(fake: FakeAirflow) -> None:
    for i in range(DAGS):
        fake.add_dag(f"dag_{i:04d}", tasks=TASKS, tags=["bench"])
    for i in range(RUNS):
        fake.add_finished_run(
            f"dag_{i % DAGS:04d}", f"run_{i:04d}", end_date=T0 + timedelta(seconds=i)
        )


def measure(client: AirflowClient, step: Callable[[], Any]) -> tuple[Any, int, float]:
    before = client.request_count
    started = time.perf_counter()
    result = step()
    return result, client.request_count - before, time.perf_counter() - started


def bench(api: str) -> list[tuple[str, str, int, int, float]]:
    rows = []
    with FakeAirflow(api=api, username="bench", password="bench") as fake:
        populate(fake)
        with AirflowClient.for_url(fake.url, api=api, username="bench", password="bench") as client:
            client.api_version()
            dags, calls, secs = measure(client, client.list_dags)
            rows.append((api, "list DAGs", len(dags), calls, secs))
            runs, calls, secs = measure(
                client, lambda: client.list_finished_dag_runs(end_date_gte=T0)
            )
            rows.append((api, "finished runs", len(runs), calls, secs))
            tis, calls, secs = measure(client, lambda: client.list_task_instances(runs))
            rows.append((api, "task instances", len(tis), calls, secs))
    return rows


def main() -> None:
    rows = bench("v1") + bench("v2")
    header = f"{'api':<4} {'operation':<16} {'items':>6} {'REST calls':>10} {'wall s':>8}"
    print(header)
    print("-" * len(header))
    for api, what, items, calls, secs in rows:
        print(f"{api:<4} {what:<16} {items:>6} {calls:>10} {secs:>8.3f}")
    print("\n(REST calls include any token request; the fake caps pages at 100 like Airflow.)")


if __name__ == "__main__":
    main()
