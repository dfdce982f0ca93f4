"""How a build of the definitions treats Python's cyclic garbage collector.

A code location with thousands of mapped assets allocates hundreds of thousands
of objects that live as long as the process. CPython's collector rescans every
tracked object on each full collection, and the growth of the heap is what
triggers those collections: while building, and while Dagster resolves the
repository right after, much of the time went into rescanning objects that
can never be freed.

:func:`building` therefore pauses the collector while the definitions are built
and, the first time in a process, moves everything alive at the end of the
build into the permanent generation (:func:`gc.freeze`), where later collections
no longer look. When the build talked to Airflow, the garbage cycles it made
are collected first (HTTP clients leave some per request): a pass over the
youngest generation, which holds everything the build allocated. Frozen objects are still freed by reference counting; only
reference cycles among objects alive at the freeze are never collected: the
definitions themselves, which a code server keeps until it exits, and whatever
else the process held then. Freezing once per process keeps that bound when a
process builds again and again (tests, notebooks).
``AIRLIFT_GC_FREEZE=0`` turns the freeze off; a process that disabled the
collector itself is left as it is.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

#: Environment variable that turns the freeze off when set to ``0``.
FREEZE_ENV = "AIRLIFT_GC_FREEZE"

_froze_once = False


class Build:
    """What a build tells the policy about itself."""

    def __init__(self) -> None:
        #: Set when the build made HTTP requests, whose clients leave garbage cycles.
        self.talked_to_airflow = False


def freeze_enabled() -> bool:
    """Whether a build may freeze the heap (not yet done in this process, not opted out)."""
    return not _froze_once and os.environ.get(FREEZE_ENV, "1").strip() != "0"


@contextmanager
def building() -> Iterator[Build]:
    """Pause the collector for a build; freeze the heap after the first one."""
    global _froze_once
    enabled = gc.isenabled()
    gc.disable()
    build = Build()
    try:
        yield build
        if enabled and freeze_enabled():
            if build.talked_to_airflow:
                # Everything the build allocated is still in the youngest generation.
                gc.collect(0)
            gc.freeze()
            _froze_once = True
    finally:
        if enabled:
            gc.enable()
