"""Benchmark the Airflow-asset lineage of DAGs chained through assets (prints a table; not a test).

DAG ``i`` produces Airflow asset ``i`` and DAG ``i + 1`` is scheduled on it: a
chain of N DAGs, the shape that made the cycle check walk the whole chain for
every edge (quadratic). A ring (the last asset schedules the first DAG) adds the
one edge that closes a cycle, which must still be dropped. Times
``airflow_asset_specs`` alone (best of 3), which every code-location load runs.

Run: ``.venv/bin/python -m bench.bench_asset_cycles`` (from the repository root)

Measured on the shared 2-core machine (CPU seconds of ``airflow_asset_specs``,
chain / ring): before the linear check (a search per edge) 1,000: 0.38 / 0.40,
2,000: 2.39 / 2.23, 4,000: 13.7 / 14.6; after it 0.07 / 0.08, 0.15 / 0.27,
0.46 / 0.48 (of which the cycle check 0.04 / 0.07), 8,000: 0.90 / 1.02.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import datetime, timezone
from typing import Any

SIZES = (1000, 2000, 4000, 8000)
RUNS = 3


def chained(n: int, *, ring: bool) -> tuple[Any, Any]:
    """The instance and its stored state: ``n`` DAGs chained through ``n`` assets."""
    from airlift_component.airflow_api.types import AirflowAsset, AirflowDag
    from airlift_component.airflow_state.state import AirflowState, DagState
    from airlift_component.config.airlift_yaml.model import Instance

    instance = Instance.model_validate(
        {
            "name": "bench",
            "url": "http://127.0.0.1:8080",
            "auth": {"type": "none"},
            "airflow_assets": {"enabled": True},
        }
    )
    dags = {f"dag_{i:05d}": DagState(AirflowDag(f"dag_{i:05d}")) for i in range(n)}
    assets = []
    for i in range(n):
        consumer = (i + 1) % n if ring else i + 1
        scheduled = (f"dag_{consumer:05d}",) if consumer < n and (ring or i + 1 < n) else ()
        assets.append(
            AirflowAsset(
                f"s3://lake/a{i:05d}", f"s3://lake/a{i:05d}", i, ((f"dag_{i:05d}", "t"),), scheduled
            )
        )
    state = AirflowState(
        "bench", instance.url, "v2", "3.3.2", datetime.now(timezone.utc), "", dags, tuple(assets)
    )
    return instance, state


def build(instance: Any, state: Any) -> tuple[float, float, int]:
    """CPU seconds of the Airflow-asset specs and of their cycle check alone, and the
    number of DAG-on-asset edges kept."""
    import dagster as dg

    from airlift_component.airflow_state.airflow_assets import airflow_asset_key
    from airlift_component.component.airflow_asset_specs import (
        _acyclic_consumers,
        _producer_keys,
        airflow_asset_specs,
    )
    from airlift_component.component.asset_specs import instance_specs

    urls = dict.fromkeys(state.dags, "")
    specs, index = instance_specs(instance, state, urls)
    t0 = time.process_time()
    out, _ = airflow_asset_specs(instance, state, specs, index, "bench")
    whole = time.process_time() - t0
    keys = {a.uri: dg.AssetKey(airflow_asset_key(instance, a)) for a in state.airflow_assets}
    graph = {spec.key: {dep.asset_key for dep in spec.deps} for spec in specs}
    for asset in state.airflow_assets:
        graph[keys[asset.uri]] = set(_producer_keys(asset, index))
    t0 = time.process_time()
    _acyclic_consumers(instance, state.airflow_assets, keys, index, graph)
    check = time.process_time() - t0
    return whole, check, sum(len(spec.deps) for spec in out if spec.key.path[1] == "dag")


def main() -> int:
    logging.getLogger("airlift_component").setLevel(logging.ERROR)  # the ring's one warning
    print("CPU seconds, best of 3: airflow_asset_specs (of which the cycle check)")
    print(f"{'DAGs chained':<14} {'chain':>20} {'ring':>20}   edges kept", flush=True)
    for n in SIZES:
        cells = []
        kept = []
        for ring in (False, True):
            instance, state = chained(n, ring=ring)
            runs = [build(instance, state) for _ in range(RUNS)]
            whole = min(run[0] for run in runs)
            check = min(run[1] for run in runs)
            cells.append(f"{whole:8.3f} ({check:6.3f})")
            kept.append(runs[0][2])
        assert kept == [n - 1, n - 1], kept  # the ring's closing edge alone is dropped
        print(f"{n:<14} {cells[0]:>20} {cells[1]:>20}   {kept[0]}/{kept[1]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
