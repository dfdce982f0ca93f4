"""An HTTP server on a free loopback port, answering from background threads.

The one way the test fakes, the benchmarks and the local stack serve HTTP in
process (the fake Airflow of ``tests/harness``, the benchmark's indexed fake,
the counting proxy). Standard library only, so unit tests import it cheaply::

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            owner = owner_of(self)          # whatever was passed as ``owner``
            ...

    with LoopbackHTTPServer(Hello, owner=state) as server:
        httpx.get(server.url + "/hi")

Each request gets its own daemon thread, so a request a test leaves hanging
never blocks :meth:`LoopbackHTTPServer.stop` or the interpreter's exit.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

LOOPBACK = "127.0.0.1"


class _OwnedServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[BaseHTTPRequestHandler], owner: Any) -> None:
        super().__init__((LOOPBACK, 0), handler)
        self.owner = owner


def owner_of(handler: BaseHTTPRequestHandler) -> Any:
    """The ``owner`` given to the :class:`LoopbackHTTPServer` serving ``handler``."""
    server = handler.server
    assert isinstance(server, _OwnedServer), "not served by a LoopbackHTTPServer"
    return server.owner


class LoopbackHTTPServer:
    """Serves ``handler`` on ``127.0.0.1`` at a port the OS picks, from a thread.

    ``owner`` is the object the handler answers for (a fake's state, a proxy's
    record); handlers reach it through :func:`owner_of`. :meth:`start` returns
    once the socket listens, so the URL can be used at once.
    """

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, owner: Any = None) -> None:
        self.handler = handler
        self.owner = owner
        self._server: _OwnedServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Bind a free port and serve from a daemon thread."""
        assert self._server is None, "already started"
        self._server = _OwnedServer(self.handler, self.owner)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"{self.handler.__name__} on :{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket (requests in flight are not awaited)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self._server is not None, "call start() first"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{LOOPBACK}:{self.port}"
