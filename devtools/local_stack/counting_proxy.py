"""A counting HTTP reverse proxy on loopback: who called a server, how often, and when.

Give one process the proxy's URL instead of the server's (Airflow's REST API,
Dagster's GraphQL) and every request it makes is forwarded unchanged and
recorded as a :class:`Request`::

    with CountingProxy("http://127.0.0.1:8080") as proxy:
        run_worker(env={"AIRFLOW_URL": proxy.url})
        assert proxy.requests == []

Headers and bodies, which carry credentials, are not kept; of a GraphQL request
only its operation's type and name are (``mutation AirliftLaunchRun``).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import httpx

from devtools.local_stack.processes import Server
from devtools.loopback_http import LoopbackHTTPServer, owner_of

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}
# A document's operation starts it or follows a fragment's closing brace.
_OPERATION = re.compile(r"(?:^|\})\s*(query|mutation|subscription)\b\s*(\w*)")


@dataclass
class Request:
    """One request the proxy forwarded."""

    method: str
    path: str
    #: A GraphQL request's operation type and name (``"query"`` if anonymous), else ``""``.
    operation: str = ""
    #: ``time.time()`` when the upstream's answer came back; ``None`` until then.
    answered_at: float | None = None


def graphql_operation(path: str, body: bytes | None) -> str:
    """``"mutation Name"`` for a POST of a GraphQL document to ``…/graphql``, else ``""``."""
    if not body or not urlsplit(path).path.rstrip("/").endswith("/graphql"):
        return ""
    try:
        payload = json.loads(body)
    except ValueError:
        return ""
    query = payload.get("query") if isinstance(payload, dict) else None
    if not isinstance(query, str):
        return ""
    found = _OPERATION.search(query)
    if found is None:
        return "query"  # the shorthand ``{ field }``
    kind, name = found.groups()
    name = str(payload.get("operationName") or name)
    return f"{kind} {name}".strip()


class _ForwardingHandler(BaseHTTPRequestHandler):
    """Records the request on its :class:`CountingProxy`, then forwards it."""

    def _forward(self) -> None:
        proxy: CountingProxy = owner_of(self)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        # Recorded before forwarding: a request the upstream fails on still counts.
        record = Request(self.command, self.path, graphql_operation(self.path, body))
        with proxy.lock:
            proxy.requests.append(record)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        assert proxy.client is not None
        resp = proxy.client.request(
            self.command, proxy.upstream + self.path, content=body, headers=headers
        )
        record.answered_at = time.time()
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
    """Forwards every request to ``upstream`` and records it in :attr:`requests`.

    ``timeout`` bounds each forwarded request, in seconds (raise it for an
    upstream that answers slowly, such as a Dagster launching a large run).
    """

    def __init__(self, upstream: str, *, timeout: float = 60.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.timeout = timeout
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.client: httpx.Client | None = None
        self._server = LoopbackHTTPServer(_ForwardingHandler, owner=self)

    @property
    def url(self) -> str:
        return self._server.url

    def clear(self) -> None:
        """Forget the requests recorded so far."""
        with self.lock:
            self.requests.clear()

    def start(self) -> CountingProxy:
        self.client = httpx.Client(timeout=self.timeout)
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        if self.client is not None:
            self.client.close()
            self.client = None
