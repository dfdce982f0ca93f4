"""Port choice for the demo: the usual port when free, any free port otherwise."""

from __future__ import annotations

import errno
import socket

from devtools.local_stack.ports import LOOPBACK, free_port


class PortError(Exception):
    """A port the user asked for cannot be used."""


def is_free(port: int, host: str = LOOPBACK) -> bool:
    """True when nothing listens on ``host:port`` (we can bind it ourselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # as servers do: connections of a stopped server lingering in TIME_WAIT don't count
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def choose_port(requested: int | None, usual: int, flag: str, what: str) -> int:
    """``requested`` if free (else :class:`PortError`), else ``usual`` if free, else any."""
    if requested is not None:
        if not 1 <= requested <= 65535:
            raise PortError(f"{flag} {requested} is not a TCP port (1-65535)")
        if not is_free(requested):
            raise PortError(
                f"port {requested} on {LOOPBACK} is already in use, so {what} cannot start "
                f"there; stop whatever listens on it (e.g. `lsof -i :{requested}`) or pass "
                f"another {flag}"
            )
        return requested
    return usual if is_free(usual) else free_port()
