"""One spelling of the component's ``type:``: the one ``dg list components`` prints.

The class is importable from ``airlift_component.component`` too, so a second
spelling would load; the docs and projects still show only the registry's name,
which is the entry point's module (``dagster_dg_cli.registry_modules``) plus the
class name.
"""

from __future__ import annotations

import re
import tomllib
from importlib import import_module
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TYPE_LINE = re.compile(r"^\s*type:\s*(airlift_component\.[\w.]+)\s*$", re.MULTILINE)


def _registered_name() -> str:
    entry_points = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    (module,) = entry_points["dagster_dg_cli.registry_modules"].values()
    return f"{module}.AirliftComponent"


def _shown() -> dict[str, str]:
    places = [*(ROOT / "docs").glob("*.md"), ROOT / "README.md"]
    places += [*(ROOT / "example_project").rglob("defs.yaml")]
    places += [*(ROOT / "tests" / "e2e" / "projects").rglob("defs.yaml")]
    return {
        f"{path.relative_to(ROOT)}: {name}": name
        for path in places
        for name in TYPE_LINE.findall(path.read_text(encoding="utf-8"))
    }


def test_every_type_line_is_the_registered_name() -> None:
    shown = _shown()
    assert len(shown) >= 3
    assert {where for where, name in shown.items() if name != _registered_name()} == set()


def test_the_registered_name_is_the_component_class() -> None:
    module, _, name = _registered_name().rpartition(".")
    from airlift_component.component import AirliftComponent

    assert getattr(import_module(module), name) is AirliftComponent
