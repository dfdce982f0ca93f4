"""The counting reverse proxy (``devtools/local_stack/counting_proxy.py``) forwards
requests unchanged and records what the production-shape e2e and the benchmarks
count: the method and path, a GraphQL request's operation and when it was answered."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from devtools.local_stack.counting_proxy import CountingProxy, Request, graphql_operation
from devtools.loopback_http import LoopbackHTTPServer


class _Echo(BaseHTTPRequestHandler):
    """Answers 201 with the method, path, body and one header it was sent."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        data = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "body": body,
                "auth": self.headers.get("Authorization"),
            }
        ).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "echo")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[LoopbackHTTPServer]:
    with LoopbackHTTPServer(_Echo) as server:
        yield server


def test_forwards_unchanged_and_records_method_and_path(upstream: LoopbackHTTPServer) -> None:
    with CountingProxy(upstream.url) as proxy:
        before = time.time()
        resp = httpx.patch(
            proxy.url + "/api/v1/dags/a?x=1",
            content=b'{"is_paused": true}',
            headers={"Authorization": "Basic c2VjcmV0"},
        )
        after = time.time()
    assert resp.status_code == 201
    assert resp.headers["X-Upstream"] == "echo"
    assert resp.json() == {
        "method": "PATCH",
        "path": "/api/v1/dags/a?x=1",
        "body": '{"is_paused": true}',
        "auth": "Basic c2VjcmV0",
    }
    [request] = proxy.requests
    assert (request.method, request.path, request.operation) == ("PATCH", "/api/v1/dags/a?x=1", "")
    assert request.answered_at is not None and before <= request.answered_at <= after
    assert "c2VjcmV0" not in repr(proxy.requests)  # neither headers nor bodies are kept


def test_records_graphql_operations_in_answer_order_and_clears(
    upstream: LoopbackHTTPServer,
) -> None:
    with CountingProxy(upstream.url, timeout=5.0) as proxy:
        for query in ("query AirliftAssets { assetNodes { id } }", "mutation AirliftLaunchRun {}"):
            httpx.post(proxy.url + "/graphql", json={"query": query}).raise_for_status()
        assert [r.operation for r in proxy.requests] == [
            "query AirliftAssets",
            "mutation AirliftLaunchRun",
        ]
        first, second = (r.answered_at or 0.0 for r in proxy.requests)
        assert first <= second
        proxy.clear()
        assert proxy.requests == []


def test_a_request_the_upstream_fails_still_counts(upstream: LoopbackHTTPServer) -> None:
    port = upstream.port
    upstream.stop()  # nothing listens there any more
    proxy = CountingProxy(f"http://127.0.0.1:{port}", timeout=2.0)
    with proxy, pytest.raises(httpx.HTTPError):
        httpx.get(proxy.url + "/api/v2/dags", timeout=5.0)
    assert proxy.requests == [Request("GET", "/api/v2/dags")]


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        (
            "/graphql",
            {"query": "mutation AirliftLaunchRun($p: X!) { a }"},
            "mutation AirliftLaunchRun",
        ),
        ("/graphql/", {"query": "\n  query Q { a }"}, "query Q"),
        ("/graphql", {"query": "{ a }"}, "query"),
        ("/graphql", {"query": "mutation { a }"}, "mutation"),
        ("/graphql", {"query": "fragment F on T { query } mutation M { a }"}, "mutation M"),
        ("/graphql", {"query": "query A { a } query B { b }", "operationName": "B"}, "query B"),
        ("/graphql?x=1", {"query": "query Q { a }"}, "query Q"),
        ("/api/v2/dags", {"query": "query Q { a }"}, ""),
        ("/graphql", {"variables": {}}, ""),
        ("/graphql", [1, 2], ""),
    ],
    ids=[
        "named-mutation",
        "leading-space-trailing-slash",
        "shorthand",
        "anonymous-mutation",
        "fragment-first",
        "operation-name",
        "query-string",
        "not-graphql",
        "no-query",
        "not-an-object",
    ],
)
def test_graphql_operation(path: str, body: object, expected: str) -> None:
    assert graphql_operation(path, json.dumps(body).encode()) == expected


def test_graphql_operation_of_no_body_or_not_json() -> None:
    assert graphql_operation("/graphql", None) == ""
    assert graphql_operation("/graphql", b"not json") == ""
