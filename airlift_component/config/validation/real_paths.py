"""``os.path.realpath`` for many files in few folders, each folder resolved once.

`airlift validate` asks where each proxied-state file and its folder really are
(to tell a file named on the command line from one its ``airlift.yaml`` reads,
and to record both for the verdict cache), and a remembered pass asks again.
``os.path.realpath`` checks every part of every path: at 1,000 files in
``airflow/proxied_state`` some 22,000 ``lstat`` calls a run. :class:`RealPaths`
resolves each folder once and checks only whether the file itself is a link.

Why it exists (1,000 files in one folder, in process, 7 Dec 2026): the real paths
of each file and its folder took 20 ms with ``os.path.realpath``, 9 ms here; a full
check of ``validate .`` over ``bench/bench_validate.py``'s project asks for 4,000, a
remembered pass for 2,000. In that benchmark the remembered pass (its "warm"
``validate .`` row, which changed in nothing else) took 0.116, 0.118 and 0.122 s CPU
against 0.133, 0.122 and 0.166 s for the tree at ``2c6e066`` (medians of 5, three
alternated runs, 7 Dec 2026); :class:`~.targets.SearchRoots` resolves the files it
searches for with it.
"""

from __future__ import annotations

import os
from pathlib import PurePath


class RealPaths:
    """``os.path.realpath`` with every answer remembered, and each folder resolved
    once for the files in it (for one run: a link made meanwhile is not seen)."""

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def __call__(self, path: str | PurePath) -> str:
        """The same as ``os.path.realpath(path)``."""
        text = os.fspath(path)
        real = self._known.get(text)
        if real is None:
            real = self._known[text] = self._resolve(text)
        return real

    def _resolve(self, text: str) -> str:
        folder, name = os.path.split(text)
        # realpath takes ``..`` by its spelling after a link is followed, not as the
        # system does: a path with one anywhere is left to it.
        if name in ("", os.curdir) or os.pardir in PurePath(text).parts:
            return os.path.realpath(text)
        if os.path.islink(text):
            return os.path.realpath(text)
        return os.path.join(self(folder), name)
