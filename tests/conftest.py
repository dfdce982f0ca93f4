"""Real-server fixtures for the e2e tests (``tests/e2e/``).

Session-scoped, started on first use, stopped at the end of the session (also
when tests fail; an ``atexit`` hook in ``devtools.local_stack`` catches the
rest):

- ``airflow3`` / ``airflow2``: an :class:`~devtools.local_stack.AirflowServer`
  (Airflow 3 from ``.venv``, Airflow 2.10 from ``.venv-airflow2``);
- ``airflow``: parametrized over both (test ids ``af2`` and ``af3``).

Function- or module-scoped factories: ``airflow_server_factory`` (a private
Airflow, e.g. with other settings or for outage tests that must not disturb the
shared ones), ``dagster_server_factory`` / ``module_dagster_server_factory``.

DAG files. Each Airflow gets its own temporary copy of ``tests/e2e/dags/``
(subfolders included, e.g. ``proxied_state/``), made when it starts: commit a
DAG file there and every e2e run has it. A test that needs its own files writes
them into the running server's folder and waits for the parse::

    def test_flip(airflow3):
        airflow3.write_dag_file("proxied_state/my_dag.yaml", "tasks: ...")
        airflow3.write_dag_file("my_dag.py", DAG_SOURCE)       # atomic write
        airflow3.wait_for_dag("my_dag")                         # polls the API
        airflow3.wait_for_dag_tags("my_dag", lambda tags: "x" in tags)

Use DAG ids unique to your test module: the servers are shared by the session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from devtools.local_stack import AirflowServer, DagsterServer
from devtools.local_stack.processes import stop_everything_on_sigterm

E2E_DAGS = Path(__file__).parent / "e2e" / "dags"
_STARTUP_TIMES: list[tuple[str, float]] = []
# Seconds and tests per xdist group ("-" for none) in this process, and per worker on
# the controller: CI's wall time is its slowest worker's, so the groups can be balanced.
_GROUP_TIMES: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
_WORKER_TIMES: list[tuple[str, dict[str, list[float]]]] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: starts real Airflow and/or Dagster processes")
    stop_everything_on_sigterm()
    # `airlift validate` remembers passes in the user's cache folder: the tests (and
    # the servers they start) use a folder of this session's, never the user's.
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="airlift-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ["XDG_CACHE_HOME"], ignore_errors=True)


def _new_airflow(
    version: int, base: Path, env_overrides: Mapping[str, str] | None = None
) -> AirflowServer:
    dags = base / "dags"
    shutil.copytree(E2E_DAGS, dags, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return AirflowServer(version, home=base / "home", dags_folder=dags, env_overrides=env_overrides)


def _started(server: AirflowServer | DagsterServer, label: str) -> None:
    server.start()
    if server.startup_seconds is not None:
        _STARTUP_TIMES.append((label, server.startup_seconds))


def _session_airflow(version: int, factory: pytest.TempPathFactory) -> Iterator[AirflowServer]:
    server = _new_airflow(version, factory.mktemp(f"airflow{version}"))
    try:
        _started(server, f"airflow{version} (session)")
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def airflow3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServer]:
    """A real Airflow 3 shared by the session (api-server, scheduler, dag-processor)."""
    yield from _session_airflow(3, tmp_path_factory)


@pytest.fixture(scope="session")
def airflow2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServer]:
    """A real Airflow 2.10 shared by the session (webserver, scheduler)."""
    yield from _session_airflow(2, tmp_path_factory)


@pytest.fixture(scope="session", params=[pytest.param(2, id="af2"), pytest.param(3, id="af3")])
def airflow(request: pytest.FixtureRequest) -> AirflowServer:
    """Each real Airflow in turn: the test runs once against Airflow 2 and once against 3."""
    server: AirflowServer = request.getfixturevalue(f"airflow{request.param}")
    return server


@pytest.fixture
def airflow_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., AirflowServer]]:
    """Start private Airflows: ``factory(3, env_overrides={...})``; stopped after the test."""
    servers: list[AirflowServer] = []

    def make(version: int = 3, env_overrides: Mapping[str, str] | None = None) -> AirflowServer:
        server = _new_airflow(
            version, tmp_path_factory.mktemp(f"private-airflow{version}"), env_overrides
        )
        servers.append(server)
        _started(server, f"airflow{version} (private)")
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()


class DagsterFactory:
    """Starts :class:`DagsterServer` s for one scope and stops them all at its end.

    ``factory(workspace, env=..., daemon=...)`` where ``workspace`` is a
    ``workspace.yaml`` path (``-w``), a ``.py`` file (``-f``), a module name
    (``-m``) or a list of raw ``dagster-webserver`` arguments.
    """

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self.servers: list[DagsterServer] = []

    def __call__(
        self,
        workspace: str | Path | Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        daemon: bool = True,
        **kwargs: Any,
    ) -> DagsterServer:
        server = DagsterServer(
            self._tmp.mktemp("dagster-home"),
            workspace_arguments(workspace),
            env=env,
            daemon=daemon,
            **kwargs,
        )
        self.servers.append(server)
        _started(server, "dagster")
        return server

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


def workspace_arguments(workspace: str | Path | Sequence[str]) -> list[str]:
    """``dagster-webserver`` arguments for a workspace file, a Python file or a module."""
    if isinstance(workspace, Path | str):
        text = str(workspace)
        if text.endswith((".yaml", ".yml")):
            return ["-w", text]
        if text.endswith(".py"):
            return ["-f", text]
        return ["-m", text]
    return list(workspace)


@pytest.fixture
def dagster_server_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterFactory]:
    """Start real Dagster webservers (and daemons) for one test; all stopped after it."""
    factory = DagsterFactory(tmp_path_factory)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture(scope="module")
def module_dagster_server_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[DagsterFactory]:
    """Like ``dagster_server_factory``, but the servers live for the whole test module."""
    factory = DagsterFactory(tmp_path_factory)
    try:
        yield factory
    finally:
        factory.stop_all()


_SERVER_FIXTURES = {"airflow", "airflow2", "airflow3", "airflow_server_factory"}
_SERVER_FIXTURES |= {"dagster_server_factory", "module_dagster_server_factory"}


# The e2e modules whose tests go to a second session Airflow of each version (on
# another xdist worker), so that the e2e tests, which mostly wait on Airflow and
# Dagster, run on four workers rather than two. Chosen to balance the two halves'
# durations in a full run (``--durations=0``), with the three modules whose Dagster
# daemons launch many runs (sensor checks, proxy checks, decommission) in the first
# half, so at most one of them per Airflow version runs at a time: four at once
# timed out a code server's launch on two cores. The Airflow-3-only modules
# (production shape, CI refresh) go to the second half, as the first held more.
_SECOND_AIRFLOW_MODULES = frozenset(
    {
        "test_generate_e2e.py",
        "test_airflow_assets_e2e.py",
        "test_multi_asset_mapping_e2e.py",
        "test_production_shape_e2e.py",
        "test_ci_refresh_storage_e2e.py",
        "test_sensor_daemon_e2e.py",
        "test_sensor_e2e.py",
        "test_sensor_exactly_once_e2e.py",
        "test_sensor_flip_e2e.py",
        "test_sensor_new_dag_e2e.py",
        "test_proxy_whole_dag_e2e.py",
    }
)


def _airflow_group(item: pytest.Item) -> str | None:
    """The xdist group of a test that talks to a session Airflow, else ``None``.

    ``af2`` / ``af3``, or ``af2-second`` / ``af3-second`` for the modules in
    ``_SECOND_AIRFLOW_MODULES``. The session Airflows are per worker process, so a
    worker that runs a group starts its own Airflow of that version once (and a
    worker given both groups of one version shares one Airflow between them).
    """
    names = set(getattr(item, "fixturenames", ()))
    callspec = getattr(item, "callspec", None)
    ids = set(callspec.id.split("-")) if callspec is not None else set()
    second = Path(str(item.fspath)).name in _SECOND_AIRFLOW_MODULES
    for group in ("af2", "af3"):
        if f"airflow{group[-1]}" in names or group in ids:
            return f"{group}-second" if second else group
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a real server as ``e2e`` (``-m "not e2e"`` skips them).

    Under pytest-xdist (``scripts/test`` runs ``-n 5 --dist loadgroup``) the tests of
    one group share a worker, so each session Airflow starts once per group; the
    other tests go to whichever worker is free. ``tryfirst``: xdist reads the group
    marks in its own hook of the same name.
    """
    for item in items:
        if _SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
        group = _airflow_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    marker = item.get_closest_marker("xdist_group")
    group = str(marker.args[0]) if marker is not None and marker.args else "-"
    started = time.monotonic()
    try:
        return (yield)
    finally:
        totals = _GROUP_TIMES[group]
        totals[0] += time.monotonic() - started
        totals[1] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    # An xdist worker hands its start-up and group times to the controller, which
    # prints them.
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["airlift_startup_times"] = list(_STARTUP_TIMES)
        workeroutput["airlift_group_times"] = {g: list(t) for g, t in _GROUP_TIMES.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    worker = getattr(node, "gateway", None)
    label = f" [{worker.id}]" if worker is not None else ""
    output = getattr(node, "workeroutput", {})
    for name, seconds in output.get("airlift_startup_times", []):
        _STARTUP_TIMES.append((f"{name}{label}", seconds))
    _WORKER_TIMES.append(
        (worker.id if worker is not None else "?", output.get("airlift_group_times", {}))
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _STARTUP_TIMES:
        terminalreporter.section("local servers: start-up seconds")
        for label, seconds in _STARTUP_TIMES:
            terminalreporter.write_line(f"{label:<28} {seconds:6.1f} s")
    if _WORKER_TIMES:
        terminalreporter.section("workers: seconds in tests, per xdist group")
        for worker, groups in sorted(_WORKER_TIMES):
            total = sum(seconds for seconds, _ in groups.values())
            parts = ", ".join(
                f"{group} {seconds:.0f} s / {int(count)} tests"
                for group, (seconds, count) in sorted(groups.items())
            )
            terminalreporter.write_line(f"{worker:<5} {total:7.0f} s   {parts}")
