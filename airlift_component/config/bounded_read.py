"""Read an open file up to a limit, so a huge file (or ``/dev/zero``) costs at most
``limit`` + 1 bytes of memory and time."""

from __future__ import annotations

import os


def read_up_to(fd: int, limit: int) -> bytes:
    """At most ``limit`` + 1 bytes from ``fd``: more than ``limit`` means too big."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
