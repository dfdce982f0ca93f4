"""The proxy operator against a flaky or odd Dagster (issue 14), without a server.

Two Airflow instances sharing a DAG id and run id; 502s, read timeouts and dropped
connections while polling; malformed GraphQL bodies; a retry Dagster announced
but never made; and a Dagster URL carrying ``user:password@``.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

import httpx
import pytest
from airflow.exceptions import AirflowException
from airflow.sdk import DAG

from airflow_side._dagster_run import DagsterRunFailed, DagsterRunner, ProxyRequest
from airlift_component.cli.main import main
from airlift_component.dagster_api import DagsterClient, tag_value
from airlift_component.dagster_api.client import TransientDagsterApiError
from airlift_component.errors import DagsterApiError
from tests.unit.fake_dagster_graphql import Clock
from tests.unit.test_airflow_side_hooks import FakeSessionOperator
from tests.unit.test_airflow_side_operators import FakeGraphQL, context
from tests.unit.test_airflow_side_runner import FakeDagster, RetryAnnounced

SECRET = "s3cret-Pa55"


# -- the instance is part of the run's identity ---------------------------------------


def test_two_instances_with_the_same_dag_and_run_id_do_not_share_a_run() -> None:
    fake = FakeDagster({"run1": ["SUCCESS"]})
    prod = ProxyRequest("prod", "etl", "load", "scheduled__2026-01-01", 1, poll_interval_seconds=0)
    assert DagsterRunner(fake).run(prod).run_id == "run1"  # type: ignore[arg-type]
    # staging maps the same task to the same asset key and runs the same schedule
    fake.asset = type(fake.asset)(
        key=fake.asset.key,
        tags={"airlift/task": tag_value("staging", "etl", "load")},
        repository_name="__repository__",
        location_name="loc",
    )
    staging = ProxyRequest(
        "staging", "etl", "load", "scheduled__2026-01-01", 1, poll_interval_seconds=0
    )
    fake.scripts["run2"] = ["SUCCESS"]
    assert DagsterRunner(fake).run(staging).run_id == "run2"  # type: ignore[arg-type]
    assert [launch["tags"]["airlift/airflow_instance"] for launch in fake.launched] == [  # type: ignore[index]
        "prod",
        "staging",
    ]


def test_lookup_of_existing_runs_filters_on_the_instance() -> None:
    fake = FakeGraphQL()
    seen: list[dict[str, str]] = []

    def recording(request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        if "runsOrError(" in payload["query"]:
            seen.append({t["key"]: t["value"] for t in payload["variables"]["filter"]["tags"]})
        return fake(request)

    class Recording(FakeSessionOperator):
        def get_dagster_session(self, ctx: Any) -> httpx.Client:
            return httpx.Client(transport=httpx.MockTransport(recording))

    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    Recording(task_id="load", dag=dag, airlift_instance="prod").execute(context())
    assert seen[0]["airlift/airflow_instance"] == "prod"


# -- transient errors while polling --------------------------------------------------


class Flaky:
    """``FakeGraphQL`` whose run polls fail with the scripted faults first."""

    def __init__(self, faults: list[str], final_status: str = "SUCCESS") -> None:
        self.fake = FakeGraphQL(final_status)
        self.faults = list(faults)
        self.polls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if b"AirliftRun(" in request.content:
            self.polls += 1
            if self.faults:
                fault = self.faults.pop(0)
                if fault == "timeout":
                    raise httpx.ReadTimeout("timed out", request=request)
                if fault == "dropped":
                    raise httpx.RemoteProtocolError("peer closed connection", request=request)
                return httpx.Response(int(fault), text="<html>Bad Gateway</html>")
        return self.fake(request)


def operator_for(flaky: Flaky, timeout: float = 60.0) -> FakeSessionOperator:
    class OnFlaky(FakeSessionOperator):
        def get_dagster_session(self, ctx: Any) -> httpx.Client:
            return httpx.Client(transport=httpx.MockTransport(flaky))

    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    return OnFlaky(
        task_id="load", dag=dag, airlift_instance="prod", dagster_run_timeout_seconds=timeout
    )


@pytest.mark.parametrize(
    "faults",
    [["502"], ["timeout"], ["dropped"], ["503", "timeout", "dropped", "502", "504"]],
    ids=["502", "read-timeout", "dropped-connection", "all-of-them"],
)
def test_polling_rides_out_transient_errors(faults: list[str]) -> None:
    flaky = Flaky(faults)
    assert operator_for(flaky).launch_runs_for_task(context(), "etl", "load") == "run-1"
    assert flaky.polls == len(faults) + 1
    assert len(flaky.fake.runs) == 1


def test_transient_errors_until_the_deadline_fail_with_the_last_one() -> None:
    flaky = Flaky(["502"] * 10_000)
    operator = operator_for(flaky, timeout=0.2)
    with pytest.raises(AirflowException, match=r"answered HTTP 502; try again later"):
        operator.execute(context())
    assert flaky.polls > 1


def test_a_permanent_error_while_polling_is_not_retried() -> None:
    flaky = Flaky(["500"])
    with pytest.raises(AirflowException, match=r"HTTP 500.*\[request AirliftRun\]"):
        operator_for(flaky).execute(context())
    assert flaky.polls == 1


# -- malformed GraphQL bodies ----------------------------------------------------------


def client_answering(payload: Any) -> DagsterClient:
    session = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=payload))
    )
    return DagsterClient("http://dagster.test:3000", session=session)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], r"answered a JSON list, not a GraphQL response object"),
        ({"data": {"runOrError": None}}, r"answered runOrError: null"),
        ({"data": {"runOrError": []}}, r"could not find run r1: runOrError is a list"),
        ({"data": {"runOrError": {"__typename": "Run"}}}, r"run r1 in an unexpected shape"),
        ({"data": None}, r"returned no data"),
        ({"errors": "boom"}, r"returned errors: boom"),
        ({"data": {"runOrError": {"__typename": "RunNotFoundError", "message": "gone"}}}, "gone"),
    ],
    ids=[
        "json-list",
        "null-field",
        "list-field",
        "missing-keys",
        "null-data",
        "errors-string",
        "not-found",
    ],
)
def test_malformed_run_answers_raise_dagster_api_error(payload: Any, message: str) -> None:
    with pytest.raises(DagsterApiError, match=message) as caught:
        client_answering(payload).get_run("r1")
    assert "dagster.test:3000/graphql" in str(caught.value)


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        {"data": {"runsOrError": None, "assetNodes": []}},
        {"data": {"runsOrError": {"__typename": "Runs", "results": [None]}, "assetNodes": []}},
        {"data": {"runsOrError": {"__typename": "Runs", "results": []}, "assetNodes": [7]}},
    ],
    ids=["json-list", "null-runs", "null-run", "bad-node"],
)
def test_malformed_first_answer_names_the_request(payload: Any) -> None:
    with pytest.raises(DagsterApiError) as caught:
        client_answering(payload).find_runs_and_asset_nodes({"a": "b"}, [("k",)])
    text = str(caught.value)
    assert "dagster.test:3000/graphql" in text
    assert "AirliftRunsAndAssetNodes" in text or "runsOrError" in text or "assetNodes" in text


def test_transient_error_class() -> None:
    with pytest.raises(TransientDagsterApiError, match=r"HTTP 503.*\[request AirliftRun\]"):
        DagsterClient(
            "http://d:1",
            session=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(503))),
        ).get_run("r")


# -- an announced retry that never appears ---------------------------------------------


def test_announced_retry_that_never_appears_is_waited_for_a_bounded_time() -> None:
    fake = RetryAnnounced()
    clock = Clock()
    request = ProxyRequest(
        "prod", "etl", "load", "r", 1, poll_interval_seconds=5, retry_appear_seconds=60
    )
    with pytest.raises(
        DagsterRunFailed, match=r"will_retry=true, but no retry appeared within 60 s"
    ):
        DagsterRunner(fake, sleep=clock.sleep, clock=clock).run(request)  # type: ignore[arg-type]
    assert 60 <= clock.now <= 70  # not the 6-hour overall timeout


# -- URL userinfo never shows -----------------------------------------------------------


def test_userinfo_is_not_in_client_urls_or_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}")

    url = f"http://admin:{SECRET}@dagster.test:3000"
    client = DagsterClient(url, session=httpx.Client(transport=httpx.MockTransport(refuse)))
    assert SECRET not in client.graphql_url + client.base_url + client.run_url("r") + repr(client)
    with pytest.raises(DagsterApiError) as caught:
        client.get_run("r")
    assert SECRET not in str(caught.value)
    assert "dagster.test:3000/graphql" in str(caught.value)


def test_userinfo_is_not_in_operator_errors_or_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from airflow_side import DefaultProxyTaskToDagsterOperator

    monkeypatch.delenv("AIRFLOW_CONN_DAGSTER_DEFAULT", raising=False)
    monkeypatch.setenv("DAGSTER_URL", f"http://admin:{SECRET}@127.0.0.1:1")
    dag = DAG("etl", start_date=datetime(2026, 1, 1), schedule=None)
    operator = DefaultProxyTaskToDagsterOperator(task_id="load", dag=dag, airlift_instance="prod")
    with caplog.at_level(logging.DEBUG), pytest.raises(AirflowException) as caught:
        operator.execute(context())
    assert "127.0.0.1:1/graphql is unreachable" in str(caught.value)
    assert SECRET not in str(caught.value)
    assert SECRET not in caplog.text


def test_userinfo_is_not_in_airlift_reload_output(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["reload", "--location", "x", "--dagster-url", f"http://admin:{SECRET}@127.0.0.1:1"]
    )
    out = capsys.readouterr()
    assert code == 1
    assert "127.0.0.1:1/graphql" in out.err
    assert SECRET not in out.out + out.err


def test_userinfo_is_not_in_airlift_reload_success_output(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unit.test_dagster_api_reload_cli import fake_dagster

    seen: list[httpx.Request] = []
    fake_dagster(monkeypatch, "WorkspaceLocationEntry", seen)
    url = f"http://admin:{SECRET}@dagster.test:3000"
    assert main(["reload", "--location", "loc", "--dagster-url", url]) == 0
    out = capsys.readouterr()
    assert "reloaded code location 'loc' at http://dagster.test:3000/graphql" in out.out
    assert SECRET not in out.out + out.err
