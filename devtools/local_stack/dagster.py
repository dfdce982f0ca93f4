"""A real, throw-away Dagster (webserver, optionally the daemon) on a loopback port.

State lives in a temporary ``DAGSTER_HOME`` with SQLite storage. The code to
load is given as ``dagster-webserver`` workspace arguments: ``["-m", "pkg.defs"]``,
``["-f", "defs.py"]`` or ``["-w", "workspace.yaml"]`` (optionally with
``"-d", working_dir``). Runs launched through GraphQL start at once
(``DefaultRunCoordinator``); the daemon, when started, evaluates sensors and
schedules.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from devtools.local_stack.airflow_env import clean_base_environment
from devtools.local_stack.ports import LOOPBACK, free_port
from devtools.local_stack.processes import (
    STARTUP_TIMEOUT_SECONDS,
    ManagedProcess,
    Server,
    StackStartError,
    poll_for,
    stop_all,
)

_LOCATIONS_QUERY = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message errorChain { error { message } } }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

_RELOAD_MUTATION = """
mutation Reload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry { name loadStatus }
    ... on PythonError { message }
    ... on RepositoryLocationNotFound { message }
    ... on ReloadNotSupported { message }
    ... on UnauthorizedError { message }
  }
}
"""

_DAEMON_QUERY = """
query { instance { daemonHealth { allDaemonStatuses { daemonType required healthy } } } }
"""


#: Dagster's gRPC deadline for its webserver's and daemon's calls to a code server
#: (``DAGSTER_GRPC_TIMEOUT_SECONDS``, 60 s by default), raised for this stack. A
#: run's launch waits for the code server to spawn the run's process and for that
#: process to import the code location; on a loaded 2-core CI machine that took more
#: than 60 s, and the launch failed with ``DagsterUserCodeUnreachableError`` (seen in
#: the sensor-checks e2e at load 25-40). A deployment tunes
#: the same setting; a caller's ``env`` overrides it.
GRPC_TIMEOUT_SECONDS = 180
#: How long the harness waits for a GraphQL answer. A mutation such as
#: ``reloadRepositoryLocation`` or ``launchRun`` answers only once the code server has
#: (up to the gRPC deadline); at 30 s a reload under load timed out client-side in CI
#: while the webserver was still waiting for the code server.
REQUEST_TIMEOUT_SECONDS = GRPC_TIMEOUT_SECONDS + 30.0
#: A readiness probe's wait: while the stack starts, a probe that hangs is retried.
PROBE_TIMEOUT_SECONDS = 30.0


class DagsterGraphQLError(RuntimeError):
    """A GraphQL call to the local Dagster failed or returned ``errors``."""


def _dagster_yaml(home: Path, run_coordinator: str) -> str:
    coordinator = "QueuedRunCoordinator" if run_coordinator == "queued" else "DefaultRunCoordinator"
    return (
        "storage:\n"
        "  sqlite:\n"
        f"    base_dir: {home / 'storage'}\n"
        "run_coordinator:\n"
        "  module: dagster._core.run_coordinator\n"
        f"  class: {coordinator}\n"
        "telemetry:\n"
        "  enabled: false\n"
        "nux:\n"
        "  enabled: false\n"
    )


class DagsterServer(Server):
    """``dagster-webserver`` (plus ``dagster-daemon`` when ``daemon=True``) for one workspace."""

    def __init__(
        self,
        home: Path,
        workspace_args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        python: Path | None = None,
        daemon: bool = True,
        run_coordinator: str = "default",
        port: int | None = None,
        cwd: Path | None = None,
        allow_load_errors: bool = False,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
        extra_instance_yaml: str = "",
    ) -> None:
        self.home = Path(home).resolve()
        self.workspace_args = list(workspace_args)
        self.python = Path(python) if python else Path(sys.executable)
        self.daemon = daemon
        self.run_coordinator = run_coordinator
        self.cwd = Path(cwd) if cwd else self.home
        self.allow_load_errors = allow_load_errors
        self.startup_timeout = startup_timeout
        self.extra_instance_yaml = extra_instance_yaml
        self._extra_env = dict(env or {})
        self._fixed_port = port
        self._processes: list[ManagedProcess] = []
        self._http: httpx.Client | None = None
        self.port = 0
        self.env: dict[str, str] = {}
        self.startup_seconds: float | None = None

    @property
    def url(self) -> str:
        """Base URL of the webserver, e.g. ``http://127.0.0.1:40123``."""
        return f"http://{LOOPBACK}:{self.port}"

    def __repr__(self) -> str:
        return f"DagsterServer(url={self.url!r}, workspace={self.workspace_args!r})"

    def start(self) -> DagsterServer:
        """Start the webserver (and daemon) and wait until every code location has loaded."""
        if self._processes:
            return self
        started = time.monotonic()
        self.write_instance_yaml()
        self.port = self._fixed_port or free_port()
        self.env = clean_base_environment(self.python)
        self.env.update(
            {
                "DAGSTER_HOME": str(self.home),
                "DAGSTER_GRPC_TIMEOUT_SECONDS": str(GRPC_TIMEOUT_SECONDS),
                **self._extra_env,
            }
        )
        bin_dir = self.python.parent
        logs = self.home / "process-logs"
        self._processes = [
            ManagedProcess(
                "dagster-webserver",
                [
                    str(bin_dir / "dagster-webserver"),
                    *("-h", LOOPBACK, "-p", str(self.port)),
                    *self.workspace_args,
                ],
                env=self.env,
                log_path=logs / f"webserver.{self.port}.log",
                cwd=self.cwd,
            )
        ]
        if self.daemon:
            self._processes.append(
                ManagedProcess(
                    "dagster-daemon",
                    [str(bin_dir / "dagster-daemon"), "run", *self.workspace_args],
                    env=self.env,
                    log_path=logs / f"daemon.{self.port}.log",
                    cwd=self.cwd,
                )
            )
        self._http = httpx.Client(base_url=self.url, timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS))
        try:
            webserver, *others = self._processes
            together = self._create_storage_here()
            webserver.start()
            if together:
                for proc in others:
                    proc.start()
            # Otherwise the daemon starts once the webserver answers: both would race
            # to create the SQLite tables of a fresh DAGSTER_HOME.
            poll_for(
                lambda: (
                    True
                    if self.graphql("{ version }", timeout=PROBE_TIMEOUT_SECONDS).get("version")
                    else None
                ),
                timeout=self.startup_timeout,
                what=f"dagster-webserver at {self.url} to answer GraphQL",
                processes=[webserver],
                transient=(httpx.TransportError, DagsterGraphQLError),
            )
            for proc in others:
                proc.start()  # no-op for one already running
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def write_instance_yaml(self) -> Path:
        """Write ``$DAGSTER_HOME/dagster.yaml`` (also before :meth:`start`, for other processes
        of the same instance such as a code server or ``dg utils refresh-defs-state``)."""
        self.home.mkdir(parents=True, exist_ok=True)
        path = self.home / "dagster.yaml"
        text = _dagster_yaml(self.home, self.run_coordinator) + self.extra_instance_yaml
        path.write_text(text)
        return path

    def _create_storage_here(self) -> bool:
        """Create the instance's SQLite tables from this process, so that the webserver
        and the daemon can start side by side; ``False`` (nothing done) when the servers
        run another interpreter or the instance has extra settings (its own storage or
        launcher), which then start one after the other."""
        if self.extra_instance_yaml or self.python != Path(sys.executable):
            return False
        from dagster import DagsterInstance

        with DagsterInstance.from_config(str(self.home)):
            pass
        return True

    def _wait_ready(self) -> None:
        last = {"answer": "no answer yet"}

        def loaded() -> bool | None:
            try:
                entries = self.locations(timeout=PROBE_TIMEOUT_SECONDS)
            except (httpx.HTTPError, DagsterGraphQLError) as exc:
                last["answer"] = str(exc)[:300]
                return None
            last["answer"] = repr(entries)[:500]
            if not entries or any(e["loadStatus"] != "LOADED" for e in entries):
                return None
            errors = self.location_errors()
            if errors and not self.allow_load_errors:
                raise StackStartError(
                    f"Dagster at {self.url} could not load its code: "
                    + "; ".join(f"{name}: {msg}" for name, msg in errors.items())
                )
            return True

        poll_for(
            loaded,
            timeout=self.startup_timeout,
            what=f"Dagster at {self.url} to load {' '.join(self.workspace_args)}",
            processes=self._processes,
            last_state=lambda: last["answer"],
        )
        if self.daemon:
            poll_for(
                self._daemons_healthy,
                timeout=self.startup_timeout,
                what=f"dagster-daemon of {self.url} to report its daemons healthy",
                processes=self._processes,
                transient=(httpx.TransportError, DagsterGraphQLError),
            )

    def _daemons_healthy(self) -> bool | None:
        answer = self.graphql(_DAEMON_QUERY, timeout=PROBE_TIMEOUT_SECONDS)
        statuses = answer["instance"]["daemonHealth"]["allDaemonStatuses"]
        return True if all(s["healthy"] for s in statuses if s["required"]) else None

    @property
    def processes(self) -> tuple[ManagedProcess, ...]:
        """The running component processes (empty when stopped)."""
        return tuple(self._processes)

    def stop(self) -> None:
        """Stop the webserver, the daemon and their code servers."""
        stop_all(self._processes)
        self._processes = []
        if self._http is not None:
            self._http.close()
            self._http = None

    def restart(self) -> DagsterServer:
        """Stop and start again on the same port and home (runs and cursors survive)."""
        self._fixed_port = self.port
        self.stop()
        return self.start()

    def graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> dict[str, Any]:
        """POST a GraphQL document; return ``data`` or raise :class:`DagsterGraphQLError`."""
        if self._http is None:
            raise DagsterGraphQLError(f"{self!r} is not started")
        resp = self._http.post(
            "/graphql",
            json={"query": query, "variables": dict(variables or {})},
            timeout=timeout,
        )
        if resp.status_code != 200:
            raise DagsterGraphQLError(f"POST /graphql -> {resp.status_code}: {resp.text[:300]}")
        body = resp.json()
        if body.get("errors"):
            raise DagsterGraphQLError(f"GraphQL errors: {body['errors']}")
        return dict(body["data"])

    def locations(self, timeout: float = REQUEST_TIMEOUT_SECONDS) -> list[dict[str, Any]]:
        """The workspace's code locations: ``name``, ``loadStatus``, ``locationOrLoadError``."""
        workspace = self.graphql(_LOCATIONS_QUERY, timeout=timeout)["workspaceOrError"]
        if workspace["__typename"] != "Workspace":
            raise DagsterGraphQLError(f"workspace error: {workspace.get('message')}")
        return list(workspace["locationEntries"])

    def location_errors(self) -> dict[str, str]:
        """Code location name -> load error message, for every location that failed to load."""
        errors = {}
        for entry in self.locations():
            error = entry.get("locationOrLoadError") or {}
            if error.get("__typename") == "PythonError":
                chain = [link["error"]["message"] for link in error.get("errorChain") or []]
                errors[entry["name"]] = " <- ".join(
                    m.strip() for m in [error.get("message", ""), *chain]
                )
        return errors

    def reload_location(self, name: str, timeout: float = 60.0) -> dict[str, Any]:
        """Reload code location ``name`` (e.g. after editing ``airlift.yaml``); wait until loaded."""
        result = self.graphql(_RELOAD_MUTATION, {"name": name})["reloadRepositoryLocation"]
        if result["__typename"] != "WorkspaceLocationEntry":
            raise DagsterGraphQLError(f"reload of {name!r} failed: {result.get('message')}")

        def loaded() -> dict[str, Any] | None:
            for entry in self.locations():
                if entry["name"] == name and entry["loadStatus"] == "LOADED":
                    return entry
            return None

        return poll_for(
            loaded,
            timeout=timeout,
            what=f"code location {name!r} to reload",
            processes=self._processes,
        )
