"""The client under injected faults: retries, deadlines, broken answers, odd pages."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError, AirflowAuthError
from tests.harness.fake_airflow import FakeAirflow, LoggedRequest

FAST = RetryPolicy(retries=3, deadline_seconds=5, backoff_base=0.001, backoff_max=0.005)


@pytest.fixture(params=["v1", "v2"])
def fake(request: pytest.FixtureRequest) -> Iterator[FakeAirflow]:
    with FakeAirflow(api=request.param) as server:
        server.add_dag("a", tasks={"t": []})
        yield server


def client_for(fake: FakeAirflow, policy: RetryPolicy = FAST, **http: Any) -> AirflowClient:
    config = (
        fake.instance_config(api=fake.api, http=http)
        if http
        else fake.instance_config(api=fake.api)
    )
    return AirflowClient(Instance.model_validate(config, strict=False), retry_policy=policy)


def dag_calls(fake: FakeAirflow) -> list[LoggedRequest]:
    return fake.api_requests(r"/dags/a$")


def test_500s_then_success(fake: FakeAirflow) -> None:
    fake.fail_next(2, status=500)
    with client_for(fake) as client:
        assert client.get_dag("a").dag_id == "a"
    assert [r.status for r in dag_calls(fake)] == [500, 500, 200]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_other_5xx_are_retried(fake: FakeAirflow, status: int) -> None:
    fake.fail_next(1, status=status)
    with client_for(fake) as client:
        client.get_dag("a")
    assert [r.status for r in dag_calls(fake)] == [status, 200]


def test_429_waits_as_long_as_retry_after_says(fake: FakeAirflow) -> None:
    fake.fail_next(1, status=429, retry_after="1")
    started = time.monotonic()
    with client_for(fake) as client:
        client.get_dag("a")
    assert time.monotonic() - started >= 1.0
    assert [r.status for r in dag_calls(fake)] == [429, 200]


def test_retry_after_beyond_the_deadline_fails_at_once(fake: FakeAirflow) -> None:
    fake.fail_next(1, status=429, retry_after="60")
    policy = RetryPolicy(retries=3, deadline_seconds=2, backoff_base=0.001)
    started = time.monotonic()
    with client_for(fake, policy) as client, pytest.raises(AirflowApiError) as err:
        client.get_dag("a")
    assert time.monotonic() - started < 1.0
    assert err.value.status == 429
    assert "deadline" in str(err.value) and "/api/" in str(err.value)


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_4xx_are_not_retried(fake: FakeAirflow, status: int) -> None:
    fake.fail_next(1, status=status)
    with client_for(fake) as client, pytest.raises(AirflowApiError) as err:
        client.get_dag("a")
    assert err.value.status == status
    assert len(dag_calls(fake)) == 1


def test_a_slow_answer_beyond_the_read_timeout_is_retried(fake: FakeAirflow) -> None:
    fake.delay_next(1, seconds=0.6)
    with client_for(fake, read_timeout=0.2) as client:
        assert client.get_dag("a").dag_id == "a"
    assert len(dag_calls(fake)) == 2


def test_slow_answers_until_retries_run_out_name_the_read_timeout(fake: FakeAirflow) -> None:
    fake.delay_next(5, seconds=0.5)
    policy = RetryPolicy(retries=1, deadline_seconds=5, backoff_base=0.001)
    with (
        client_for(fake, policy, read_timeout=0.1) as client,
        pytest.raises(AirflowApiError) as err,
    ):
        client.get_dag("a")
    message = str(err.value)
    assert "read timeout" in message and "GET /api/" in message and "2 attempts" in message


def test_a_dropped_connection_is_retried(fake: FakeAirflow) -> None:
    fake.drop_next(2)
    with client_for(fake) as client:
        assert client.get_dag("a").dag_id == "a"
    assert len(dag_calls(fake)) == 3


def test_malformed_json_says_it_is_not_an_airflow_api(fake: FakeAirflow) -> None:
    fake.malformed_next(1)
    with client_for(fake) as client, pytest.raises(AirflowApiError) as err:
        client.get_dag("a")
    assert "malformed JSON" in str(err.value) and "Airflow API" in str(err.value)
    assert err.value.path.endswith("/dags/a")


def test_the_deadline_bounds_all_attempts(fake: FakeAirflow) -> None:
    fake.fail_next(1000, status=503)
    policy = RetryPolicy(retries=20, deadline_seconds=0.5, backoff_base=0.05, backoff_max=0.1)
    started = time.monotonic()
    with client_for(fake, policy) as client, pytest.raises(AirflowApiError) as err:
        client.get_dag("a")
    assert time.monotonic() - started < 1.5
    assert "deadline of 0.5 s" in str(err.value) and err.value.status == 503
    assert "'fake'" in str(err.value) and "GET /api/" in str(err.value)


def test_retries_are_bounded_by_count(fake: FakeAirflow) -> None:
    fake.fail_next(1000, status=500)
    with client_for(fake) as client, pytest.raises(AirflowApiError, match="4 attempts"):
        client.get_dag("a")
    assert len(dag_calls(fake)) == 4


def test_connection_refused_names_host_and_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    instance = Instance.model_validate(
        {"name": "down", "url": f"http://127.0.0.1:{port}", "api": "v2", "auth": {"type": "none"}}
    )
    with (
        AirflowClient(instance, retry_policy=FAST) as client,
        pytest.raises(AirflowApiError) as err,
    ):
        client.list_dags()
    message = str(err.value)
    assert f"127.0.0.1:{port}" in message and "could not connect" in message
    assert "'down'" in message and err.value.status is None


def test_404_on_every_version_probe_says_wrong_url_or_api_disabled() -> None:
    with FakeAirflow(api="v2") as fake:
        instance = Instance.model_validate(
            {"name": "x", "url": fake.url + "/wrong", "auth": {"type": "none"}}
        )
        with (
            AirflowClient(instance, retry_policy=FAST) as client,
            pytest.raises(AirflowApiError) as err,
        ):
            client.api_version()
    assert "check the instance url" in str(err.value)


def test_401_says_check_the_credentials() -> None:
    with FakeAirflow(api="v1", username="admin", password="right") as fake:
        fake.add_dag("a")
        client = AirflowClient.for_url(
            fake.url, username="admin", password="wrong", retry_policy=FAST
        )
        with client, pytest.raises(AirflowAuthError) as err:
            client.list_dags()
    assert err.value.status == 401 and "credentials" in str(err.value)


# --- pagination -------------------------------------------------------------------------


@pytest.fixture
def many(fake: FakeAirflow) -> FakeAirflow:
    fake.remove_dag("a")
    for i in range(200):
        fake.add_dag(f"d{i:03d}")
    return fake


def test_exact_multiple_of_the_page_size_needs_no_extra_request(many: FakeAirflow) -> None:
    with client_for(many) as client:
        assert len(client.list_dags()) == 200
    assert [r.query["offset"] for r in many.api_requests(r"/dags$")] == [["0"], ["100"]]


def test_server_page_cap_below_the_requested_limit(many: FakeAirflow) -> None:
    many.max_page_limit = 30
    with client_for(many) as client:
        assert len(client.list_dags()) == 200
    assert len(many.api_requests(r"/dags$")) == 7


@pytest.mark.parametrize("change", ["removed", "added"])
def test_total_changing_between_pages_loses_and_repeats_nothing(
    many: FakeAirflow, change: str
) -> None:
    def shift(request: LoggedRequest) -> None:
        if request.path.endswith("/dags") and request.query.get("offset") == ["100"]:
            many.on_request = None
            if change == "removed":
                many.remove_dag("d000")  # everything after it moves one place up
            else:
                many.add_dag("c000")  # everything moves one place down

    many.on_request = shift
    with client_for(many) as client:
        ids = [d.dag_id for d in client.list_dags()]
    expected = {d for d in many.dags}
    assert sorted(ids) == sorted(expected)


def test_an_empty_page_ends_the_listing(many: FakeAirflow) -> None:
    def empty_second_page(request: LoggedRequest) -> None:
        if request.path.endswith("/dags") and request.query.get("offset") == ["100"]:
            many.empty_next(1, path="/dags")  # applies to this very request

    many.on_request = empty_second_page
    with client_for(many) as client:
        assert len(client.list_dags()) == 100
    assert len(many.api_requests(r"/dags$")) == 2


# --- through a mock transport -------------------------------------------------------------


def mock_client(handler: Any) -> AirflowClient:
    import httpx

    instance = Instance.model_validate(
        {"name": "mock", "url": "http://airflow.test", "api": "v2", "auth": {"type": "none"}}
    )
    return AirflowClient(instance, transport=httpx.MockTransport(handler), retry_policy=FAST)


def test_a_redirect_is_not_followed_and_names_the_target() -> None:
    import httpx

    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"Location": "https://airflow.test/api/v2/dags"})

    with mock_client(redirect) as client, pytest.raises(AirflowApiError) as err:
        client.list_dags()
    assert err.value.status == 301
    assert "https://airflow.test/api/v2/dags" in str(err.value) and "instance url" in str(err.value)


def test_json_without_the_expected_fields_is_a_shape_error() -> None:
    import httpx

    def odd(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"items": []})

    with mock_client(odd) as client, pytest.raises(AirflowApiError, match="no 'dags' list"):
        client.list_dags()
