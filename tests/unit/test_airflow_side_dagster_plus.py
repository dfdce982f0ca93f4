"""Dagster+ settings are names, not URL text, and the "Dagster run" link is one URL.

An organization is pasted into ``https://<organization>.dagster.cloud/<deployment>``
and the token goes with every request to that host: anything but a DNS label there
(``evil.example/steal?``) would send the token elsewhere. A run id is one path
segment of the link, whatever Dagster (or an overridden ``launch_dagster_run``) says.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest
from airflow.exceptions import AirflowException
from airflow.sdk import DAG
from test_airflow_side_operators import FakeGraphQL, make, ti_context

from airflow_side import DagsterPlusProxyTaskToDagsterOperator, DefaultProxyTaskToDagsterOperator
from airflow_side.links import RUN_URL_XCOM_KEY, DagsterRunLink
from airflow_side.operators.dagster_plus import resolve_dagster_plus

BAD_NAMES = [
    pytest.param("evil.example/steal?", id="host-and-path"),
    pytest.param("acme.dagster.cloud", id="full-host"),
    pytest.param("https://acme", id="url"),
    pytest.param("acme#x", id="fragment"),
    pytest.param("acme@evil.example", id="userinfo"),
    pytest.param("ac me", id="space"),
    pytest.param("-acme", id="leading-hyphen"),
    pytest.param("acme-", id="trailing-hyphen"),
    pytest.param("a" * 64, id="too-long"),
    pytest.param("acmé", id="non-ascii"),
]


def _connection(monkeypatch: pytest.MonkeyPatch, host: str, schema: str = "prod") -> None:
    conn = {"conn_type": "generic", "host": host, "schema": schema, "password": "t-12345"}
    monkeypatch.setenv("AIRFLOW_CONN_DAGSTER_PLUS_DEFAULT", json.dumps(conn))


def _variables(monkeypatch: pytest.MonkeyPatch, organization: str, deployment: str) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_PLUS_DEFAULT", raising=False)
    monkeypatch.setenv("AIRFLOW_VAR_DAGSTER_PLUS_ORGANIZATION", organization)
    monkeypatch.setenv("AIRFLOW_VAR_DAGSTER_PLUS_DEPLOYMENT", deployment)
    monkeypatch.setenv("AIRFLOW_VAR_DAGSTER_PLUS_USER_TOKEN", "user-token-xyz")


@pytest.mark.parametrize("organization", BAD_NAMES)
def test_an_organization_that_is_no_dns_label_is_refused_from_the_connection(
    monkeypatch: pytest.MonkeyPatch, organization: str
) -> None:
    _connection(monkeypatch, organization)
    with pytest.raises(AirflowException) as caught:
        resolve_dagster_plus()
    message = str(caught.value)
    assert "organization" in message and "host of the Airflow Connection" in message
    assert "'dagster_plus_default'" in message and "DNS label" in message
    assert "t-12345" not in message


@pytest.mark.parametrize("organization", BAD_NAMES)
def test_an_organization_that_is_no_dns_label_is_refused_from_the_variable(
    monkeypatch: pytest.MonkeyPatch, organization: str
) -> None:
    _variables(monkeypatch, organization, "prod")
    with pytest.raises(AirflowException, match=r"organization.*Variable dagster_plus_organization"):
        resolve_dagster_plus()


@pytest.mark.parametrize("deployment", ["prod/../admin", "prod?x=1", "prod#x", "pr od", "-prod"])
def test_a_deployment_that_is_no_dns_label_is_refused(
    monkeypatch: pytest.MonkeyPatch, deployment: str
) -> None:
    _connection(monkeypatch, "acme", schema=deployment)
    with pytest.raises(AirflowException, match=r"deployment.*schema of the Airflow Connection"):
        resolve_dagster_plus()
    _variables(monkeypatch, "acme", deployment)
    with pytest.raises(AirflowException, match=r"deployment.*Variable dagster_plus_deployment"):
        resolve_dagster_plus()


@pytest.mark.parametrize(
    ("organization", "deployment", "url"),
    [
        ("acme", "prod", "https://acme.dagster.cloud/prod"),
        ("Acme-2", "branch-7f3a", "https://Acme-2.dagster.cloud/branch-7f3a"),
        ("a" * 63, "prod", f"https://{'a' * 63}.dagster.cloud/prod"),
    ],
    ids=["plain", "hyphen-and-digits", "63-characters"],
)
def test_dns_labels_make_the_url(
    monkeypatch: pytest.MonkeyPatch, organization: str, deployment: str, url: str
) -> None:
    _connection(monkeypatch, organization, schema=deployment)
    assert resolve_dagster_plus().url == url
    _variables(monkeypatch, organization, deployment)
    assert resolve_dagster_plus().url == url


def test_the_operator_sends_no_request_to_a_bad_organization(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _connection(monkeypatch, "evil.example/steal?")
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    operator = DagsterPlusProxyTaskToDagsterOperator(task_id="load", dag=dag)
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    operator.get_dagster_session = lambda ctx: httpx.Client(  # type: ignore[method-assign]
        transport=httpx.MockTransport(record)
    )
    with pytest.raises(AirflowException, match="DNS label"):
        operator.execute(ti_context("http://airflow.test/t"))
    assert sent == []


class OddRunIds(FakeGraphQL):
    """A Dagster whose run ids hold URL delimiters."""

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = super().__call__(request)
        body = json.loads(response.content)
        launched = (body.get("data") or {}).get("launchRun")
        if launched:
            launched["run"]["runId"] = self.run_id
            self.runs[-1]["runId"] = self.run_id
        return httpx.Response(200, json=body)


@pytest.mark.parametrize(
    ("run_id", "shown"),
    [
        ("../../admin", "..%2F..%2Fadmin"),
        ("x?next=https://evil.example#f", "x%3Fnext%3Dhttps%3A%2F%2Fevil.example%23f"),
        ('a b"<script>', "a%20b%22%3Cscript%3E"),
    ],
    ids=["dot-segments", "query-and-fragment", "space-and-markup"],
)
def test_the_run_link_escapes_the_run_id(
    monkeypatch: pytest.MonkeyPatch, run_id: str, shown: str
) -> None:
    monkeypatch.setenv("DAGSTER_URL", "http://dagster.test:3000")
    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_DEFAULT", raising=False)
    operator = make(DefaultProxyTaskToDagsterOperator, OddRunIds(run_id))
    ctx = ti_context("http://airflow.test/t")
    operator.execute(ctx)
    expected = f"http://dagster.test:3000/runs/{shown}"
    assert ctx["ti"].pushed[RUN_URL_XCOM_KEY] == expected
    assert DagsterRunLink().get_link(operator, ti_key=ctx["ti"]) == expected


@pytest.mark.parametrize(
    "remembered", ["javascript:alert(1)", "data:text/html,x", "//evil.example/x", " http://x"]
)
def test_the_link_shows_only_http_urls(remembered: Any) -> None:
    class Operator:
        _airlift_dagster_run_url = remembered

    assert DagsterRunLink().get_link(Operator(), ti_key=None) == ""
