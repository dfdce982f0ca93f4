"""Reading Python modules by their syntax: the file, its tree and its dotted name.

Nothing is imported or run. A module's dotted name comes from the packages
(folders with ``__init__.py``) around it; a module it imports is found as a
file under the same root, so the keys of an ``@asset`` defined elsewhere in
the project can be read too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from airlift_component.config.yaml.read import YamlLoadError, read_bytes
from airlift_component.import_python.result import ImportPythonError

#: Largest module read (definitions are code a person wrote).
MAX_SOURCE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    """One parsed module: where it is, its dotted name and its syntax tree."""

    path: Path
    module: str
    tree: ast.Module


def package_root(path: Path) -> tuple[Path, str]:
    """The folder on ``sys.path`` for ``path`` and the module's dotted name there."""
    parts = [path.stem] if path.name != "__init__.py" else []
    folder = path.resolve().parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts) or path.stem


def read_source(path: Path, module: str) -> SourceFile:
    """Read and parse ``path``; :class:`ImportPythonError` naming the file when it cannot."""
    try:
        raw = read_bytes(path, what="a Python module", limit=MAX_SOURCE_BYTES)
    except YamlLoadError as exc:
        problem = exc.problem
        raise ImportPythonError(f"{path}: {problem.message}; {problem.hint}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportPythonError(
            f"{path}: byte {exc.start} is not UTF-8; save it as UTF-8"
        ) from None
    try:
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", None) or 1
        col = getattr(exc, "offset", None) or 1
        reason = getattr(exc, "msg", None) or str(exc)
        raise ImportPythonError(
            f"{path}:{line}:{col}: not valid Python ({reason}); fix the module first"
        ) from None
    except RecursionError:
        raise ImportPythonError(f"{path}: nested too deeply to read") from None
    return SourceFile(path, module, tree)


def module_file(root: Path, module: str) -> Path | None:
    """The file of ``module`` under ``root`` (``a/b.py`` or ``a/b/__init__.py``), if any."""
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None
