"""Who may import whom: the layers of docs/architecture.md, read from the source.

Every ``import`` counts, also those inside functions and under ``TYPE_CHECKING``:
a lazy import is still a dependency. So does a string that is the dotted name of a
module of the project, such as ``cli/main.py``'s table of commands, which are
imported by name (``importlib.import_module``) when a command runs. The isolation tests
(``test_base_install``, ``test_airflow_side_isolation``,
``test_dagster_side_isolation``) prove the same at run time in blocked
interpreters; this one names the offending file and line at once.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Layer -> the project layers it may import. "" is the package root (``__version__``).
ALLOWED: dict[str, set[str]] = {
    "": set(),
    "errors": {"config"},
    "mapping_tags": set(),
    "redact": set(),
    "config": {"", "errors", "mapping_tags"},
    "airflow_api": {"config", "errors"},
    "dagster_api": {"airflow_api", "config", "errors", "mapping_tags"},
    "airflow_state": {"airflow_api", "config", "errors", "mapping_tags"},
    "status": {"config", "errors"},
    "cli": {
        "airflow_api",
        "airflow_state",
        "config",
        "dagster_api",
        "decommission",
        "errors",
        "generate",
        "import_python",
        "mapping_tags",
        "status",
    },
    "generate": {"airflow_api", "airflow_state", "config", "errors", "mapping_tags"},
    "import_python": {"config", "errors"},
    "decommission": {"airflow_api", "config"},
    "__main__": {"cli"},
    "sensor": {"airflow_api", "airflow_state", "config", "errors"},
    "component": {
        "airflow_api",
        "airflow_state",
        "config",
        "decommission",
        "errors",
        "mapping_tags",
        "sensor",
    },
    "airflow_side": {"config", "dagster_api", "errors", "mapping_tags"},
}

for _layer_deps in ALLOWED.values():
    _layer_deps.add("redact")

#: Third-party packages only some layers may import.
GUARDED = {"dagster": {"component"}, "dagster_dg_cli": {"component"}, "airflow": {"airflow_side"}}


def _layer(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[0] == "airflow_side":
        return "airflow_side"
    return "" if parts[1] == "__init__" else parts[1]


#: A module of the project named in a string: imported by name.
_MODULE_NAME = re.compile(r"(airlift_component|airflow_side)(\.[A-Za-z_]\w*)+")


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _MODULE_NAME.fullmatch(node.value):
                found.append((node.lineno, node.value))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "airlift_component":
                found += [(node.lineno, f"airlift_component.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def _target(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] == "airflow_side":
        return "airflow_side"
    if parts[0] != "airlift_component":
        return None
    if len(parts) == 1 or parts[1] == "__version__":
        return ""
    return parts[1]


SOURCES = sorted(
    [*(ROOT / "airlift_component").rglob("*.py"), *(ROOT / "airflow_side").rglob("*.py")]
)


def violations(path: Path) -> list[str]:
    """Every import in ``path`` that its layer may not make, as ``file:line: message``."""
    layer = _layer(path)
    where = path.relative_to(ROOT)
    bad = []
    for line, name in _imports(path):
        top = name.split(".")[0]
        if top in GUARDED and layer not in GUARDED[top]:
            bad.append(f"{where}:{line}: layer {layer or 'root'!r} imports {name}")
        target = _target(name)
        if target is not None and target != layer and target not in ALLOWED[layer]:
            bad.append(f"{where}:{line}: layer {layer or 'root'!r} imports {name}")
    return bad


#: Inside ``config/``: sub-package (or ground-floor module) -> what it may import
#: of ``config``. The two formats stand apart on the YAML machinery and the ground
#: floor (problems, ids, atomic writes, error locating); only ``validation``
#: combines them.
CONFIG_GROUND = {
    "problems",
    "ids",
    "short_list",
    "atomic_write",
    "model_errors",
    "user_cache",
    "bounded_read",
}
CONFIG_ALLOWED: dict[str, set[str]] = {
    **{ground: CONFIG_GROUND - {ground} | {"yaml"} for ground in CONFIG_GROUND},
    "yaml": {"problems", "bounded_read"},
    "airlift_yaml": CONFIG_GROUND | {"yaml"},
    "proxied_state": CONFIG_GROUND | {"yaml"},
    "validation": CONFIG_GROUND | {"yaml", "airlift_yaml", "proxied_state"},
    "__init__": set(),
}


def _config_part(name: str) -> str | None:
    parts = name.split(".")
    if parts[:2] != ["airlift_component", "config"] or len(parts) < 3:
        return None
    return parts[2]


def config_violations(path: Path) -> list[str]:
    """Imports inside ``config/`` that go sideways between the formats or back up."""
    relative = path.relative_to(ROOT / "airlift_component" / "config").with_suffix("")
    part = relative.parts[0]
    where = path.relative_to(ROOT)
    bad = []
    for line, name in _imports(path):
        target = _config_part(name)
        if target is not None and target != part and target not in CONFIG_ALLOWED[part]:
            bad.append(f"{where}:{line}: config/{part} imports {name}")
    return bad


CONFIG_SOURCES = sorted((ROOT / "airlift_component" / "config").rglob("*.py"))


def test_every_config_part_is_known() -> None:
    parts = {p.relative_to(ROOT / "airlift_component" / "config").parts[0] for p in CONFIG_SOURCES}
    assert {part.removesuffix(".py") for part in parts} <= set(CONFIG_ALLOWED)


@pytest.mark.parametrize("path", CONFIG_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_formats_import_only_downward(path: Path) -> None:
    assert config_violations(path) == []


def test_one_format_importing_the_other_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / "airlift_component" / "config" / "proxied_state" / "x.py"
    path.parent.mkdir(parents=True)
    path.write_text("from airlift_component.config.airlift_yaml.model import AirliftFile\n")
    (found,) = config_violations(path)
    assert found.startswith("airlift_component/config/proxied_state/x.py:1:")
    assert "config/proxied_state imports airlift_component.config.airlift_yaml.model" in found


def test_every_layer_is_known() -> None:
    assert {_layer(path) for path in SOURCES} <= set(ALLOWED)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_layers(path: Path) -> None:
    assert violations(path) == []


def test_the_commands_imported_by_name_are_imports_of_the_cli() -> None:
    """Each module of cli/main.py's table is read as an import of main.py, and is a
    source whose own imports these rules check."""
    from airlift_component.cli.main import COMMANDS

    main = ROOT / "airlift_component" / "cli" / "main.py"
    names = {name for _line, name in _imports(main)}
    for module in COMMANDS.values():
        assert module in names
        assert ROOT / (module.replace(".", "/") + ".py") in SOURCES


@pytest.mark.parametrize(
    ("layer_file", "source", "offending"),
    [
        (
            "airlift_component/cli/cmd_x.py",
            "from airlift_component.component import build_defs",
            "component",
        ),
        (
            "airlift_component/cli/main.py",
            "COMMANDS = {'x': 'airlift_component.component.cmd_x'}",
            "component",
        ),
        ("airlift_component/component/x.py", "from airlift_component.cli import main", "cli"),
        ("airlift_component/config/x.py", "import dagster", "dagster"),
        ("airlift_component/airflow_state/x.py", "def f():\n    import dagster as dg\n", "dagster"),
        ("airflow_side/x.py", "from dagster import asset", "dagster"),
        ("airlift_component/component/x.py", "from airflow.sdk import DAG", "airflow"),
    ],
    ids=[
        "cli->component",
        "cli->component by name",
        "component->cli",
        "base->dagster",
        "lazy base->dagster",
        "airflow_side->dagster",
        "component->airflow",
    ],
)
def test_a_forbidden_import_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layer_file: str, source: str, offending: str
) -> None:
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    path = tmp_path / layer_file
    path.parent.mkdir(parents=True)
    path.write_text(source)
    (found,) = violations(path)
    assert offending in found and found.startswith(layer_file)
