"""docs/architecture.md says what the code is: its layer tables are the import
rules of ``test_import_rules``, and every module it names exists.

A newcomer reads the doc to find where a rule, a sensor decision or a command
lives; a renamed module or a new layer must change the doc in the same commit.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.unit.test_import_rules import ALLOWED, CONFIG_ALLOWED, CONFIG_GROUND

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
TEXT = DOC.read_text(encoding="utf-8")
TICKED = re.compile(r"`([^`]+)`")


def _table_after(heading: str) -> list[list[str]]:
    """The cells of the first Markdown table after ``heading``, header rows dropped."""
    section = TEXT[TEXT.index(heading) :]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        if line.startswith("|") and not set(line) <= set("|- "):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]


def _names(cell: str) -> set[str]:
    return {name.rstrip("/") for name in TICKED.findall(cell)}


def test_the_package_table_is_the_import_rules() -> None:
    documented: dict[str, set[str]] = {}
    for package, _owns, may_import in _table_after("## The packages, from the ground up"):
        (layer,) = _names(package)
        plain = re.sub(r"\([^)]*\)", "", may_import)  # asides name no layer
        names = {n for n in _names(plain) if "." not in n and "/" not in n}
        if "package root" in may_import:
            names.add("")
        documented[layer] = names
    rules = {
        layer: allowed - {"redact"}
        for layer, allowed in ALLOWED.items()
        if layer not in ("", "__main__")
    }
    assert documented == rules


def _expand(cell: str, part: str) -> set[str]:
    if "all of the above" in cell:
        return set(CONFIG_ALLOWED) - {part, "__init__"}
    names = _names(cell)
    if "ground" in cell or "each other" in cell:
        names |= CONFIG_GROUND
    return names


def test_the_config_table_is_the_config_import_rules_and_names_every_module() -> None:
    config = ROOT / "airlift_component" / "config"
    rows = _table_after("### Inside `config/`")
    assert len(rows) == 1 + len({"yaml", "airlift_yaml", "proxied_state", "validation"})
    for floor, holds, may_import in rows:
        if floor == "ground":
            assert _names(holds) == CONFIG_GROUND
            for ground in CONFIG_GROUND:
                assert _expand(may_import, ground) - {ground} == CONFIG_ALLOWED[ground]
            continue
        (part,) = _names(floor)
        modules = {p.stem for p in (config / part).glob("*.py")} - {"__init__"}
        assert _names(holds) >= modules, f"{part}/ modules missing from the doc"
        assert _expand(may_import, part) == CONFIG_ALLOWED[part]


def _module_file(dotted: str) -> tuple[Path, list[str]] | None:
    """The module a dotted name starts with, and the names after it."""
    parts = dotted.split(".")
    roots = {"airflow_side": ROOT / "airflow_side"}
    base = roots.get(parts[0], ROOT / "airlift_component" / parts[0])
    if not base.is_dir() and not base.with_suffix(".py").is_file():
        return None
    for cut in range(len(parts), 0, -1):
        inside = parts[1:cut]
        path = base.joinpath(*inside)
        if path.with_suffix(".py").is_file():
            return path.with_suffix(".py"), parts[cut:]
        if (path / "__init__.py").is_file():
            return path / "__init__.py", parts[cut:]
    return None


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Assign):
        return {t.id for t in node.targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {alias.asname or alias.name for alias in node.names}
    return set()


def _defines(path: Path, name: str) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(name in _defined_names(node) for node in tree.body)


DOTTED = sorted(
    {
        name
        for name in TICKED.findall(TEXT)
        if re.fullmatch(r"[a-z_]+(\.[A-Za-z_]+)+", name) and _module_file(name) is not None
    }
)


def test_the_doc_names_modules() -> None:
    assert len(DOTTED) >= 10


@pytest.mark.parametrize("dotted", DOTTED)
def test_every_module_the_doc_names_exists(dotted: str) -> None:
    found = _module_file(dotted)
    assert found is not None
    path, rest = found
    assert len(rest) <= 1, f"{dotted}: no module {'.'.join(rest)} in {path.relative_to(ROOT)}"
    if rest:
        assert _defines(path, rest[0]), f"{dotted}: {path.relative_to(ROOT)} has no {rest[0]}"
