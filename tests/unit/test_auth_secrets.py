"""No secret reaches a log record, an exception text or a repr, in success or failure."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from typing import Any

import pytest

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError
from tests.harness.fake_airflow import FakeAirflow

FAST = RetryPolicy(retries=2, deadline_seconds=5, backoff_base=0.001, backoff_max=0.005)
PASSWORD = "pa55-Wörd-7f3a9"
TOKEN = "tok-81c2e5d0b7"


def client_for(fake: FakeAirflow, auth: dict[str, Any], **kw: Any) -> AirflowClient:
    config = fake.instance_config(auth=auth, **kw)
    return AirflowClient(Instance.model_validate(config, strict=False), retry_policy=FAST)


def exercise(client: AirflowClient, fake: FakeAirflow) -> list[str]:
    """Good calls and failing calls; returns every exception text and repr seen."""
    texts = [repr(client), repr(client._session.auth), repr(client.instance)]
    actions: list[Callable[[], object]] = [
        client.list_dags,
        lambda: client.get_dag("missing"),
        lambda: client.trigger_dag_run("a", conf={"k": 1}),
    ]
    for action in actions:
        try:
            action()
        except AirflowApiError as exc:
            texts.append(str(exc))
            texts.append(repr(exc))
    fake.fail_next(5, status=500)
    fake.malformed_next(1)
    for _ in range(2):
        try:
            client.get_dag("a")
        except AirflowApiError as exc:
            texts.append(str(exc))
    texts.append(repr(client._session.auth))
    return texts


SCENARIOS = [
    pytest.param("v1", {"username": "admin", "password": PASSWORD}, "basic", id="v1-basic"),
    pytest.param("v2", {"username": "admin", "password": PASSWORD}, "basic", id="v2-jwt"),
    pytest.param("v1", {"username": "admin", "password": "other"}, "basic", id="v1-rejected"),
    pytest.param("v2", {"username": "admin", "password": "other"}, "basic", id="v2-rejected"),
    pytest.param("v2", {"token": TOKEN}, "token", id="token"),
    pytest.param("v2", {"token": "other"}, "token", id="token-rejected"),
    pytest.param("v2", {"token": TOKEN}, "astronomer", id="astronomer"),
]


@pytest.mark.parametrize(("api", "server_auth", "kind"), SCENARIOS)
def test_secrets_stay_out_of_logs_errors_and_reprs(
    caplog: pytest.LogCaptureFixture, api: str, server_auth: dict[str, Any], kind: str
) -> None:
    auth: dict[str, Any] = {
        "basic": {"type": "basic", "username": "admin", "password": PASSWORD},
        "token": {"type": "token", "token": TOKEN},
        "astronomer": {"type": "astronomer", "api_token": TOKEN},
    }[kind]
    caplog.set_level(logging.DEBUG)
    with FakeAirflow(api=api, **server_auth) as fake:
        fake.add_dag("a", tasks={"t": []})
        with client_for(fake, auth) as client:
            texts = exercise(client, fake)
        token_posts = [r for r in fake.request_log if r.path == "/auth/token"]
        sent = [
            value
            for request in fake.request_log
            for name, value in request.headers.items()
            if name.lower() in ("authorization", "cookie")
        ]
    assert sent or token_posts, "the scenario sent credentials"
    secrets = {PASSWORD, TOKEN, base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}
    secrets |= {value.split(" ", 1)[-1] for value in sent}
    haystack = "\n".join(texts + [record.getMessage() for record in caplog.records])
    assert caplog.records, "DEBUG logging captured something"
    for secret in secrets:
        assert secret not in haystack
