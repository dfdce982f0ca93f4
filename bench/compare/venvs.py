"""Throwaway virtual environments holding dagster-airlift (never a project dependency).

Created with ``uv`` under ``.venv-bench-*`` in the repository (ignored by git
through ``.venv*/``), reused while present; delete them to get the newest
release again.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
THEIRS = ROOT / ".venv-bench-theirs"
THEIRS_AIRFLOW = ROOT / ".venv-bench-theirs-airflow2"
OUR_AIRFLOW2 = ROOT / ".venv-airflow2"

_SPECS = {
    THEIRS: ["dagster-airlift[core]"],
    THEIRS_AIRFLOW: ["apache-airflow==2.10.5", "dagster-airlift[in-airflow]"],
}


def python(venv: Path) -> str:
    return str(venv / "bin" / "python")


def ensure(venv: Path) -> str:
    """The venv's python, creating the venv and installing its packages when missing."""
    marker = venv / ".bench-installed"
    if not marker.exists():
        print(f"  installing {' '.join(_SPECS[venv])} into {venv.name} (uv) ...", flush=True)
        subprocess.run(["uv", "venv", "-q", "--python", "3.11", str(venv)], check=True)
        env = {**os.environ, "VIRTUAL_ENV": str(venv)}
        subprocess.run(["uv", "pip", "install", "-q", *_SPECS[venv]], check=True, env=env)
        marker.write_text("ok\n")
    return python(venv)


def version(python_exe: str, distribution: str) -> str:
    """The installed version of a distribution in another interpreter."""
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    result = subprocess.run([python_exe, "-c", code], capture_output=True, text=True)
    return result.stdout.strip() or "?"
