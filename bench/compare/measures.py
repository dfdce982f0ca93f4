"""What every section of ``run.py`` shares: our interpreter, a driver's run and the rows.

Its own module so that the sections ``run.py`` loads (``parse_bench.py``,
``proxy_bench.py``) and ``floor_ratio.py`` import these without importing ``run.py``,
which imports them.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OURS = str(ROOT / ".venv" / "bin" / "python")
QUIET = {**os.environ, "PYTHONWARNINGS": "ignore", "DAGSTER_HOME": ""}
QUIET.pop("DAGSTER_HOME")


@dataclass
class Measure:
    seconds: float
    calls: int | None = None
    cpu_seconds: float | None = None


@dataclass
class Row:
    benchmark: str
    ours: Measure | None
    theirs: Measure | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """Ours over theirs by CPU seconds when both have them (on a shared machine
        wall time includes waiting for a core), else by wall seconds."""
        if self.ours is None or self.theirs is None:
            return None
        if self.ours.cpu_seconds and self.theirs.cpu_seconds:
            return self.ours.cpu_seconds / self.theirs.cpu_seconds
        return self.ours.seconds / self.theirs.seconds if self.theirs.seconds else None


def run_json(
    command: list[str], *, cwd: Path | None = None, timeout: float = 600
) -> dict[str, Any]:
    """Run a driver and parse the last JSON line it prints."""
    result = subprocess.run(
        command, capture_output=True, text=True, env=QUIET, cwd=cwd, timeout=timeout
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(
            f"{' '.join(command[:3])} failed ({result.returncode}):\n{result.stderr[-3000:]}"
        )
    return dict(json.loads(lines[-1]))
