"""The proxy's launch of its Dagster run, retried after faults: one run per task try.

A fake Dagster GraphQL endpoint (an ``httpx.MockTransport``) keeps runs as Dagster
does (its launch takes tags and no run id, as Dagster's schema), and injects faults into
the launch: a timeout after the run was created, a connection dropped before the
request arrived, HTTP 500 with or without the run created, and a request Dagster is
still working on when the client gives up (the run appears before the lookup).
Whatever the faults, the runner ends with exactly one Dagster run for the try, and
when no attempt gets through, one error naming the Dagster URL without its secrets.
A request Dagster carries out only after the lookup (its launchRun has no
idempotency key) is the documented limit, and logged.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

from airflow_side._dagster_run import AIRFLOW_TRY_TAG, ProxyRequest
from airlift_component.dagster_api.client import DagsterHttpError, read_field
from airlift_component.errors import DagsterApiError
from tests.unit.fake_dagster_graphql import FakeDagsterGraphQL, graphql_runner, run_tags

REQUEST = ProxyRequest(
    "prod", "etl", "load", "manual__1", 2, poll_interval_seconds=1, timeout_seconds=600
)

#: What a launch request meets: it gets through, or one of the faults.
FAULTS = (
    "ok",
    "timeout_after_create",  # Dagster made the run; the answer never arrived
    "dropped_before",  # the connection dropped before Dagster saw the request
    "http_500_after_create",
    "http_500_before",
    "still_working",  # the client gave up; Dagster makes the run a little later
)


class FaultyDagster(FakeDagsterGraphQL):
    """The fake GraphQL endpoint, injecting faults.

    ``faults`` is consumed one per launch request (then every launch gets through);
    ``lookup_faults`` likewise for the runs lookups made between launches.
    """

    def __init__(self, faults: list[str], lookup_faults: list[str] | None = None) -> None:
        super().__init__()
        self.faults = list(faults)
        self.lookup_faults = list(lookup_faults or [])
        self.launch_requests = 0
        self.pending: list[Mapping[str, Any]] = []  # requests Dagster is still working on

    def runs_of_try(self, try_number: int) -> list[dict[str, Any]]:
        wanted = {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: str(try_number)}
        return [r for r in self.runs.values() if wanted.items() <= run_tags(r).items()]

    def _answer(
        self, request: httpx.Request, operation: str, variables: Mapping[str, Any]
    ) -> httpx.Response:
        # A request Dagster was still working on finishes while the client waited.
        while self.pending:
            self._create(self.pending.pop(0))
        if operation == "AirliftRuns" and self.lookup_faults:
            fault = self.lookup_faults.pop(0)
            if fault == "timeout":
                raise httpx.ReadTimeout("timed out", request=request)
        return super()._answer(request, operation, variables)

    def _launch(self, request: httpx.Request, params: Mapping[str, Any]) -> httpx.Response:
        self.launch_requests += 1
        fault = self.faults.pop(0) if self.faults else "ok"
        if fault == "dropped_before":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        if fault == "http_500_before":
            return httpx.Response(500, text="Internal Server Error")
        if fault == "still_working":
            self.pending.append(params)
            raise httpx.ReadTimeout("timed out", request=request)
        answer = self._create(params)
        if fault == "timeout_after_create":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault == "http_500_after_create":
            return httpx.Response(500, text="Internal Server Error")
        return httpx.Response(200, json={"data": {"launchRun": answer}})


@pytest.mark.parametrize(
    "faults",
    [
        ["timeout_after_create"],
        ["dropped_before"],
        ["http_500_after_create"],
        ["http_500_before"],
        ["still_working"],
        ["dropped_before", "timeout_after_create"],
        ["http_500_before", "still_working", "dropped_before"],
    ],
    ids=lambda faults: "+".join(faults),
)
def test_a_launch_fault_ends_with_exactly_one_run_for_the_try(faults: list[str]) -> None:
    fake = FaultyDagster(faults)
    run = graphql_runner(fake).run(REQUEST)
    (only,) = fake.runs_of_try(REQUEST.try_number)
    assert run.run_id == only["runId"]
    assert run.status == "SUCCESS"
    assert len(fake.runs) == 1


def test_a_run_created_despite_the_timeout_is_adopted_without_a_second_launch() -> None:
    fake = FaultyDagster(["timeout_after_create"])
    graphql_runner(fake).run(REQUEST)
    assert fake.launch_requests == 1


def test_a_request_dagster_was_still_working_on_is_found_and_adopted() -> None:
    fake = FaultyDagster(["still_working"])
    run = graphql_runner(fake).run(REQUEST)
    # The run landed before the lookup, so no second launch.
    assert fake.launch_requests == 1
    assert run.run_id == fake.runs_of_try(REQUEST.try_number)[0]["runId"]


def test_a_run_landing_only_after_the_lookup_is_the_documented_limit_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Dagster's launchRun takes no idempotency key: a first request Dagster carries
    out only after the lookup found nothing makes a second run. The operator says so,
    naming both runs (docs/airflow-side.md)."""

    class LateLanding(FaultyDagster):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            payload = json.loads(request.content)
            if "AirliftLaunchRun" in payload["query"] or not self.pending:
                return super().__call__(request)
            held, self.pending = self.pending, []  # not landed yet when looked up
            try:
                return super().__call__(request)
            finally:
                self.pending = held + self.pending

    fake = LateLanding(["still_working"])
    with caplog.at_level(logging.WARNING):
        run = graphql_runner(fake).run(REQUEST)
    assert fake.launch_requests == 2 and len(fake.runs) == 2
    (late,) = [r for r in fake.runs if r != run.run_id]
    assert f"Dagster also made run {late}" in caplog.text


def test_a_failing_lookup_is_asked_again_never_skipped() -> None:
    fake = FaultyDagster(["timeout_after_create"], lookup_faults=["timeout", "timeout"])
    graphql_runner(fake).run(REQUEST)
    assert fake.launch_requests == 1
    assert len(fake.runs) == 1


def test_a_definite_refusal_is_not_retried() -> None:
    class Refusing(FaultyDagster):
        def _launch(self, request: httpx.Request, params: Mapping[str, Any]) -> httpx.Response:
            self.launch_requests += 1
            answer = {"__typename": "InvalidSubsetError", "message": "no such asset"}
            return httpx.Response(200, json={"data": {"launchRun": answer}})

    fake = Refusing([])
    with pytest.raises(DagsterApiError, match="no such asset"):
        graphql_runner(fake).run(REQUEST)
    assert fake.launch_requests == 1


def test_a_4xx_refusal_quoting_a_5xx_in_its_body_is_not_retried() -> None:
    """The retry decides on the HTTP status the client reports, not on the message's
    text: a proxy's 400 whose body quotes an upstream 502 is a definite refusal."""

    class QuotingRefusal(FaultyDagster):
        def _launch(self, request: httpx.Request, params: Mapping[str, Any]) -> httpx.Response:
            self.launch_requests += 1
            return httpx.Response(400, text="gateway: upstream answered HTTP 502 earlier")

    fake = QuotingRefusal([])
    with pytest.raises(DagsterHttpError) as caught:
        graphql_runner(fake).run(REQUEST)
    assert caught.value.status == 400
    assert fake.launch_requests == 1


def test_a_5xx_is_retried_on_its_status_whatever_the_reader_says() -> None:
    """An operator's own ``get_valid_graphql_response`` words its errors as it likes;
    the launch is retried on the status it raises with."""

    def reader(response: Any, key: str) -> Any:
        if response.status_code >= 400:
            raise DagsterHttpError("the launch hit a server error", int(response.status_code))
        return read_field(response, key)

    fake = FaultyDagster(["http_500_after_create"])
    run = graphql_runner(fake, read_field=reader).run(REQUEST)
    assert fake.launch_requests == 1  # the run made despite the 500 is adopted
    assert [run.run_id] == list(fake.runs)


def test_bounded_attempts_end_in_one_error_naming_the_url_without_secrets() -> None:
    fake = FaultyDagster(["dropped_before"] * 10)
    url = "http://admin:s3cret-pw@dagster.test:3000"
    with pytest.raises(DagsterApiError) as caught:
        graphql_runner(fake, url).run(REQUEST)
    message = str(caught.value)
    assert fake.launch_requests == REQUEST.launch_attempts
    assert not fake.runs
    assert "http://dagster.test:3000" in message
    assert "could not launch the Dagster run" in message
    assert "s3cret-pw" not in message and "admin" not in message


def test_another_try_s_runs_are_never_adopted() -> None:
    """A failed run of the same try number from before (found at the start) is not
    taken for the run the timed-out launch created."""
    fake = FaultyDagster(["dropped_before"])
    old_tags = [
        {"key": k, "value": v} for k, v in {**REQUEST.identity_tags(), AIRFLOW_TRY_TAG: "2"}.items()
    ]
    fake.runs["old"] = {"runId": "old", "status": "FAILURE", "creationTime": -1.0, "tags": old_tags}
    run = graphql_runner(fake).run(REQUEST)
    assert run.run_id != "old"
    assert len(fake.runs) == 2


@pytest.mark.parametrize("seed", range(100))
def test_random_faults_never_make_two_runs_for_one_try(seed: int) -> None:
    """Seeded fault sequences: at most one run per try, and exactly one whenever a
    launch got through within the attempts."""
    rng = random.Random(seed)
    faults = [rng.choice(FAULTS) for _ in range(rng.randint(0, 6))]
    lookups = [rng.choice(["ok", "timeout"]) for _ in range(rng.randint(0, 3))]
    fake = FaultyDagster(faults, lookup_faults=lookups)
    try:
        run = graphql_runner(fake).run(REQUEST)
    except DagsterApiError:
        assert not fake.runs, f"gave up with a run created: {faults} {lookups}"
        assert fake.launch_requests == REQUEST.launch_attempts
        return
    assert len(fake.runs) == 1, f"{faults} {lookups}: {sorted(fake.runs)}"
    assert run.run_id == next(iter(fake.runs))
