"""Where the proxied-state files are, for `airlift proxy on|off|status`.

In order: ``--dir PATH``; else the ``proxied_state_dir`` of the instances in
``airlift.yaml`` (``--config PATH``, or ``airlift.yaml`` in the current folder;
``--instance NAME`` picks one when several have folders); else a folder named
``proxied_state`` in or under the current folder. When the answer is not
unique, or there is none, the error says which flag to pass.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from airlift_component.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from airlift_component.config.proxied_state.mapped_assets import MappedAssets

STATE_FOLDER = "proxied_state"
CONFIG_NAMES = ("airlift.yaml", "airlift.yml")
_SEARCH_DEPTH = 4
_SKIP = {".git", "node_modules", "__pycache__", ".mypy_cache", ".tox", ".ruff_cache"}


@dataclass(frozen=True)
class StateSource:
    """One proxied-state folder, and the airlift.yaml instance it belongs to if known.

    ``mapped_dags`` lists the DAGs the instance maps (``None`` without airlift.yaml);
    ``directory`` is ``None`` for an instance that sets no ``proxied_state_dir``.
    """

    directory: Path | None
    instance: str | None = None
    config: Path | None = None
    mapped_dags: tuple[str, ...] | None = None
    #: which DAGs and tasks have assets (``None`` without airlift.yaml)
    assets: MappedAssets | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Location:
    """What the command-line flags say about where to look."""

    cwd: Path
    directory: Path | None = None
    config: Path | None = None
    instance: str | None = None


def _require_folder(directory: Path) -> None:
    """``--dir`` must be a folder: say which mistake it is when it is not."""
    if directory.is_dir():
        return
    if directory.exists():
        raise UsageError(
            f"--dir {directory}: is a file, not a folder (pass the folder that holds "
            "the proxied-state files)"
        )
    raise UsageError(f"--dir {directory}: no such folder")


def _config_path(loc: Location) -> Path | None:
    if loc.config is not None:
        if loc.config.is_dir():
            raise UsageError(
                f"--config {loc.config}: is a folder, not a file (pass the airlift.yaml in it: "
                f"--config {loc.config / 'airlift.yaml'})"
            )
        if not loc.config.is_file():
            raise UsageError(f"--config {loc.config}: no such file")
        return loc.config
    found = [loc.cwd / name for name in CONFIG_NAMES if (loc.cwd / name).is_file()]
    if len(found) > 1:
        raise UsageError(
            f"{loc.cwd} has both airlift.yaml and airlift.yml; pass --config PATH to pick one"
        )
    return found[0] if found else None


def _instances(config: Path) -> list[StateSource]:
    from airlift_component.config.airlift_yaml.load import (
        check_airlift_document,
        read_airlift_document,
    )
    from airlift_component.config.airlift_yaml.placeholders import PlaceholderError, resolve
    from airlift_component.config.validation.cross_file import mapped_assets_of

    doc = read_airlift_document(config)
    model, problems = check_airlift_document(doc)
    if model is None:
        raise ConfigError(problems)
    sources = []
    for i, instance in enumerate(model.instances):
        directory = None
        if instance.proxied_state_dir is not None:
            try:
                raw = resolve(instance.proxied_state_dir, os.environ)
            except PlaceholderError as exc:
                raise ConfigError(
                    [doc.problem(("instances", i, "proxied_state_dir"), str(exc))]
                ) from None
            directory = config.parent / raw
        mapped = tuple(mapping.dag for mapping in instance.mappings)
        assets = mapped_assets_of(instance, config)
        sources.append(StateSource(directory, instance.name, config, mapped, assets))
    return sources


def _search(cwd: Path) -> list[Path]:
    direct = cwd / STATE_FOLDER
    if direct.is_dir():
        return [direct]
    found = []
    base_depth = len(cwd.parts)
    for root, dirs, _files in os.walk(cwd):
        here = Path(root)
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _SKIP and not d.startswith(".venv") and not d.startswith(".")
        )
        if len(here.parts) - base_depth >= _SEARCH_DEPTH:
            dirs[:] = []
        if STATE_FOLDER in dirs:
            found.append(here / STATE_FOLDER)
            dirs.remove(STATE_FOLDER)
    return found


def _check_local_folder(loc: Location, config: Path, directories: list[Path]) -> None:
    """Refuse when ./airlift.yaml and a ./proxied_state folder point different ways."""
    local = loc.cwd / STATE_FOLDER
    if loc.config is not None or loc.instance is not None or not local.is_dir():
        return
    if not any(_same(local, directory) for directory in directories):
        listed = ", ".join(str(d) for d in directories) or "no folder"
        raise UsageError(
            f"both {config} (proxied_state_dir: {listed}) and a local '{local}' folder "
            "were found; pass --config PATH or --dir PATH to say which to use"
        )


def _pick_instance(sources: list[StateSource], name: str, config: Path) -> StateSource:
    for source in sources:
        if source.instance == name:
            return source
    names = ", ".join(s.instance or "" for s in sources)
    raise UsageError(f"--instance {name}: {config} has no such instance (it has: {names})")


def find_sources(loc: Location) -> list[StateSource]:
    """Every folder `airlift proxy status` reports on, grouped by instance when known."""
    config = _config_path(loc)
    instances = _instances(config) if config is not None else []
    if loc.instance is not None:
        if config is None:
            raise UsageError("--instance needs an airlift.yaml: pass --config PATH")
        instances = [_pick_instance(instances, loc.instance, config)]
    if loc.directory is not None:
        _require_folder(loc.directory)
        same = [s for s in instances if s.directory and _same(s.directory, loc.directory)]
        return same[:1] or [StateSource(loc.directory)]
    if instances:
        assert config is not None
        _check_local_folder(loc, config, [s.directory for s in instances if s.directory])
        return instances
    return [StateSource(path) for path in _search_required(loc, config)]


def _same(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def _search_required(loc: Location, config: Path | None) -> list[Path]:
    found = _search(loc.cwd)
    if not found:
        where = f"{config} sets no proxied_state_dir and " if config else ""
        raise UsageError(
            f"{where}no '{STATE_FOLDER}/' folder was found under {loc.cwd}; "
            "pass --dir PATH (the proxied-state folder) or --config PATH (an airlift.yaml "
            "whose instance sets proxied_state_dir)"
        )
    return found


def find_edit_directory(loc: Location) -> Path:
    """The one folder `airlift proxy on|off` edits; :class:`UsageError` when ambiguous."""
    directory = find_edit_source(loc).directory
    assert directory is not None
    return directory


def find_edit_source(loc: Location) -> StateSource:
    """The one folder `airlift proxy on|off` edits, with its airlift.yaml instance when
    known (``assets`` is then set); :class:`UsageError` when ambiguous.

    With ``--dir``, the instance is known when ``--config`` (or ``./airlift.yaml``)
    has one whose ``proxied_state_dir`` is that folder.
    """
    if loc.directory is not None:
        _require_folder(loc.directory)
        return StateSource(loc.directory, assets=_assets_of_folder(loc))
    config = _config_path(loc)
    if config is not None:
        sources = _instances(config)
        if loc.instance is not None:
            source = _pick_instance(sources, loc.instance, config)
            if source.directory is None:
                raise UsageError(
                    f"instance {loc.instance!r} in {config} sets no proxied_state_dir; "
                    "add one there, or pass --dir PATH"
                )
            return source
        with_dirs = [s for s in sources if s.directory is not None]
        _check_local_folder(loc, config, [s.directory for s in with_dirs if s.directory])
        distinct = {os.path.realpath(s.directory): s for s in with_dirs if s.directory}
        if len(distinct) == 1:
            return next(iter(distinct.values()))
        if len(distinct) > 1:
            listed = ", ".join(f"{s.instance} ({s.directory})" for s in with_dirs)
            raise UsageError(
                f"{config} has several instances with a proxied_state_dir: {listed}; "
                "pass --instance NAME (or --dir PATH)"
            )
        if loc.config is not None:
            raise UsageError(
                f"{config}: no instance sets proxied_state_dir; add one, or pass --dir PATH"
            )
    elif loc.instance is not None:
        raise UsageError("--instance needs an airlift.yaml: pass --config PATH")
    found = _search_required(loc, config)
    if len(found) > 1:
        listed = ", ".join(str(path) for path in found)
        raise UsageError(
            f"several proxied-state folders under {loc.cwd}: {listed}; pass --dir PATH to pick one"
        )
    return StateSource(found[0])


def _assets_of_folder(loc: Location) -> MappedAssets | None:
    """The assets of the airlift.yaml instance whose folder is ``--dir``, if there is one.

    An explicit ``--config`` must load; a ``./airlift.yaml`` found by chance that
    cannot be read is not this command's business (``--dir`` was given).
    """
    assert loc.directory is not None
    try:
        config = _config_path(loc)
        sources = _instances(config) if config is not None else []
    except (ConfigError, UsageError):
        if loc.config is not None:
            raise
        return None
    if loc.instance is not None and config is not None:
        sources = [_pick_instance(sources, loc.instance, config)]
    same = [s for s in sources if s.directory is not None and _same(s.directory, loc.directory)]
    return same[0].assets if len(same) == 1 else None
