"""Shared by the import-python tests: the case modules and running an import on one."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from airlift_component.config.validation.validate import validate_paths
from airlift_component.import_python import ImportResult, import_definitions, render_airlift_yaml

CASES = Path(__file__).resolve().parent / "import_python_cases"

#: Case folder -> the definitions module inside it.
MODULES = {
    "basic": "shop/definitions.py",
    "mwaa": "definitions.py",
    "custom_auth": "billing/definitions.py",
    "several": "definitions.py",
    "leftovers": "lefty/definitions.py",
}


def copy_case(case: str, into: Path) -> Path:
    """Copy the case's project root into ``into``; the path of its definitions module."""
    root = into / case
    shutil.copytree(CASES / case, root)
    return root / MODULES[case]


def run_import(case: str, into: Path) -> tuple[ImportResult, Path, str]:
    """Import the case, write ``airlift.yaml`` next to its root; result, path and text."""
    module = copy_case(case, into)
    result = import_definitions(module)
    text, _ = render_airlift_yaml(result)
    out = into / case / "airlift.yaml"
    out.write_text(text)
    return result, out, text


def data_of(text: str) -> dict[str, Any]:
    """The YAML text as plain data."""
    return YAML(typ="safe").load(text)


def validate_problems(path: Path) -> list[str]:
    """What `airlift validate` (the project's validator) says about ``path``."""
    return [p.format() for p in validate_paths([path]).problems]
