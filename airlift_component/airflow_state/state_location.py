"""Where the Airflow state of an ``airlift.yaml`` lives, found without importing Dagster.

In a ``dg`` project the :class:`~airlift_component.component.AirliftComponent`
keeps its state in Dagster's defs-state storage under a *key*, by default
``AirliftComponent[<airlift.yaml relative to the project root>]``. With
``LOCAL_FILESYSTEM`` management (the default) that is the file
``<defs folder>/.local_defs_state/<key, sanitized>/state``, which ``airlift
refresh`` writes too, byte for byte what ``dg utils refresh-defs-state`` writes.
Outside a ``dg`` project (plain-Python ``build_defs``) the state is
``.airlift/state.json`` next to ``airlift.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOCAL_FILESYSTEM = "LOCAL_FILESYSTEM"
KEY_PREFIX = "AirliftComponent"
# Dagster's local state folder and its key sanitization (components/utils/project_paths.py).
_LOCAL_STATE_DIR = ".local_defs_state"
_SCAN_LIMIT = 2000
#: Where the state lives outside a ``dg`` project; ``state_file.DEFAULT_STATE_FILE`` is
#: this. Kept here, not there: importing ``state_file`` (pydantic's state models) cost a
#: cold ``airlift validate`` about 0.01 s (``bench/bench_validate.py``) for the path of
#: a file that is usually not there.
PLAIN_STATE_FILE = ".airlift/state.json"


@dataclass(frozen=True)
class DgProject:
    """A ``dg`` project: its root (``pyproject.toml`` / ``dg.toml``) and its defs folder."""

    root: Path
    defs_dir: Path | None


@dataclass(frozen=True)
class ComponentState:
    """An AirliftComponent of a project that reads a given ``airlift.yaml``."""

    defs_yaml: Path
    key: str
    management_type: str
    path: Path | None  # the local state file; None unless LOCAL_FILESYSTEM


def _project_table(folder: Path) -> dict[str, Any] | None:
    for name, keys in (("pyproject.toml", ("tool", "dg", "project")), ("dg.toml", ("project",))):
        candidate = folder / name
        if not candidate.is_file():
            continue
        table: Any = _load_toml(candidate)
        for key in keys:
            table = table.get(key) if isinstance(table, dict) else None
        if isinstance(table, dict):
            return table
    return None


def _load_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only a project with such a file needs it (`airlift validate` starts faster)

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def find_dg_project(start: Path) -> DgProject | None:
    """The nearest ``dg`` project containing ``start`` (a file or folder), if any."""
    folder = start if start.is_dir() else start.parent
    for candidate in [folder, *folder.parents]:
        table = _project_table(candidate)
        if table is None:
            continue
        root_module = table.get("root_module")
        module = table.get("defs_module") or (f"{root_module}.defs" if root_module else None)
        defs_dir = None
        if isinstance(module, str):
            relative = Path(*module.split("."))
            for base in (candidate / "src", candidate):
                if (base / relative).is_dir():
                    defs_dir = base / relative
                    break
        return DgProject(candidate, defs_dir)
    return None


def default_state_key(
    airlift_yaml: Path, project_root: Path | None, *, configured: str | None = None
) -> str:
    """``AirliftComponent[<airlift.yaml relative to the project root>]``, the same on
    every machine that checks out the project.

    ``configured`` is the ``airlift_yaml`` attribute as written in ``defs.yaml``: when
    it is an absolute path (a file outside the checkout, such as a mounted
    ``/etc/airlift/airlift.yaml``), the key holds that path, since a path relative to
    the project root would change with where the project sits.
    """
    target = airlift_yaml.resolve()
    if configured is not None and Path(configured).is_absolute():
        return f"{KEY_PREFIX}[{Path(configured).as_posix()}]"
    if project_root is None:
        return f"{KEY_PREFIX}[{target.name}]"
    try:
        relative = target.relative_to(project_root.resolve()).as_posix()
    except ValueError:
        relative = Path(_relpath(target, project_root.resolve())).as_posix()
    return f"{KEY_PREFIX}[{relative}]"


def _relpath(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(target, start)


def local_state_path(defs_dir: Path, key: str) -> Path:
    """Dagster's ``LOCAL_FILESYSTEM`` state file for ``key`` under the defs folder."""
    return defs_dir / _LOCAL_STATE_DIR / re.sub(r"[^A-Za-z0-9._-]", "__", key) / "state"


def components_reading(airlift_yaml: Path, project: DgProject) -> list[ComponentState]:
    """Every AirliftComponent ``defs.yaml`` of ``project`` whose ``airlift_yaml`` is this file."""
    if project.defs_dir is None:
        return []
    target = airlift_yaml.resolve()
    found: list[ComponentState] = []
    for count, defs_yaml in enumerate(sorted(project.defs_dir.rglob("defs.yaml"))):
        if count >= _SCAN_LIMIT:
            break
        if any(part.startswith(".") for part in defs_yaml.relative_to(project.defs_dir).parts):
            continue
        for attributes in _airlift_components(defs_yaml):
            relative = str(attributes.get("airlift_yaml") or "airlift.yaml")
            if (defs_yaml.parent / relative).resolve() != target:
                continue
            settings = attributes.get("defs_state")
            settings = settings if isinstance(settings, dict) else {}
            key = settings.get("key") or default_state_key(
                target, project.root, configured=relative
            )
            kind = str(settings.get("management_type") or LOCAL_FILESYSTEM)
            path = local_state_path(project.defs_dir, key) if kind == LOCAL_FILESYSTEM else None
            found.append(ComponentState(defs_yaml, key, kind, path))
    return found


def _airlift_components(defs_yaml: Path) -> list[dict[str, Any]]:
    import yaml  # only a dg project's defs.yaml files need it (`airlift validate` starts faster)

    try:
        documents = list(yaml.safe_load_all(defs_yaml.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError):
        return []
    return [
        document.get("attributes") or {}
        for document in documents
        if isinstance(document, dict)
        and str(document.get("type", "")).endswith(KEY_PREFIX)
        and isinstance(document.get("attributes") or {}, dict)
    ]


@dataclass(frozen=True)
class RefreshTargets:
    """Where ``airlift refresh`` writes, and the components it cannot serve (versioned storage)."""

    paths: list[Path]
    versioned: list[ComponentState]


def refresh_targets(airlift_yaml: Path, project_dir: Path | None = None) -> RefreshTargets:
    """The state files that hold ``airlift_yaml``'s state.

    The ``LOCAL_FILESYSTEM`` files of the components of the ``dg`` project at
    ``project_dir`` (default: the project containing the current folder, else
    the one containing ``airlift.yaml``) that read this file; without any, the
    plain-Python ``.airlift/state.json`` next to it.
    """
    starts = [project_dir] if project_dir is not None else [Path.cwd(), airlift_yaml]
    components: list[ComponentState] = []
    for start in starts:
        project = find_dg_project(start.resolve())
        if project is not None:
            components = components_reading(airlift_yaml, project)
            if components:
                break
    paths = [c.path for c in components if c.path is not None]
    versioned = [c for c in components if c.path is None]
    if not components:
        paths = [airlift_yaml.resolve().parent / PLAIN_STATE_FILE]
    return RefreshTargets(paths, versioned)


def ensure_gitignore(state_file: Path) -> None:
    """Dagster's ``.local_defs_state`` folder ignores itself in git; do the same when creating it."""
    folder = state_file.parent.parent
    if folder.name == _LOCAL_STATE_DIR and not (folder / ".gitignore").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".gitignore").write_text("*\n*/\n.*")
