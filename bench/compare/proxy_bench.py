"""Proxy operator: GraphQL requests and time from task start to Dagster run launched.

A real ``dagster-webserver`` (our venv) serves ``proxy_location.py`` (5,000
executable assets); a counting reverse proxy in this process sits in front of
it and notes each GraphQL request and when the launch mutation was answered.
Our side (``proxy_driver_ours.py``: the runner our operators use) and theirs
(``proxy_driver_theirs.py``: ``BaseProxyTaskToDagsterOperator.launch_runs_for_task``)
each proxy one task through it and follow the run to success.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from measures import OURS, Measure, Row

HERE = Path(__file__).resolve().parent
DAG, TASK = "dag_00250", "task_05"
STARTUP_SECONDS = 300


class _Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[float, str]] = []
        self.launched_at: float | None = None

    def reset(self) -> None:
        with self.lock:
            self.requests, self.launched_at = [], None


def _counting_proxy(upstream: str, recorder: _Recorder) -> ThreadingHTTPServer:
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            query = ""
            if body:
                try:
                    query = str(json.loads(body).get("query", ""))
                except ValueError:
                    query = ""
            conn = http.client.HTTPConnection(
                target.hostname or "127.0.0.1", target.port, timeout=300
            )
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")
            }
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            conn.close()
            now = time.time()
            if self.path.rstrip("/").endswith("graphql"):
                with recorder.lock:
                    recorder.requests.append((now, query))
                    compact = query.replace(" ", "")
                    if (
                        recorder.launched_at is None
                        and "mutation" in compact
                        and "launch" in compact.lower()
                    ):
                        recorder.launched_at = now
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _forward

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _graphql(url: str, query: str) -> dict[str, Any]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    conn.request(
        "POST",
        "/graphql",
        body=json.dumps({"query": query}),
        headers={"Content-Type": "application/json"},
    )
    data = json.loads(conn.getresponse().read())
    conn.close()
    return dict(data)


def _wait_loaded(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    query = '{ assetNodes(assetKeys: [{path: ["bench", "dag_00499", "task_09"]}]) { id } }'
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("dagster-webserver exited during start-up")
        try:
            if _graphql(url, query).get("data", {}).get("assetNodes"):
                return
        except (OSError, ValueError, http.client.HTTPException):
            pass
        time.sleep(0.5)  # polling with a deadline
    raise RuntimeError(f"dagster-webserver did not load the code location in {STARTUP_SECONDS} s")


def _proxy_once(
    python: str, url: str, recorder: _Recorder, env: dict[str, str], script: str
) -> tuple[Measure | None, str]:
    """One proxied task; on failure ``None`` and the error's last line (one retry)."""
    error = ""
    for _attempt in range(2):
        recorder.reset()
        result = subprocess.run(
            [python, str(HERE / script), url, DAG, TASK],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        if result.returncode == 0 and len(lines) >= 2 and recorder.launched_at is not None:
            start = lines[0]["start"]
            before_launch = sum(1 for at, _ in recorder.requests if at <= recorder.launched_at)
            return Measure(recorder.launched_at - start, before_launch, None), error
        tail = [line for line in result.stderr.splitlines() if line.strip()]
        error = (tail[-1] if tail else f"exit {result.returncode}")[:160]
    return None, error


def run(work: Path, theirs_airflow_py: str) -> list[Row]:
    home = work / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "run_coordinator:\n  module: dagster.core.run_coordinator\n  class: DefaultRunCoordinator\n"
        "telemetry:\n  enabled: false\n"
    )
    port = _free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONWARNINGS": "ignore"}
    webserver = str(Path(OURS).parent / "dagster-webserver")
    log = (work / "dagster-webserver.log").open("w")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [webserver, "-h", "127.0.0.1", "-p", str(port), "-f", str(HERE / "proxy_location.py")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    recorder = _Recorder()
    proxy = None
    try:
        upstream = f"http://127.0.0.1:{port}"
        _wait_loaded(upstream, proc)
        load_seconds = time.perf_counter() - started
        proxy = _counting_proxy(upstream, recorder)
        url = f"http://127.0.0.1:{proxy.server_address[1]}"
        driver_env = {**os.environ, "PYTHONWARNINGS": "ignore", "DAGSTER_URL": url}
        ours, ours_error = _proxy_once(OURS, url, recorder, driver_env, "proxy_driver_ours.py")
        ours_total = len(recorder.requests)
        theirs, theirs_error = _proxy_once(
            theirs_airflow_py, url, recorder, driver_env, "proxy_driver_theirs.py"
        )
        theirs_total = len(recorder.requests)
    finally:
        if proxy is not None:
            proxy.shutdown()
            proxy.server_close()
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    note = (
        f"5,500 asset nodes (5,000 executable), webserver load {load_seconds:.0f} s; "
        f"requests incl. polling to success: ours {ours_total}, theirs {theirs_total}"
    )
    for name, error in (("ours", ours_error), ("theirs", theirs_error)):
        if error:
            note += f"; {name} failed once: {error}"
    return [Row("proxy operator: task start -> run launched", ours, theirs, note)]
