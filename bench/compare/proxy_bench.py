"""Proxy operator: GraphQL requests and time from task start to Dagster run launched.

A real ``dagster-webserver`` (our venv) serves ``proxy_location.py`` (5,000
executable assets); a counting reverse proxy in this process (``CountingProxy``,
shared with the local stack) sits in front of it and notes each GraphQL request
and when the launch mutation was answered.
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
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from measures import OURS, Measure, Row

from devtools.local_stack.counting_proxy import CountingProxy, Request

HERE = Path(__file__).resolve().parent
DAG, TASK = "dag_00250", "task_05"
STARTUP_SECONDS = 300


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


def _graphql_answered(proxy: CountingProxy) -> list[Request]:
    """The GraphQL requests the proxy has seen answered, in the order of their answers."""
    with proxy.lock:
        answered = [r for r in proxy.requests if r.operation and r.answered_at is not None]
    return sorted(answered, key=lambda r: r.answered_at or 0.0)


def _launched_at(requests: list[Request]) -> float | None:
    """When the first run-launching mutation (ours ``AirliftLaunchRun``, theirs
    ``LaunchAssetsExecution``) was answered."""
    for request in requests:
        if request.operation.startswith("mutation") and "launch" in request.operation.lower():
            return request.answered_at
    return None


def _proxy_once(
    python: str, url: str, proxy: CountingProxy, env: dict[str, str], script: str
) -> tuple[Measure | None, str]:
    """One proxied task; on failure ``None`` and the error's last line (one retry)."""
    error = ""
    for _attempt in range(2):
        proxy.clear()
        result = subprocess.run(
            [python, str(HERE / script), url, DAG, TASK],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
        requests = _graphql_answered(proxy)
        launched_at = _launched_at(requests)
        if result.returncode == 0 and len(lines) >= 2 and launched_at is not None:
            start = lines[0]["start"]
            before_launch = sum(1 for r in requests if (r.answered_at or 0.0) <= launched_at)
            return Measure(launched_at - start, before_launch, None), error
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
    upstream = f"http://127.0.0.1:{port}"
    # A launch at 5,000 assets may take Dagster longer than the proxy's default minute.
    proxy = CountingProxy(upstream, timeout=300.0)
    try:
        _wait_loaded(upstream, proc)
        load_seconds = time.perf_counter() - started
        proxy.start()
        url = proxy.url
        driver_env = {**os.environ, "PYTHONWARNINGS": "ignore", "DAGSTER_URL": url}
        ours, ours_error = _proxy_once(OURS, url, proxy, driver_env, "proxy_driver_ours.py")
        ours_total = len(_graphql_answered(proxy))
        theirs, theirs_error = _proxy_once(
            theirs_airflow_py, url, proxy, driver_env, "proxy_driver_theirs.py"
        )
        theirs_total = len(_graphql_answered(proxy))
    finally:
        proxy.stop()
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
