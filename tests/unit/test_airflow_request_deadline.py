"""A trickling Airflow is cut off: the deadline and a tick's budget bound a whole request.

httpx's timeouts bound each read, so a server that sends one byte at a time never
trips them. These tests run a real HTTP server on 127.0.0.1 (a thread) that
trickles its answer (status line and headers, or the body), and require the call
to end with one error naming the URL (without its password) and the limit.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.airflow_api.transport import OutOfTime, TimeBudget
from airlift_component.errors import AirflowApiError

#: Long enough that, trickled at TRICKLE_SECONDS a byte, it takes minutes.
BODY = b'{"dags": [], "total_entries": 0}' + b" " * 4000
TRICKLE_SECONDS = 0.05


@dataclass
class Trickler:
    """An HTTP/1.1 server that sends every answer one byte at a time."""

    phase: str  # "headers": the whole answer trickles; "body": only the body does
    port: int = 0
    requests: int = 0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._listener.settimeout(0.1)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            received = b""
            while b"\r\n\r\n" not in received:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                received += chunk
            self.requests += 1
            head = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n"
            )
            if self.phase == "body":
                conn.sendall(head)
                slow = BODY
            else:
                slow = head + BODY
            for byte in slow:
                if self._stop.is_set():
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:  # the client gave up: what these tests want
                    return
                self._stop.wait(TRICKLE_SECONDS)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=5)


@pytest.fixture(params=["headers", "body"])
def trickler(request: pytest.FixtureRequest) -> Iterator[Trickler]:
    server = Trickler(request.param)
    yield server
    server.close()


def _client(server: Trickler, deadline: float) -> AirflowClient:
    return AirflowClient.for_url(
        f"http://admin:hunter2@127.0.0.1:{server.port}",
        api="v2",
        retry_policy=RetryPolicy(retries=3, deadline_seconds=deadline, backoff_base=0.01),
    )


@pytest.mark.timeout(60)  # without a whole-request deadline the call runs for minutes
def test_the_deadline_bounds_the_whole_request(trickler: Trickler) -> None:
    with _client(trickler, deadline=1.5) as client, pytest.raises(AirflowApiError) as info:
        client.list_dags()
    message = str(info.value)
    assert f"http://127.0.0.1:{trickler.port}" in message
    assert "GET /api/v2/dags" in message
    assert "1.5 s (http.deadline_seconds)" in message
    assert "hunter2" not in message and "admin" not in message
    assert trickler.requests == 1  # no retry once the deadline is spent


@pytest.mark.timeout(60)  # without a whole-request budget the tick runs for minutes
def test_a_tick_budget_bounds_the_whole_request(trickler: Trickler) -> None:
    label = "the sensor tick's 1.5 s budget"
    with _client(trickler, deadline=300) as client, pytest.raises(OutOfTime) as info:
        client.bounded(TimeBudget.start(1.5, label)).list_dags()
    message = str(info.value)
    assert f"http://127.0.0.1:{trickler.port}" in message
    assert label in message and "GET /api/v2/dags" in message
    assert "hunter2" not in message


@pytest.mark.timeout(60)
def test_a_fast_answer_within_the_deadline_still_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}.TRICKLE_SECONDS", 0.0)
    server = Trickler("body")
    try:
        with _client(server, deadline=30) as client:
            assert client.list_dags() == []
            assert client.list_dags() == []  # a second request is bounded afresh
    finally:
        server.close()
