"""A folder of JSON entries in the user's cache folder, as validate's caches keep them.

An entry is one JSON file, written to a temporary file and renamed into place, so
concurrent runs (pre-commit in two work trees) each see a whole entry or none. An
entry that is missing, corrupt, unreadable or not a regular file counts as no
entry; a folder that cannot be created or written is no cache. Nothing here ever
raises. A folder keeps at most a given number of entries: the least recently used
go, with temporary files a killed run left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from airlift_component import __version__
from airlift_component.config.validation.inputs import read_regular

#: A temporary file older than this was left by a run that was killed.
_STALE_SECONDS = 3600


def entry_key(question: dict[str, Any]) -> str:
    """The name (without ``.json``) of the entry that answers ``question``, asked of
    this package by this interpreter: its version, folder, Python and prefix count too."""
    asked = {
        **question,
        "version": __version__,
        "package": os.path.dirname(os.path.abspath(__file__)),
        "python": sys.version,
        "prefix": sys.prefix,
    }
    text = json.dumps(asked, sort_keys=True)
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=20).hexdigest()


def read_entry(entry: Path) -> Any:
    """The JSON document of ``entry``; ``None`` when there is none to read."""
    data = read_regular(entry)
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def touch(entry: Path) -> None:
    """Mark ``entry`` recently used: pruned last."""
    with contextlib.suppress(OSError):
        os.utime(entry)


def write_entry(folder: Path, name: str, document: Any, keep: int) -> None:
    """Write ``document`` as ``folder/name``, keeping at most ``keep`` entries there;
    silently skipped when it cannot be."""
    try:
        data = json.dumps(document, separators=(",", ":")).encode("utf-8", "surrogateescape")
    except (TypeError, ValueError):
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".entry-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temp, folder / name)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return
    _prune(folder, keep)


def _prune(folder: Path, keep: int) -> None:
    """Remove the least recently used entries beyond ``keep``, and temporary files a
    killed run left behind."""
    try:
        listed = list(os.scandir(folder))
        entries = [entry for entry in listed if entry.name.endswith(".json")]
        stale = [entry for entry in listed if entry.name.endswith(".tmp")]
        if len(entries) + len(stale) <= keep:
            return
        entries.sort(key=lambda entry: entry.stat().st_mtime_ns)
        now = time.time()
        stale = [entry for entry in stale if now - entry.stat().st_mtime > _STALE_SECONDS]
    except OSError:
        return
    for entry in [*entries[: max(0, len(entries) - keep)], *stale]:
        with contextlib.suppress(OSError):
            os.unlink(entry.path)
