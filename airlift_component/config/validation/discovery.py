"""Which files `airlift validate` checks, and what kind of file each one is.

A file's kind comes from its name and place, the same rule the pre-commit hook's
``files`` pattern uses: ``airlift.yaml`` / ``airlift.yml`` is an airlift file and
any ``*.yaml`` / ``*.yml`` in a folder named ``proxied_state`` is a proxied-state
file. A file named explicitly that fits neither rule is judged by its content
(see :func:`guess_kind`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Literal

FileKind = Literal["airlift", "proxied-state"]

AIRLIFT_NAMES = frozenset({"airlift.yaml", "airlift.yml"})
PROXIED_STATE_FOLDER = "proxied_state"
YAML_SUFFIXES = frozenset({".yaml", ".yml"})
SKIPPED_FOLDERS = frozenset({".git", "node_modules", "__pycache__", ".mypy_cache", ".tox"})


def kind_by_name(path: Path) -> FileKind | None:
    """The kind a file's name and folder say it is, or ``None`` when they say nothing."""
    if path.name in AIRLIFT_NAMES:
        return "airlift"
    if path.parent.name == PROXIED_STATE_FOLDER and path.suffix in YAML_SUFFIXES:
        return "proxied-state"
    return None


def guess_kind(data: Any) -> FileKind:
    """The kind of a file with an unhelpful name, from its parsed content.

    A mapping with ``version`` or ``instances`` is an airlift file; anything else is
    checked as a proxied-state file (whose errors then say what that format needs).
    """
    if isinstance(data, dict) and ("version" in data or "instances" in data):
        return "airlift"
    return "proxied-state"


def _skipped(name: str) -> bool:
    return name in SKIPPED_FOLDERS or name.startswith(".venv")


def excluded(path: Path, patterns: Sequence[str]) -> bool:
    """True when a glob of ``patterns`` matches ``path`` (as walked, normalized) or its
    name: ``tests/corpus``, ``tests/*`` and ``fixtures`` all exclude ``tests/fixtures``."""
    if not patterns:
        return False
    text = Path(os.path.normpath(path)).as_posix()
    return any(fnmatch(text, pattern) or fnmatch(path.name, pattern) for pattern in patterns)


def discover(
    folder: Path,
    on_error: Callable[[OSError], None] | None = None,
    exclude: Sequence[str] = (),
) -> Iterator[tuple[Path, FileKind]]:
    """Every airlift file and proxied-state file under ``folder``, in a stable order.

    Skips ``.git``, ``.venv*``, ``node_modules``, caches and whatever ``exclude``
    matches (see :func:`excluded`); does not follow symlinked folders (they may
    loop). A folder that cannot be listed is passed to ``on_error`` (it is never
    skipped silently when one is given).
    """
    for root, dirs, files in os.walk(folder, onerror=on_error):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not _skipped(d) and not excluded(here / d, exclude))
        in_state_folder = here.name == PROXIED_STATE_FOLDER
        for name in sorted(files):
            path = here / name
            if excluded(path, exclude):
                continue
            if name in AIRLIFT_NAMES:
                yield path, "airlift"
            elif in_state_folder and path.suffix in YAML_SUFFIXES:
                yield path, "proxied-state"
