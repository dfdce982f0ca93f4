"""One deadline for a whole HTTP request: connect, send, headers and body.

httpx's timeouts bound each network operation: a server that sends one byte a
second never trips a 30 s read timeout, and a request to it never ends. Here the
socket operations of a request are bounded by what is left of one deadline
instead: each read, write, connect or TLS handshake waits at most
``min(its own timeout, time left)``, and once no time is left the next one fails
at once with a timeout.

The deadline is set per request by :func:`request_deadline` (a context variable:
a sync ``httpx.Client`` does its I/O in the calling thread) and read by the
network streams of the connection pools that :func:`bound_by_deadline` equips.
Requests sent outside :func:`request_deadline` keep httpx's own timeouts.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

_EXPIRES: ContextVar[float | None] = ContextVar("airlift_request_expires", default=None)


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Bound every socket operation in this block by ``seconds`` from now, in all."""
    token = _EXPIRES.set(time.monotonic() + max(0.0, seconds))
    try:
        yield
    finally:
        _EXPIRES.reset(token)


def _bounded(timeout: float | None, timeout_class: type[Exception]) -> float | None:
    expires = _EXPIRES.get()
    if expires is None:
        return timeout
    left = expires - time.monotonic()
    if left <= 0:
        # A socket timeout of 0 would mean "do not block", not "give up": say so here.
        raise timeout_class("the request's deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        )

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def bound_by_deadline(transports: Iterable[httpx.BaseTransport | None]) -> None:
    """Make the connection pools of these httpx transports honour :func:`request_deadline`.

    httpx does not let a caller choose the network backend of the pool it builds
    (``httpcore.ConnectionPool(network_backend=...)`` is public, the pool inside
    ``httpx.HTTPTransport`` is not), so the backend is swapped in place before the
    pool opens its first connection. Transports of another kind (a mock in tests)
    are left alone. Raises ``RuntimeError`` if httpx's layout changed, so that the
    unbounded request this guards against cannot come back unnoticed.
    """
    for transport in transports:
        if not isinstance(transport, httpx.HTTPTransport):
            continue
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if not isinstance(pool, httpcore.ConnectionPool) or backend is None:
            raise RuntimeError(
                "airlift_component: this httpx/httpcore version keeps its connection pool "
                "elsewhere, so the request deadline cannot be enforced; install the httpx "
                "version airlift-component was tested with, and report it"
            )
        if not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)
