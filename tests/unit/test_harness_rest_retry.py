"""The local Airflow harness tries a call again when Airflow rolled it back on a
database error, and only then."""

from __future__ import annotations

import json

import httpx
import pytest

from devtools.local_stack import airflow_rest
from devtools.local_stack.airflow_rest import DATABASE_ERROR_ATTEMPTS, HarnessApi

LOCKED = {
    "detail": {
        "reason": "Database error",
        "statement": "hidden",
        "orig_error": "hidden",
        "message": "Serious error when handling your request.",
    }
}


def harness(answers: list[httpx.Response], seen: list[str]) -> HarnessApi:
    api = HarnessApi("http://127.0.0.1:9", "v2", "admin", "pw")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(201, json={"access_token": "t"})
        seen.append(f"{request.method} {request.url.path}")
        return answers.pop(0)

    api._http = httpx.Client(base_url=api.url, transport=httpx.MockTransport(answer))
    return api


@pytest.fixture(autouse=True)
def no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(airflow_rest.time, "sleep", lambda seconds: None)


def test_a_rolled_back_database_error_is_tried_again() -> None:
    seen: list[str] = []
    answers = [httpx.Response(500, json=LOCKED), httpx.Response(500, json=LOCKED)]
    api = harness([*answers, httpx.Response(201, json={"connection_id": "c"})], seen)
    body = api.json("POST", "/connections", json={"connection_id": "c"}, ok=(201,))
    assert body == {"connection_id": "c"}
    assert seen == ["POST /api/v2/connections"] * 3


def test_the_attempts_are_bounded_and_the_last_answer_is_reported() -> None:
    seen: list[str] = []
    api = harness([httpx.Response(500, json=LOCKED)] * DATABASE_ERROR_ATTEMPTS, seen)
    with pytest.raises(airflow_rest.HarnessApiError, match="Database error"):
        api.json("POST", "/connections", json={}, ok=(201,))
    assert len(seen) == DATABASE_ERROR_ATTEMPTS


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(500, json={"detail": "Internal Server Error"}),
        httpx.Response(
            409, content=json.dumps({"detail": {"reason": "Unique constraint violation"}})
        ),
    ],
)
def test_other_errors_are_answered_at_once(answer: httpx.Response) -> None:
    seen: list[str] = []
    api = harness([answer], seen)
    assert api.request("POST", "/connections", json={}).status_code == answer.status_code
    assert seen == ["POST /api/v2/connections"]
