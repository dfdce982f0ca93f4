"""Safe file updates: atomic replacement and an exclusive lock for read-modify-write.

:func:`atomic_write_bytes` writes a temporary file in the target's own folder,
flushes it to disk, gives it the target's permission bits and renames it over
the target with :func:`os.replace`. A reader sees either the old or the new
content, never half of each; a crash or an exception mid-write leaves the old
file as it was and removes the temporary file.

:func:`locked` takes an exclusive ``flock`` on the file itself so that two
writers (two `airlift proxy` runs, a script and a person) cannot both read the
old content and lose one of their updates. Because a replace swaps the file's
inode, the lock re-checks after acquiring that it still holds the file the path
names, and starts again when it does not. No lock file is left behind. Where
``fcntl`` is missing (Windows) the lock is a no-op; the write stays atomic.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from airlift_component.errors import AirliftError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: How long :func:`locked` waits for another writer before giving up.
LOCK_TIMEOUT_SECONDS = 30.0
_POLL_SECONDS = 0.01


class FileLockTimeout(AirliftError):
    """Another process held the lock on a file for longer than the timeout."""


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_fully(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms that cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


def _write_temp(target: Path, data: bytes, mode: int) -> Path:
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        try:
            _write_fully(fd, data)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return temp


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, new_file_mode: int | None = None
) -> None:
    """Replace the file at ``path`` with ``data`` atomically, keeping its permission bits.

    A symbolic link is followed, so the link stays and its target gets the content.
    A new file gets ``new_file_mode``, by default the usual permissions (``0o666``
    minus the umask).
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _default_mode() if new_file_mode is None else new_file_mode
    temp = _write_temp(target, data, mode)
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    _fsync_dir(target.parent)


def create_exclusive(path: str | os.PathLike[str], data: bytes) -> None:
    """Create a new file with ``data`` atomically; :class:`FileExistsError` if it exists.

    Readers never see the file half written: it is written aside and then
    hard-linked into place, which fails instead of overwriting.
    """
    target = Path(path)
    temp = _write_temp(target, data, _default_mode())
    try:
        os.link(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    _fsync_dir(target.parent)


def _same_file(fd: int, path: Path) -> bool:
    try:
        current = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)


def _acquire(fd: int, path: Path, deadline: float) -> None:
    assert fcntl is not None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise FileLockTimeout(
                    f"{path}: another process has been editing this file for more than "
                    f"{LOCK_TIMEOUT_SECONDS:.0f} s; wait for it to finish and run the command again"
                ) from None
            time.sleep(_POLL_SECONDS)


@contextlib.contextmanager
def locked(path: str | os.PathLike[str], *, timeout: float | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the existing file ``path`` for a read-modify-write.

    Read the file *inside* the ``with`` block and write it with
    :func:`atomic_write_bytes` before leaving; other holders of this lock wait.
    Raises :class:`FileNotFoundError` when the file does not exist and
    :class:`FileLockTimeout` after ``timeout`` seconds (default
    :data:`LOCK_TIMEOUT_SECONDS`).
    """
    target = Path(os.path.realpath(path))
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    deadline = time.monotonic() + (LOCK_TIMEOUT_SECONDS if timeout is None else timeout)
    while True:
        fd = os.open(target, os.O_RDONLY)
        try:
            _acquire(fd, target, deadline)
            if _same_file(fd, target):
                break
        except BaseException:
            os.close(fd)
            raise
        # The file was replaced while we waited: lock the new one instead.
        os.close(fd)
        if not target.exists():
            raise FileNotFoundError(str(target))
    try:
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
