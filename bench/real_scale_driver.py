"""Our code-location load from state, in a fresh process (prints JSON).

    python real_scale_driver.py AIRLIFT.yaml STATE.json

``build_defs(path, state_file=..., refresh="never")`` then
``defs.resolve_asset_graph()``: what a code server or run worker does with a
refreshed state, no Airflow call. Imports happen before the clock starts.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import dagster as dg  # noqa: F401

from airlift_component.airflow_api import client as _client  # noqa: F401
from airlift_component.component.defs_builder import build_defs


def main(yaml_path: Path, state_file: Path) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    defs = build_defs(yaml_path, state_file=state_file, refresh="never")
    graph = defs.resolve_asset_graph()
    assets = len(graph.get_all_asset_keys())
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - wall,
                "cpu_seconds": time.process_time() - cpu,
                "assets": assets,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
