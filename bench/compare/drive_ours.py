"""Driver for this project, run by our venv's python (prints JSON).

    python drive_ours.py defs   AIRLIFT.yaml CACHE_DIR cold|stored|warm
    python drive_ours.py sensor AIRLIFT.yaml CACHE_DIR        (then "tick" lines on stdin)

Cold builds find no state at all (the state and the checked ``airlift.yaml`` are
deleted): they parse and check ``airlift.yaml`` and fetch the Airflow state
(``refresh="if_missing"``). Stored builds read the state but not the checked
``airlift.yaml`` (a fresh container). Warm builds read what the cold build wrote
(``CACHE_DIR/state.json`` and the checked ``airlift.yaml``), as a code server or run
worker on the same host loads from state. Each run is a fresh process, so the first build of
the process is the one measured, as in a code server.
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
from airlift_component.config.airlift_yaml.checked_cache import (
    cache_file_for,
    content_digest,
    read_checked,
)
from airlift_component.config.yaml.read import read_text


def cmd_defs(yaml_path: Path, cache_dir: Path, mode: str) -> None:
    if mode in ("cold", "stored"):  # no checked airlift.yaml, wherever it is kept
        shutil.rmtree(yaml_path.parent / ".airlift", ignore_errors=True)
        checked = cache_file_for(yaml_path.resolve())
        if checked is not None:
            checked.unlink(missing_ok=True)
    if mode == "cold":
        shutil.rmtree(cache_dir, ignore_errors=True)
    checked = _has_checked_form(yaml_path)
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
                "checked": checked,
            }
        ),
        flush=True,
    )


def _has_checked_form(yaml_path: Path) -> bool:
    """Whether the build will find the checked ``airlift.yaml`` (a warm build without
    it is a stored one: it happens when the checking code changed since it was written,
    e.g. someone edited it in a shared working tree during the run)."""
    checked = cache_file_for(yaml_path.resolve())
    digest = content_digest(read_text(yaml_path, what="airlift.yaml"))
    return checked is not None and read_checked(checked, digest) is not None


def cmd_sensor(yaml_path: Path, cache_dir: Path) -> None:
    defs = build_defs(yaml_path, state_file=cache_dir / "state.json", refresh="if_missing")
    repo = defs.get_repository_def()
    (sensor,) = repo.sensor_defs
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
