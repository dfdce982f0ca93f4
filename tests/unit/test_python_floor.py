"""One Python floor: the one ``pyproject.toml`` declares, and every place that states
or depends on it (tools, setup script, constraints, README) says the same."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _floor() -> tuple[int, int]:
    match = re.fullmatch(r">=\s*3\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert match, "requires-python should read '>=3.N'"
    return (3, int(match.group(1)))


FLOOR = _floor()
DOTTED = f"{FLOOR[0]}.{FLOOR[1]}"


def test_the_floor_is_what_the_environment_is_built_and_tested_on() -> None:
    dev = sorted(
        tuple(int(p) for p in path.stem.removeprefix("constraints-").split("."))
        for path in (ROOT / "constraints" / "dev").glob("constraints-3.*.txt")
    )
    assert dev[0] == FLOOR, "the lowest constraints/dev file is the floor"
    assert sys.version_info[:2] >= FLOOR


def test_ruff_and_mypy_target_the_floor() -> None:
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py3{FLOOR[1]}"
    assert PYPROJECT["tool"]["mypy"]["python_version"] == DOTTED


def test_scripts_setup_refuses_below_the_floor() -> None:
    setup = (ROOT / "scripts" / "setup").read_text(encoding="utf-8")
    checks = re.findall(r"sys\.version_info < \((\d+), (\d+)\)", setup)
    assert checks == [(str(FLOOR[0]), str(FLOOR[1]))]
    assert f"older than Python {DOTTED}" in setup


def test_the_readme_states_the_floor() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.findall(r"Python (3\.\d+)(?:\+| or newer)", readme)
    assert f"Python {DOTTED} or newer" in readme
    assert set(stated) == {DOTTED}
