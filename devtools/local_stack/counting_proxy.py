"""A counting HTTP reverse proxy on loopback: who called Airflow, and how often.

Give one process the proxy's URL instead of Airflow's and every request it
makes is forwarded unchanged and recorded (method and path; headers and bodies,
which carry credentials, are not kept)::

    with CountingProxy("http://127.0.0.1:8080") as proxy:
        run_worker(env={"AIRFLOW_URL": proxy.url})
        assert proxy.requests == []
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

import httpx

from devtools.local_stack.processes import Server
from devtools.loopback_http import LoopbackHTTPServer, owner_of

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class _ForwardingHandler(BaseHTTPRequestHandler):
    """Records the request on its :class:`CountingProxy`, then forwards it."""

    def _forward(self) -> None:
        proxy: CountingProxy = owner_of(self)
        with proxy.lock:
            proxy.requests.append((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        assert proxy.client is not None
        resp = proxy.client.request(
            self.command, proxy.upstream + self.path, content=body, headers=headers
        )
        self.send_response(resp.status_code)
        for key, value in resp.headers.items():
            if key.lower() not in _HOP_BY_HOP | {"content-encoding"}:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(resp.content)))
        self.end_headers()
        self.wfile.write(resp.content)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        pass


class CountingProxy(Server):
    """Forwards every request to ``upstream`` and records ``(method, path)``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.client: httpx.Client | None = None
        self._server = LoopbackHTTPServer(_ForwardingHandler, owner=self)

    @property
    def url(self) -> str:
        return self._server.url

    def start(self) -> CountingProxy:
        self.client = httpx.Client(timeout=60.0)
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        if self.client is not None:
            self.client.close()
            self.client = None
