"""Dagster's internals enter through one module, under a pin of the Dagster the tests run.

``component/dagster_private.py`` is the only importer of ``dagster._…`` and
``dagster_shared`` and says why it needs each name; ``pyproject.toml``'s
``[dagster]`` extra admits the Dagster that ``constraints/dev`` locks and no
minor release the tests have not run.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from airlift_component.component import dagster_private

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / "airlift_component" / "component" / "dagster_private.py"
SOURCES = sorted(
    [*(ROOT / "airlift_component").rglob("*.py"), *(ROOT / "airflow_side").rglob("*.py")]
)


def _is_internal(module: str) -> bool:
    return module.startswith("dagster._") or module.split(".")[0] == "dagster_shared"


def internal_imports(path: Path) -> list[str]:
    """``file:line: module`` for every import of a Dagster internal in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        found += [
            f"{path.relative_to(ROOT)}:{node.lineno}: {name}"
            for name in names
            if _is_internal(name)
        ]
    return found


@pytest.mark.parametrize(
    "path", [p for p in SOURCES if p != GATE], ids=lambda p: str(p.relative_to(ROOT))
)
def test_only_the_gate_imports_dagster_internals(path: Path) -> None:
    assert internal_imports(path) == [], (
        "import it from airlift_component.component.dagster_private"
    )


def test_the_gate_says_why_it_needs_each_name() -> None:
    doc = dagster_private.__doc__ or ""
    assert [name for name in dagster_private.__all__ if f"{name}`" not in doc] == []
    assert internal_imports(GATE), "the gate is where the internals are imported"


def _locked_dagster() -> set[tuple[int, ...]]:
    locked = set()
    for path in (ROOT / "constraints" / "dev").glob("constraints-*.txt"):
        match = re.search(r"^dagster==([\d.]+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
        assert match, f"{path.name} locks no dagster"
        locked.add(tuple(int(part) for part in match.group(1).split(".")))
    return locked


def test_the_dagster_extra_admits_what_is_tested_and_no_untested_minor() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (spec,) = [d for d in project["optional-dependencies"]["dagster"] if d.startswith("dagster")]
    match = re.fullmatch(r"dagster>=([\d.]+),<(\d+)\.(\d+)", spec.replace(" ", ""))
    assert match, f"pin dagster as 'dagster>=X.Y.Z,<X.(Y+1)', not {spec!r}"
    floor = tuple(int(part) for part in match.group(1).split("."))
    ceiling = (int(match.group(2)), int(match.group(3)))
    locked = _locked_dagster()
    assert min(locked) == floor, "the floor is the Dagster constraints/dev locks"
    assert ceiling == (floor[0], floor[1] + 1), "the pin stops before the next minor release"
    assert all(floor <= version and version[:2] < ceiling for version in locked)
