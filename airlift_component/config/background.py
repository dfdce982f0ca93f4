"""Run one function in a forked child process while the parent keeps working.

`airlift validate` reads the proxied-state files in a child while it checks
``airlift.yaml`` itself, so both cores of a small CI machine are used. Only the
CLI asks for this (a short-lived, single-threaded process, where ``fork`` is
safe); where ``fork`` does not exist, or the child fails, the caller is told
(``None``) and does the work itself.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def start_in_child(work: Callable[[], T]) -> Callable[[], T | None]:
    """Start ``work()`` in a forked child; the returned function waits for its result.

    The result travels back pickled through a pipe. The returned function gives
    ``None`` when the child could not be started or did not deliver a result.
    """
    if not hasattr(os, "fork"):
        return lambda: None
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return lambda: None
    if pid == 0:  # the child: never returns into the caller's code
        status = 1
        try:
            os.close(read_end)
            payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def wait() -> T | None:
        with os.fdopen(read_end, "rb") as pipe:
            payload = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not payload:
            return None
        result: T = pickle.loads(payload)
        return result

    return wait
