"""A real, throw-away Airflow 2 or Airflow 3 on a loopback port.

Airflow 3 runs ``api-server``, ``scheduler`` and ``dag-processor`` (LocalExecutor,
simple auth manager with a known user and password, JWTs from ``/auth/token``).
Airflow 2 runs ``webserver`` and ``scheduler`` (one task at a time, as SQLite
requires: a SequentialExecutor that forks each ``airflow tasks run`` from the
scheduler, see ``airflow2_fork_executor.py``; basic auth for the REST API). Both
use SQLite in ``home`` and rescan the DAG folder every few seconds.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devtools.local_stack.airflow_dags import DagHelpers
from devtools.local_stack.airflow_env import (
    AIRFLOW2_EXECUTOR_MODULE,
    AirflowSecrets,
    airflow_environment,
)
from devtools.local_stack.airflow_rest import HarnessApi
from devtools.local_stack.ports import LOOPBACK, free_ports
from devtools.local_stack.processes import (
    STARTUP_TIMEOUT_SECONDS,
    ManagedProcess,
    Server,
    StackStartError,
    poll_for,
    run_logged,
    stop_all,
)

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PYTHON = {
    3: REPO_ROOT / ".venv" / "bin" / "python",
    2: REPO_ROOT / ".venv-airflow2" / "bin" / "python",
}
COMPONENTS = {3: ("api-server", "scheduler", "dag-processor"), 2: ("webserver", "scheduler")}
# /monitor/health (v2) and /health (v1) keys that must say "healthy" per component.
_HEALTH_KEYS = {
    "scheduler": "scheduler",
    "dag-processor": "dag_processor",
    "triggerer": "triggerer",
}


class AirflowServer(DagHelpers, Server):
    """One local Airflow (major version 2 or 3) with its own home, database and port.

    ``home`` holds the SQLite database, Airflow's logs and one log file per
    process (``home/process-logs/<component>.<port>.log``). ``dags_folder`` is
    used as it is: put the DAG files (and any ``proxied_state/`` folder) there;
    files written while the server runs are picked up within a few seconds.
    """

    def __init__(
        self,
        version_major: int = 3,
        *,
        home: Path,
        dags_folder: Path,
        port: int | None = None,
        python: Path | None = None,
        env_overrides: Mapping[str, str] | None = None,
        username: str = "admin",
        password: str | None = None,
        components: Sequence[str] | None = None,
        triggerer: bool = False,
        migrate: bool = True,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> None:
        if version_major not in (2, 3):
            raise ValueError(f"version_major must be 2 or 3, not {version_major!r}")
        self.version_major = version_major
        self.home = Path(home).resolve()
        self.dags_folder = Path(dags_folder).resolve()
        self.python = Path(python) if python else DEFAULT_PYTHON[version_major]
        self.username = username
        self.password = password or f"pw-{secrets.token_urlsafe(12)}"
        self.components = tuple(components or COMPONENTS[version_major])
        if triggerer and "triggerer" not in self.components:
            self.components += ("triggerer",)
        self.migrate = migrate
        self.startup_timeout = startup_timeout
        self._env_overrides = dict(env_overrides or {})
        self._fixed_port = port
        self._keys = AirflowSecrets()
        self._processes: list[ManagedProcess] = []
        self._api: HarnessApi | None = None
        self._prepared = False
        self._user_created = False
        self.port = 0
        self.env: dict[str, str] = {}
        self.startup_seconds: float | None = None

    # -- identity ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123`` (valid after :meth:`start`)."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def api_version(self) -> str:
        """``"v2"`` for Airflow 3, ``"v1"`` for Airflow 2."""
        return "v2" if self.version_major >= 3 else "v1"

    @property
    def passwords_file(self) -> Path:
        return self.home / "simple_auth_manager_passwords.json"

    def __repr__(self) -> str:
        return f"AirflowServer(version_major={self.version_major}, url={self.url!r}, home={str(self.home)!r})"

    def _argv(self, *args: str) -> list[str]:
        candidate = self.python.parent / "airflow"
        base = [str(candidate)] if candidate.exists() else [str(self.python), "-m", "airflow"]
        return [*base, *args]

    # -- lifecycle --------------------------------------------------------------

    def start(self) -> AirflowServer:
        """Migrate the database, start every component and wait until all are healthy."""
        if self._processes:
            return self
        if not self.python.exists():
            raise StackStartError(
                f"Airflow {self.version_major} interpreter {self.python} does not exist; "
                "run ./scripts/setup to create the virtualenvs."
            )
        started = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "plugins").mkdir(exist_ok=True)
        if self.version_major == 2:
            _install_executor(self.home / "config")
        self.dags_folder.mkdir(parents=True, exist_ok=True)
        ports = free_ports(3)
        # A restarted server keeps its URL, so clients and airlift.yaml stay valid.
        self.port = self._fixed_port or self.port or ports[0]
        self.env = airflow_environment(
            version_major=self.version_major,
            python=self.python,
            home=self.home,
            dags_folder=self.dags_folder,
            port=self.port,
            log_server_ports=(ports[1], ports[2]),
            username=self.username,
            passwords_file=self.passwords_file,
            keys=self._keys,
            overrides=self._env_overrides,
        )
        self._api = HarnessApi(self.url, self.api_version, self.username, self.password)
        try:
            self._prepare()
            self._processes = [
                ManagedProcess(
                    f"airflow{self.version_major} {component}",
                    self._argv(component),
                    env=self.env,
                    log_path=self.home / "process-logs" / f"{component}.{self.port}.log",
                    cwd=self.home,
                )
                for component in self.components
            ]
            # The Airflow 2 webserver syncs the FAB roles at start-up, so it must not
            # race `users create`; everything else starts while the user is created.
            for proc in self._processes:
                if not proc.name.endswith("webserver"):
                    proc.start()
            self._create_user()
            for proc in self._processes:
                proc.start()  # no-op for those already running
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _prepare(self) -> None:
        if self.version_major >= 3:
            # A passwords file that already lists the user fixes its password.
            self.passwords_file.write_text(json.dumps({self.username: self.password}))
        if not self.migrate or self._prepared:
            return
        run_logged(
            f"airflow{self.version_major} db migrate",
            self._argv("db", "migrate"),
            env=self.env,
            log_path=self.home / "process-logs" / "db-migrate.log",
            timeout=self.startup_timeout,
            cwd=self.home,
        )
        self._prepared = True

    def _create_user(self) -> None:
        """Airflow 2 only (FAB users; Airflow 3 reads the passwords file)."""
        if self.version_major != 2 or self._user_created or not self.migrate:
            return
        run_logged(
            "airflow2 users create",
            self._argv("users", "create", *_user_args(self.username, self.password)),
            env=self.env,
            log_path=self.home / "process-logs" / "users-create.log",
            timeout=self.startup_timeout,
            cwd=self.home,
        )
        self._user_created = True

    def _wait_ready(self) -> None:
        assert self._api is not None
        api = self._api
        health_path = "/api/v2/monitor/health" if self.version_major >= 3 else "/api/v1/health"
        needed = [_HEALTH_KEYS[c] for c in self.components if c in _HEALTH_KEYS]
        last: dict[str, str] = {"answer": "no answer yet"}

        def healthy() -> bool | None:
            resp = api.probe(health_path)
            if resp is None:
                return None
            last["answer"] = f"{resp.status_code} {resp.text[:300]}"
            if resp.status_code != 200:
                return None
            body = resp.json()
            ok = all((body.get(key) or {}).get("status") == "healthy" for key in needed)
            return True if ok else None

        poll_for(
            healthy,
            timeout=self.startup_timeout,
            what=f"Airflow {self.version_major} at {self.url}{health_path} to report "
            f"{', '.join(['metadatabase', *needed])} healthy",
            processes=self._processes,
            last_state=lambda: f"GET {health_path} -> {last['answer']}",
        )

    def stop(self) -> None:
        """Stop every process of this server (SIGTERM, then SIGKILL after a deadline)."""
        stop_all(self._processes)
        self._processes = []
        if self._api is not None:
            self._api.close()
            self._api = None

    def restart(self) -> AirflowServer:
        """Stop and start again on the same port, keeping the database and DAGs."""
        self.stop()
        return self.start()

    @property
    def processes(self) -> tuple[ManagedProcess, ...]:
        """The running component processes (empty when stopped)."""
        return tuple(self._processes)

    @property
    def running(self) -> bool:
        return bool(self._processes) and all(p.running for p in self._processes)

    def spawn_api_server(self, env_overrides: Mapping[str, str]) -> AirflowServer:
        """Start an extra API server (Airflow 3) or webserver (2) on the same database.

        It has its own port and settings (e.g. a short
        ``AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME``) while this server's scheduler
        keeps running the DAGs. Stop it with :meth:`stop`.
        """
        extra = AirflowServer(
            self.version_major,
            home=self.home,
            dags_folder=self.dags_folder,
            python=self.python,
            env_overrides={**self._env_overrides, **env_overrides},
            username=self.username,
            password=self.password,
            components=self.components[:1],
            migrate=False,
            startup_timeout=self.startup_timeout,
        )
        extra._keys = self._keys
        return extra.start()

    # -- using it ---------------------------------------------------------------

    @property
    def api(self) -> HarnessApi:
        """The harness's own authenticated REST helper (not the product's client)."""
        if self._api is None:
            raise StackStartError(f"{self!r} is not started")
        return self._api

    def client(self, name: str = "airflow", api: str = "auto", **kwargs: Any) -> AirflowClient:
        """The product's :class:`AirflowClient`, logged in as this server's admin user."""
        from airlift_component.airflow_api.client import AirflowClient

        return AirflowClient.for_url(
            self.url, name=name, api=api, username=self.username, password=self.password, **kwargs
        )

    def instance_config(self, name: str = "airflow", **extra: Any) -> dict[str, Any]:
        """An ``instances:`` entry of ``airlift.yaml`` pointing at this server."""
        return {
            "name": name,
            "url": self.url,
            "api": "auto",
            "auth": {"type": "basic", "username": self.username, "password": self.password},
            **extra,
        }

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Run ``airflow <args>`` against this server; output captured, never raises on failure."""
        return subprocess.run(
            self._argv(*args),
            env=self.env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _install_executor(config_dir: Path) -> None:
    """Put Airflow 2's executor module where Airflow imports it from (``$AIRFLOW_HOME/config``)."""
    config_dir.mkdir(exist_ok=True)
    source = Path(__file__).with_name(f"{AIRFLOW2_EXECUTOR_MODULE}.py")
    shutil.copyfile(source, config_dir / source.name)


def _user_args(username: str, password: str) -> list[str]:
    """``airflow users create`` options for an Airflow 2 admin user."""
    options = {
        "--username": username,
        "--password": password,
        "--role": "Admin",
        "--email": "admin@example.invalid",
        "--firstname": "Local",
        "--lastname": "Admin",
    }
    return [item for pair in options.items() for item in pair]
