"""The product's AirflowClient against real Airflow 2 and real Airflow 3.

Every test in this module runs once per Airflow (ids ``af2`` and ``af3``) through
the ``airflow`` fixture, except the JWT expiry test, which needs Airflow 3.
The DAGs come from ``tests/e2e/dags/client_e2e_*.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import httpx
import pytest

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.airflow_api.types import DagRun
from airlift_component.config.airlift_yaml.model import Instance
from devtools.local_stack import AirflowServer

pytestmark = pytest.mark.e2e

CHAIN = "client_e2e_chain"
FANOUT = "client_e2e_fanout"
UNTAGGED = "client_e2e_untagged"
OURS = {CHAIN, FANOUT, UNTAGGED}
T = TypeVar("T")


def poll(probe: Callable[[], T | None], *, timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.5)


@pytest.fixture(scope="session")
def parsed(airflow: AirflowServer) -> AirflowServer:
    """The server once it has parsed the client test DAGs."""
    for dag_id in sorted(OURS):
        airflow.wait_for_dag(dag_id)
    return airflow


def client_for(server: AirflowServer, **instance: Any) -> AirflowClient:
    config = server.instance_config("e2e", **instance)
    return AirflowClient(Instance.model_validate(config, strict=False))


@pytest.fixture
def client(parsed: AirflowServer) -> Iterator[AirflowClient]:
    with parsed.client(name="e2e") as c:
        yield c


def test_version_is_detected_as_the_servers_api(
    parsed: AirflowServer, client: AirflowClient
) -> None:
    assert client.api_version() == parsed.api_version
    assert client.airflow_version().split(".")[0] == str(parsed.version_major)


@pytest.mark.parametrize(
    ("dag_filter", "expected"),
    [
        pytest.param({"include": ["client_e2e_*"]}, OURS, id="include-glob"),
        pytest.param(
            {"include": ["client_e2e_*"], "exclude": ["*untagged"]}, {CHAIN, FANOUT}, id="exclude"
        ),
        pytest.param({"include": ["client_e2e_*"], "tags": ["team_b"]}, {FANOUT}, id="tag"),
        pytest.param({"include": [CHAIN, UNTAGGED]}, {CHAIN, UNTAGGED}, id="exact-ids"),
    ],
)
def test_list_dags_applies_the_instance_filter(
    parsed: AirflowServer, dag_filter: dict[str, list[str]], expected: set[str]
) -> None:
    with client_for(parsed, dags=dag_filter) as client:
        dags = client.list_dags()
    assert {d.dag_id for d in dags} == expected


def test_list_dags_without_filter_sees_every_dag(client: AirflowClient) -> None:
    assert {d.dag_id for d in client.list_dags(apply_filter=False)} >= OURS


def test_get_dag_reports_tags(client: AirflowClient) -> None:
    dag = client.get_dag(CHAIN)
    assert dag.dag_id == CHAIN
    assert set(dag.tags) == {"client_e2e", "team_a"}
    assert not dag.is_paused


def test_list_tasks_gives_downstream_ids(client: AirflowClient) -> None:
    tasks = {t.task_id: set(t.downstream_task_ids) for t in client.list_tasks(FANOUT)}
    assert tasks == {"start": {"left", "right"}, "left": {"end"}, "right": {"end"}, "end": set()}


def test_triggered_run_succeeds_and_is_visible_to_every_read(client: AirflowClient) -> None:
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    run = client.trigger_dag_run(CHAIN, conf={"origin": "e2e"})
    assert run.dag_id == CHAIN
    assert run.state in ("queued", "running")

    def finished() -> DagRun | None:
        current = client.get_dag_run(CHAIN, run.run_id)
        return current if current.finished else None

    final = poll(finished, timeout=180, what=f"run {run.run_id} to finish")
    assert final.state == "success"

    instances = client.list_task_instances([final])
    assert {(ti.task_id, ti.state) for ti in instances} == {
        ("extract", "success"),
        ("load", "success"),
    }
    assert {ti.run_id for ti in instances} == {run.run_id}

    listed = client.list_finished_dag_runs(end_date_gte=before, dag_ids=[CHAIN])
    assert run.run_id in {r.run_id for r in listed}
    assert all(r.dag_id == CHAIN and r.finished for r in listed)
    mine = next(r for r in listed if r.run_id == run.run_id)
    assert mine.state == "success"
    assert mine.end_date is not None and mine.end_date >= before


class _CountingTransport(httpx.HTTPTransport):
    """Counts the JWT requests a client makes (``POST /auth/token``)."""

    def __init__(self) -> None:
        super().__init__()
        self.token_requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            self.token_requests += 1
        return super().handle_request(request)


@pytest.fixture(scope="module")
def short_jwt_airflow3(airflow3: AirflowServer) -> Iterator[AirflowServer]:
    """A second Airflow 3 API server on the session database whose JWTs live 4 s."""
    extra = airflow3.spawn_api_server(
        {"AIRFLOW__API_AUTH__JWT_EXPIRATION_TIME": "4", "AIRFLOW__API_AUTH__JWT_LEEWAY": "0"}
    )
    try:
        yield extra
    finally:
        extra.stop()


def test_client_refreshes_an_expired_jwt(short_jwt_airflow3: AirflowServer) -> None:
    server = short_jwt_airflow3
    server.wait_for_dag(CHAIN)
    transport = _CountingTransport()
    with server.client(name="short_jwt", transport=transport) as client:
        assert client.get_dag(CHAIN).dag_id == CHAIN
        assert transport.token_requests == 1

        # A token issued now, used raw: once the server rejects it, the client's
        # token (issued just before) has expired too.
        stale = server.api.token()

        def rejected() -> bool | None:
            resp = httpx.get(
                f"{server.url}/api/v2/dags/{CHAIN}", headers={"Authorization": f"Bearer {stale}"}
            )
            return True if resp.status_code == 401 else None

        poll(rejected, timeout=30, what="the short-lived JWT to expire")

        assert client.get_dag(CHAIN).dag_id == CHAIN
        assert transport.token_requests >= 2
