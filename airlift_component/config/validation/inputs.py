"""What a validation run read, and whether a later run would read the same.

A run's verdict is a function of what it read: the bytes of every file, the names
in every proxied-state folder it listed, where it searched for the ``airlift.yaml``
of a proxied-state file named on its own and what it found there, and the code
that judged them. :class:`InputLog` records these as the run reads them (the
digest of the very bytes that were checked, so a file edited while the run reads
it is never taken for the checked one); :func:`unchanged` tells whether they are
all still the same. The verdict cache (:mod:`.verdict_cache`) keeps a passed
verdict with its log and reuses it only when nothing in the log changed.
"""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from airlift_component.config.bounded_read import read_up_to
from airlift_component.config.validation.real_paths import RealPaths
from airlift_component.config.validation.targets import SearchRoots, airlift_files_below

#: The largest file a run reads (``config.yaml.read.MAX_FILE_BYTES``); a recorded
#: file is never larger, so reading one byte more tells a grown file apart.
_LIMIT = 16 * 1024 * 1024
#: Third-party modules whose files say their version: a new version is new code.
_VERSION_MODULES = ("pydantic.version", "yaml")


def digest(data: bytes) -> str:
    """The content digest the log keeps for ``data``."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_regular(path: str | Path, limit: int = _LIMIT) -> bytes | None:
    """The content of a regular file, or ``None`` when it is anything else or cannot
    be read; never waits on a FIFO, never reads more than ``limit`` + 1 bytes."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return read_up_to(fd, limit)
        finally:
            os.close(fd)
    except OSError:
        return None


def file_digest(path: str) -> str | None:
    """The digest of a regular file's content (``None``: see :func:`read_regular`)."""
    data = read_regular(path)
    return None if data is None else digest(data)


def folder_digest(folder: str) -> str | None:
    """A digest of where ``folder`` really is and of every name in it, with whether it
    names a file (a folder named ``x.yaml`` that becomes a file is a change); ``None``:
    it cannot be listed."""
    try:
        with os.scandir(folder) as listing:
            names = sorted(f"{'f' if entry.is_file() else '-'}{entry.name}" for entry in listing)
    except OSError:
        return None
    return digest("\0".join([os.path.realpath(folder), *names]).encode("utf-8", "surrogateescape"))


def code_files() -> list[str]:
    """The files of the code that judged a run: every module of this package loaded so
    far with the data files it declares it was built from (a module's ``DATA_FILES``),
    and the version files of pydantic and PyYAML."""
    files = []
    for name, module in list(sys.modules.items()):
        ours = name == "airlift_component" or name.startswith("airlift_component.")
        if ours or name in _VERSION_MODULES:
            path = getattr(module, "__file__", None)
            if isinstance(path, str):
                files.append(os.path.abspath(path))
        if ours:
            files.extend(os.path.abspath(data) for data in getattr(module, "DATA_FILES", ()))
    return sorted(set(files))


class InputLog:
    """What one validation run read, recorded as it reads."""

    def __init__(self) -> None:
        #: Absolute path -> digest of the bytes checked.
        self.files: dict[str, str] = {}
        #: Absolute folder path -> :func:`folder_digest` (the proxied-state folders read).
        self.folders: dict[str, str] = {}
        #: Absolute path -> its real path (proxied-state files named on the command line
        #: and their folders, the folders other airlift.yaml files name).
        self.real_paths: dict[str, str] = {}
        #: (state file, search root or None, the airlift files found there).
        self.searches: list[tuple[str, str | None, list[str]]] = []
        #: False once something changed while it was being read: nothing to remember.
        self.stable = True
        self._real = RealPaths()

    def file(self, path: Path | str, data: bytes) -> None:
        """``data`` is what was read from ``path``."""
        self.files[os.path.abspath(path)] = digest(data)

    def folder(self, folder: Path | str) -> str | None:
        """Record a folder's names; call once before and once after reading it."""
        key = os.path.abspath(folder)
        seen = folder_digest(key)
        if seen is None or self.folders.setdefault(key, seen) != seen:
            self.stable = False
        return seen

    def real_path(self, path: Path | str) -> None:
        """Record where a file or folder really is (symbolic links resolved)."""
        key = os.path.abspath(path)
        self.real_paths[key] = self._real(key)

    def search(self, state_file: Path, root: Path | None, found: Sequence[Path]) -> None:
        """Record a search for a lone proxied-state file's ``airlift.yaml``."""
        self.searches.append((str(state_file), None if root is None else str(root), _strs(found)))

    def as_json(self) -> dict[str, Any]:
        """The log as plain data, with the code that judged the run."""
        code = {}
        for path in code_files():
            seen = file_digest(path)
            if seen is None:
                self.stable = False
                continue
            code[path] = seen
        return {
            "code": code,
            "folders": self.folders,
            "real_paths": self.real_paths,
            "searches": [list(search) for search in self.searches],
            "files": self.files,
        }


def _strs(paths: Sequence[Path]) -> list[str]:
    return [str(path) for path in paths]


def unchanged(log: Mapping[str, Any]) -> bool:
    """True when everything ``log`` (from :meth:`InputLog.as_json`) records is still so.

    Anything it cannot make sense of counts as a change.
    """
    try:
        if not log["code"] or any(file_digest(p) != d for p, d in log["code"].items()):
            return False
        if any(folder_digest(p) != d for p, d in log["folders"].items()):
            return False
        real = RealPaths()
        if any(real(p) != r for p, r in log["real_paths"].items()):
            return False
        below: dict[Path, list[str]] = {}  # each root is walked once
        search_root = SearchRoots()
        for state_file, root, found in log["searches"]:
            now = search_root(Path(state_file))
            if (None if now is None else str(now)) != root:
                return False
            if now is not None and now not in below:
                below[now] = _strs(airlift_files_below(now))
            if now is not None and below[now] != found:
                return False
        return all(file_digest(p) == d for p, d in log["files"].items())
    except (AttributeError, KeyError, TypeError, ValueError, OSError):
        return False
