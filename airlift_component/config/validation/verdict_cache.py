"""Passed verdicts of `airlift validate`, remembered in the user's cache folder.

A pre-commit hook validates the same files again and again. When a run passes, the
verdict is kept with everything it read (:class:`~.inputs.InputLog`: the digest of
every file's bytes, the names in every proxied-state folder, the searches for the
``airlift.yaml`` of a proxied-state file named on its own) and the source of the
code that judged it (this package's modules, pydantic's and PyYAML's versions).
A later run asked the same question (same folder, same arguments, the same files
found) reuses the verdict only when every one of those is unchanged; anything
else runs the full check. So no version number is kept by hand, a failed run is
never remembered, and an edited input, rule or dependency is always judged anew.

Where: ``$XDG_CACHE_HOME/airlift-component/validate/`` (``~/.cache`` when it is
unset), ``~/Library/Caches/airlift-component/validate/`` on macOS,
``%LOCALAPPDATA%\\airlift-component\\validate\\`` on Windows; never inside the
current folder or a folder being validated (a cache folder there is not used).
``airlift validate --no-cache`` or ``AIRLIFT_VALIDATE_CACHE=0`` turns it off.

An entry is one JSON file (:mod:`.cache_store`: written whole or not at all); one
that is missing, corrupt, unreadable or not ours counts as no entry, and a cache
folder that cannot be created or written is no cache. Nothing here ever fails a
run. At most :data:`MAX_ENTRIES` entries are kept (the least recently used go).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from airlift_component.config.user_cache import user_cache_folder
from airlift_component.config.validation.cache_store import (
    entry_key,
    read_entry,
    touch,
    write_entry,
)
from airlift_component.config.validation.inputs import InputLog, unchanged
from airlift_component.config.validation.targets import Target

#: Bumped when the layout of an entry changes.
FORMAT = 1
#: ``AIRLIFT_VALIDATE_CACHE=0`` (or ``off``, ``false``, ``no``) turns the cache off.
ENV_VAR = "AIRLIFT_VALIDATE_CACHE"
#: How many entries the folder keeps.
MAX_ENTRIES = 64
_OFF = frozenset({"0", "off", "false", "no"})


@dataclass(frozen=True)
class Verdict:
    """A remembered pass: how many files it checked, and what the warnings about
    proxied TaskFlow tasks need (they read the stored Airflow state, which is not
    part of the verdict, so they are worked out again on every run)."""

    files_checked: int
    #: (airlift.yaml as read, named on the command line, [(instance, proxied_state_dir)]).
    hint_sources: list[tuple[str, bool, list[tuple[str, str]]]]


def cache_folder(paths: Sequence[str | Path] = ()) -> Path | None:
    """Where verdicts are kept; ``None`` when the cache is off, there is no cache
    folder, or it lies inside the current folder or a folder named in ``paths``."""
    if os.environ.get(ENV_VAR, "").strip().lower() in _OFF:
        return None
    base = user_cache_folder()
    if base is None:
        return None
    try:
        folder = Path(os.path.realpath(base / "validate"))
        trees = [Path.cwd(), *(Path(path) for path in paths if Path(path).is_dir())]
        if any(folder.is_relative_to(os.path.realpath(tree)) for tree in trees):
            return None
    except OSError:  # no current folder (it was deleted): nothing to compare, no cache
        return None
    return folder


def question_key(paths: Sequence[str | Path], exclude: Sequence[str], targets: list[Target]) -> str:
    """What a run is asked, and by which interpreter and package: the entry's name."""
    return entry_key(
        {
            "format": FORMAT,
            "cwd": os.getcwd(),
            "paths": [str(path) for path in paths],
            "exclude": list(exclude),
            "targets": [[str(path), kind] for path, kind in targets],
        }
    )


def recall(folder: Path, key: str) -> Verdict | None:
    """The pass remembered under ``key`` when nothing it read has changed since."""
    entry = folder / f"{key}.json"
    stored = read_entry(entry)
    try:
        if stored["format"] != FORMAT or stored["key"] != key:
            return None
        verdict = Verdict(
            int(stored["files_checked"]),
            [
                (str(path), bool(named), [(str(name), str(dir_)) for name, dir_ in dirs])
                for path, named, dirs in stored["hint_sources"]
            ],
        )
        if not unchanged(stored["inputs"]):
            return None
    except (KeyError, TypeError, ValueError):
        return None
    touch(entry)
    return verdict


def remember(folder: Path, key: str, verdict: Verdict, inputs: InputLog) -> None:
    """Keep a passed verdict under ``key``; silently skipped when it cannot be."""
    log = inputs.as_json()
    if not inputs.stable:
        return
    document = {
        "format": FORMAT,
        "key": key,
        "files_checked": verdict.files_checked,
        "hint_sources": [list(source) for source in verdict.hint_sources],
        "inputs": log,
    }
    write_entry(folder, f"{key}.json", document, MAX_ENTRIES)
