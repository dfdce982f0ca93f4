"""``dagster code-server start`` on loopback: a code location served over gRPC on its own.

The production shape: the webserver and the daemon reach the code through a
``grpc_server`` workspace entry (:meth:`CodeServer.workspace_yaml`), and a
reload from the webserver makes this process load the code again.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from devtools.local_stack.airflow_env import clean_base_environment
from devtools.local_stack.ports import LOOPBACK, free_port
from devtools.local_stack.processes import ManagedProcess, Server, poll_for


class CodeServer(Server):
    """``dagster code-server start -m MODULE`` with ``env`` (add ``DAGSTER_HOME``, ``PYTHONPATH``)."""

    def __init__(
        self, module: str, location: str, *, home: Path, env: Mapping[str, str], cwd: Path
    ) -> None:
        self.module = module
        self.location = location
        self.home = Path(home)
        self.cwd = Path(cwd)
        self.env = {**clean_base_environment(Path(sys.executable)), **env}
        self.port = 0
        self._process: ManagedProcess | None = None

    def workspace_yaml(self) -> str:
        return (
            "load_from:\n"
            "  - grpc_server:\n"
            f"      host: {LOOPBACK}\n"
            f"      port: {self.port}\n"
            f"      location_name: {self.location}\n"
        )

    def start(self, timeout: float = 120.0) -> CodeServer:
        from dagster._grpc.client import DagsterGrpcClient

        self.port = free_port()
        bin_dir = Path(sys.executable).parent
        self._process = ManagedProcess(
            "dagster code-server",
            [
                str(bin_dir / "dagster"),
                *("code-server", "start", "-m", self.module),
                *("-h", LOOPBACK, "-p", str(self.port), "--location-name", self.location),
            ],
            env=self.env,
            log_path=self.home / f"code-server.{self.port}.log",
            cwd=self.cwd,
        )
        self._process.start()
        client = DagsterGrpcClient(port=self.port, host=LOOPBACK)
        poll_for(
            lambda: True if client.ping("ready") else None,
            timeout=timeout,
            what=f"dagster code-server on {LOOPBACK}:{self.port}",
            processes=[self._process],
            transient=(Exception,),
        )
        return self

    @property
    def log(self) -> str:
        return self._process.tail(80) if self._process else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
