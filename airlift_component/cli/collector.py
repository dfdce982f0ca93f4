"""Pausing Python's cyclic garbage collector for a file-reading command.

`airlift validate` and `airlift proxy` build the node trees of the files they
read and keep them alive until they finish; they create no garbage cycles. The
collector would only rescan those live objects again and again (a third of the
time on a big project, two thirds on a 5 MB file). The command pauses it and
restores it as it was. This is the command-line process's choice, made only by
these short commands; library code never touches the collector.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; it is back as it was afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
