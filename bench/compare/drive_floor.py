"""Dagster's own floor for our definitions build, run by our venv's python (prints JSON).

    python drive_floor.py capture AIRLIFT.yaml STATE.json SPECS.pickle
    python drive_floor.py floor SPECS.pickle

``capture`` builds our definitions from the stored state once and records the exact
keyword arguments our build hands to ``dg.AssetSpec`` (every spec goes through
``asset_specs.new_spec``). ``floor``, in a fresh process, reads them back before the
clock starts, then times what no implementation of this component can avoid:
Dagster constructing those specs, ``dg.Definitions(assets=specs)``, the repository
and its asset graph (as ``drive_ours.py defs`` does after ``build_defs``). The
collector stays on, as a user runs it. ``run.py`` prints our warm build over this
floor.
"""

from __future__ import annotations

import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import dagster as dg


def cmd_capture(yaml_path: Path, state_file: Path, out: Path) -> None:
    from airlift_component.component import asset_specs
    from airlift_component.component.defs_builder import build_defs

    captured: list[dict[str, Any]] = []
    original = asset_specs.new_spec

    def recording(**fields: Any) -> dg.AssetSpec:
        captured.append(fields)
        return original(**fields)

    asset_specs.new_spec = recording  # type: ignore[assignment]
    build_defs(yaml_path, state_file=state_file, refresh="never")
    out.write_bytes(pickle.dumps(captured, protocol=pickle.HIGHEST_PROTOCOL))
    print(json.dumps({"specs": len(captured)}))


def _build(fields: list[dict[str, Any]]) -> int:
    # Its own frame, so the list of keyword arguments is dropped with it.
    specs = [dg.AssetSpec(**kw) for kw in fields]
    fields.clear()
    repo = dg.Definitions(assets=specs).get_repository_def()
    return len(repo.asset_graph.get_all_asset_keys())


def cmd_floor(specs_file: Path) -> None:
    fields = pickle.loads(specs_file.read_bytes())
    wall, cpu = time.perf_counter(), time.process_time()
    assets = _build(fields)
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - wall,
                "cpu_seconds": time.process_time() - cpu,
                "assets": assets,
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        cmd_capture(Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
    else:
        cmd_floor(Path(sys.argv[2]))
