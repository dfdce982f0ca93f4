"""Driver for this project, run by our venv's python (prints JSON).

    python drive_ours.py defs   AIRLIFT.yaml CACHE_DIR cold|stored|warm|edited
    python drive_ours.py sensor AIRLIFT.yaml CACHE_DIR        (then "tick" lines on stdin)

Cold builds find no state (it is deleted): they parse and check ``airlift.yaml`` and
fetch the Airflow state (``refresh="if_missing"``), which carries the checked
mappings of ``airlift.yaml`` (``config/airlift_yaml/shipped.py``). Stored builds
read what the cold build wrote (``CACHE_DIR/state.json``), as every code server and
run worker loads: nothing is kept anywhere else, so ``warm`` is the same build (the
name is kept for ``run.py`` and for ``floor_ratio.py --before`` with an older tree,
where warm builds also had a checked ``airlift.yaml`` in the user's cache). Edited
builds read the same state for a copy of ``airlift.yaml`` with one comment line
more, written before the clock starts: an ``airlift.yaml`` changed since the
refresh, parsed and checked in full. Each run is a fresh process, so the first build
of the process is the one measured, as in a code server.
Imports are done before the clock starts, as for dagster-airlift's driver (which has
``requests`` and ``urllib3`` imported by ``dagster_airlift``): the REST client (httpx),
which ``build_defs`` imports lazily, is imported here up front, and so is httpcore, which
httpx imports only when its first client is made (about 0.05 s of a cold build).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import dagster as dg
import httpcore  # noqa: F401

from airlift_component.airflow_api import client as _client  # noqa: F401
from airlift_component.component.defs_builder import build_defs


def cmd_defs(yaml_path: Path, cache_dir: Path, mode: str) -> None:
    if mode == "cold":
        shutil.rmtree(cache_dir, ignore_errors=True)
    if mode == "edited":  # the same file and one comment more: not the refreshed one
        edited = cache_dir / "edited" / yaml_path.name
        edited.parent.mkdir(exist_ok=True)
        edited.write_text(yaml_path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        yaml_path = edited
    wall, cpu = time.perf_counter(), time.process_time()
    defs = build_defs(yaml_path, state_file=cache_dir / "state.json", refresh="if_missing")
    repo = defs.get_repository_def()
    assets = len(repo.asset_graph.get_all_asset_keys())
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


def cmd_sensor(yaml_path: Path, cache_dir: Path) -> None:
    defs = build_defs(yaml_path, state_file=cache_dir / "state.json", refresh="if_missing")
    repo = defs.get_repository_def()
    (sensor,) = repo.sensor_defs
    # A code server resolves the asset graph when it loads the repository (for its
    # snapshot), before the daemon asks for any tick: not a tick's cost.
    repo.asset_graph  # noqa: B018
    instance = dg.DagsterInstance.ephemeral()
    cursor: str | None = None
    print(json.dumps({"ready": True}), flush=True)
    for _line in sys.stdin:
        wall, cpu = time.perf_counter(), time.process_time()
        context = dg.build_sensor_context(instance=instance, cursor=cursor, repository_def=repo)
        result = sensor(context)
        events = len(result.asset_events) if isinstance(result, dg.SensorResult) else 0
        if isinstance(result, dg.SensorResult) and result.cursor is not None:
            cursor = result.cursor
        elif context.cursor is not None:
            cursor = context.cursor
        print(
            json.dumps(
                {
                    "seconds": time.perf_counter() - wall,
                    "cpu_seconds": time.process_time() - cpu,
                    "events": events,
                    "ticks": 1,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    command, yaml_file, cache = sys.argv[1:4]
    if command == "defs":
        cmd_defs(Path(yaml_file), Path(cache), sys.argv[4])
    else:
        cmd_sensor(Path(yaml_file), Path(cache))
