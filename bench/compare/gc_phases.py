"""Where a definitions build's CPU goes, the cyclic collector's share apart (prints JSON).

    python gc_phases.py ours AIRLIFT.yaml STATE.json warm|stored
    python gc_phases.py floor SPECS.pickle

Run by our venv's python in a fresh process, on a workload ``floor_ratio.py`` or
``run.py`` prepared (``stored`` deletes the checked ``airlift.yaml`` first). Each
phase reports its CPU seconds, the part of them spent in the collector
(``gc.callbacks``), the collections of each generation and ``scanned``: the objects
tracked at the start of each full (generation 2) pass, summed, which unlike CPU time
does not move with the machine's load; ``end_tracked`` is how many objects the
collector tracks once the asset graph is resolved. The phases of
ours are the steps of ``build_defs`` (each wrapped here) and then the repository
and asset graph; the floor's are Dagster constructing the specs, then the
repository and asset graph, as in ``drive_floor.py``. A diagnostic, not a test:
it patches the module it measures, so its totals are not the benchmark's.
"""

from __future__ import annotations

import gc
import json
import pickle
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg

STEPS = ("read_state_file", "load_for_defs", "instance_specs", "build_sensor", "_definitions")


class Collector:
    """CPU seconds spent in the collector, collections per generation and objects
    scanned by full passes, so far."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.passes = [0, 0, 0]
        self.scanned = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            if info["generation"] == 2:
                self.scanned += len(gc.get_objects())
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started
            self.passes[info["generation"]] += 1

    def phase(self, name: str, call: Callable[[], Any], out: list[dict[str, Any]]) -> Any:
        cpu, seconds, passes = time.process_time(), self.seconds, list(self.passes)
        scanned = self.scanned
        result = call()
        out.append(
            {
                "phase": name,
                "cpu_seconds": round(time.process_time() - cpu, 3),
                "gc_seconds": round(self.seconds - seconds, 3),
                "collections": [a - b for a, b in zip(self.passes, passes, strict=True)],
                "scanned": self.scanned - scanned,
            }
        )
        return result


def ours(yaml_path: Path, state_file: Path, mode: str) -> list[dict[str, Any]]:
    import httpcore  # noqa: F401  (imported before the clock, as in drive_ours.py)

    from airlift_component.airflow_api import client as _client  # noqa: F401
    from airlift_component.component import defs_builder

    collector, phases = Collector(), list[dict[str, Any]]()
    for step in STEPS:
        original = getattr(defs_builder, step)

        def timed(*args: Any, _step: str = step, _call: Any = original, **kw: Any) -> Any:
            return collector.phase(_step, lambda: _call(*args, **kw), phases)

        setattr(defs_builder, step, timed)
    defs = collector.phase(
        "build_defs (all)",
        lambda: defs_builder.build_defs(yaml_path, state_file=state_file, refresh="never"),
        phases,
    )
    collector.phase(
        "repository and asset graph",
        lambda: defs.get_repository_def().asset_graph.get_all_asset_keys(),
        phases,
    )
    return phases


def floor(specs_file: Path) -> list[dict[str, Any]]:
    fields = pickle.loads(specs_file.read_bytes())
    collector, phases = Collector(), list[dict[str, Any]]()
    specs = collector.phase("specs", lambda: [dg.AssetSpec(**kw) for kw in fields], phases)
    fields.clear()
    collector.phase(
        "repository and asset graph",
        lambda: dg.Definitions(assets=specs).get_repository_def().asset_graph.get_all_asset_keys(),
        phases,
    )
    return phases


if __name__ == "__main__":
    if sys.argv[1] == "ours":
        found = ours(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4])
    else:
        found = floor(Path(sys.argv[2]))
    print(json.dumps({"phases": found, "end_tracked": len(gc.get_objects())}, indent=1))
