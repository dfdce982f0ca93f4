"""bench/compare/run.py's floor rows say what they measure (issue 21).

Since the state carries airlift.yaml's checked mappings, a build from the stored
state is the warm row's build; the row beside the floor measures the one load that
differs, an airlift.yaml edited since the refresh. Nothing is run: the drivers are
replaced by a recorder."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

RUN_PY = Path(__file__).resolve().parents[2] / "bench" / "compare" / "run.py"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setattr(sys, "path", list(sys.path))  # run.py prepends its folders
    spec = importlib.util.spec_from_file_location("bench_compare_run", RUN_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_floor_rows_measure_the_edited_build_beside_the_warm_one(
    run: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    commands: list[list[str]] = []
    cpu = {"edited": 3.0, "floor": 2.0}

    def measure(command: list[str]) -> Any:
        commands.append(command)
        mode = "floor" if "floor" in command else command[-1]
        return run.Measure(cpu[mode], None, cpu[mode])

    def floor_specs(command: list[str]) -> dict[str, Any]:
        commands.append(command)
        return {}

    monkeypatch.setattr(run, "_measure", measure)
    monkeypatch.setattr(run, "run_json", floor_specs)
    ours = ["python", "drive_ours.py", "defs", "airlift.yaml", "cache"]
    warm = run.Measure(2.5, 0, 2.5)

    stored_row, floor_row = run.floor_rows(
        1000, tmp_path / "airlift.yaml", tmp_path / "cache", ours, 1, warm
    )

    modes = [command[-1] for command in commands if command[:2] == ours[:2]]
    assert modes == ["edited"]  # not "stored": that is the warm row's build
    assert stored_row.benchmark == (
        "defs build from stored state, airlift.yaml edited since the refresh, 1,000 DAGs x 10 tasks"
    )
    assert stored_row.note.startswith("1.50x the floor (CPU)")
    assert "no checked airlift.yaml" not in stored_row.benchmark
    assert floor_row.note == "ours warm 1.25x the floor (CPU); target <= 1.25x"
