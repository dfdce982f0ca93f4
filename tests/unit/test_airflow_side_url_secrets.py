"""No part of the Dagster URL's ``user:password@`` shows on the Airflow side.

Property test: generated passwords (every printable character, URL delimiters
``/ @ # : % ?``, spaces) in the Dagster URL, taken raw or percent-encoded, from
``DAGSTER_URL`` or the ``dagster_default`` Connection, through the real code that
resolves, checks, connects to and logs the URL: an unreachable Dagster, a Dagster
that answers 502 once, a run that fails and a run that succeeds (the "Dagster
run" link). The password may show nowhere: not in an exception (message or
traceback), not in a log line, an XCom, the settings' repr.
"""

from __future__ import annotations

import base64
import json
import logging
import string
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from airflow.exceptions import AirflowException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_airflow_side_operators import FakeGraphQL, make, ti_context

from airflow_side import BaseProxyTaskToDagsterOperator, DefaultProxyTaskToDagsterOperator
from airflow_side.operators.default import resolve_settings

#: Begin and end every password: neither may show, nor any other piece of it.
START, END = "Pw", "Zq"
_CHARS = st.sampled_from(list(string.printable) + list("/@#:%? "))
PASSWORDS = st.text(_CHARS, min_size=1, max_size=16).map(lambda s: f"{START}{s}{END}")
#: Where a Dagster URL comes from on the Airflow side.
SOURCES = ("env", "connection")


def dagster_url(password: str, encode: bool, host: str) -> str:
    secret = quote(password, safe="") if encode else password
    return f"http://admin:{secret}@{host}"


def pieces(password: str) -> set[str]:
    """Every spelling of the password and each run of 4+ letters and digits in it (a
    run that shows with a harmless password too, as ``main`` in a path, says nothing)."""
    found = {password, quote(password, safe=""), quote(password), password.strip()}
    word = ""
    for char in password + "\0":
        if char.isalnum():
            word += char
            continue
        if len(word) >= 4:
            found.add(word)
        word = ""
    return {piece for piece in found if piece}


@contextmanager
def dagster_settings(source: str, url: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRLIFT_INSTANCE", "prod")
        if source == "env":
            patch.delenv("AIRFLOW_CONN_DAGSTER_DEFAULT", raising=False)
            patch.setenv("DAGSTER_URL", url)
        else:
            conn = {"conn_type": "http", "host": url, "extra": {"instance": "prod"}}
            patch.setenv("AIRFLOW_CONN_DAGSTER_DEFAULT", json.dumps(conn))
            patch.setenv("DAGSTER_URL", "http://ignored.test:1")
        yield


class FlakyThenFailing(FakeGraphQL):
    """Answers the first poll of the run (the 4th request) with a 502, which the task
    logs and asks again; the run then ends FAILURE."""

    def __init__(self) -> None:
        super().__init__(final_status="FAILURE")
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == 4:
            return httpx.Response(502, text="bad gateway")
        return super().__call__(request)


def shown(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    return "".join(traceback.format_exception(exc)) + repr(exc)


def run_everything(source: str, password: str, encode: bool) -> list[str]:
    """Every text the Airflow side shows while using a Dagster URL with ``password``."""
    texts: list[str] = []
    with dagster_settings(source, dagster_url(password, encode, "127.0.0.1:9")):
        try:
            texts.append(repr(resolve_settings()))
        except Exception as exc:
            texts.append(shown(exc))
        operator = DefaultProxyTaskToDagsterOperator(task_id="load", airlift_instance="prod")
        try:
            operator.execute(ti_context("http://airflow.test/t"))
        except Exception as exc:  # unreachable, or refused before any request
            texts.append(shown(exc))
    for fake in (FakeGraphQL(), FlakyThenFailing()):
        with dagster_settings(source, dagster_url(password, encode, "dagster.test:3000")):
            operator = make(DefaultProxyTaskToDagsterOperator, fake)
            operator.dagster_poll_interval_seconds = 0.0
            context = ti_context("http://airflow.test/t")
            try:
                texts.append(repr(operator.execute(context)))
            except Exception as exc:
                texts.append(shown(exc))
            texts.append(repr(context["ti"].pushed))
    return texts


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(password=PASSWORDS, encode=st.booleans(), source=st.sampled_from(SOURCES))
def test_no_piece_of_the_dagster_password_shows(
    password: str,
    encode: bool,
    source: str,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    harmless = baseline(capsys, caplog)
    everything = everything_shown(capsys, caplog, source, password, encode)
    assert START not in everything and END not in everything, everything[-3000:]
    for piece in pieces(password):
        if piece not in harmless:
            assert piece not in everything, (piece, everything[-3000:])


def everything_shown(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    source: str,
    password: str,
    encode: bool,
) -> str:
    capsys.readouterr()
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        texts = run_everything(source, password, encode)
    out = capsys.readouterr()
    return "\n".join([*texts, out.out, out.err, caplog.text])


_BASELINE: list[str] = []


def baseline(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> str:
    """What the same runs show with a password of no interest: words a generated
    password may share with them by chance (``main`` in a path) are no leak."""
    if not _BASELINE:
        harmless = f"{START}x{END}"
        _BASELINE.append(
            "\n".join(
                everything_shown(capsys, caplog, source, harmless, encode)
                for source in SOURCES
                for encode in (False, True)
            )
        )
    return _BASELINE[0]


@pytest.mark.parametrize(
    "password",
    ["ab/cdSECRET", "ab#cdSECRET", "ab?cdSECRET", "a b SECRET", "x@ySECRET", "p%zzSECRET"],
    ids=["slash", "hash", "question-mark", "space", "at", "bad-percent"],
)
def test_an_unencoded_password_is_refused_before_any_request(password: str) -> None:
    """The ``Invalid port: 'ab'`` of issue 22: the URL is refused, naming where it came
    from and what to do, before an HTTP client can quote any of it."""
    with dagster_settings("env", dagster_url(password, False, "127.0.0.1:9")):
        operator = DefaultProxyTaskToDagsterOperator(task_id="load", airlift_instance="prod")
        with pytest.raises(AirflowException) as caught:
            operator.execute(ti_context("http://airflow.test/t"))
    message = str(caught.value)
    assert "percent-encode" in message and "environment variable DAGSTER_URL" in message
    assert "http://127.0.0.1:9" in message
    for piece in ("SECRET", password, quote(password, safe=""), password.split("SECRET")[0]):
        assert piece not in shown(caught.value), piece


def test_a_custom_get_dagster_url_is_checked_too() -> None:
    class Custom(BaseProxyTaskToDagsterOperator):
        def get_dagster_url(self, context: Any) -> str:
            return "http://admin:ab/cdSECRET@127.0.0.1:9"

        def get_dagster_session(self, context: Any) -> httpx.Client:
            raise AssertionError("no session before the URL is checked")

    operator = Custom(task_id="load", airlift_instance="prod")
    with pytest.raises(AirflowException, match=r"from Custom\.get_dagster_url.*percent-encode"):
        operator.execute(ti_context("http://airflow.test/t"))


def test_an_encoded_password_reaches_dagster() -> None:
    fake = FakeGraphQL()
    with dagster_settings("env", dagster_url("ab/cd SECRET", True, "dagster.test:3000")):
        operator = make(DefaultProxyTaskToDagsterOperator, fake)
        operator.execute(ti_context("http://airflow.test/t"))
    assert [run["runId"] for run in fake.runs] == ["run-1"]
    basic = "Basic " + base64.b64encode(b"admin:ab/cd SECRET").decode()
    assert {headers["authorization"] for headers in fake.headers} == {basic}


def test_what_is_logged_while_retrying_shows_no_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with dagster_settings("env", dagster_url("ab%2FcdSECRET", False, "dagster.test:3000")):
        operator = make(DefaultProxyTaskToDagsterOperator, FlakyThenFailing())
        with pytest.raises(AirflowException) as caught:
            operator.execute(ti_context("http://airflow.test/t"))
    out = capsys.readouterr()
    assert "asking again" in out.out + out.err
    assert "ended FAILURE" in str(caught.value)
    for text in (out.out, out.err, shown(caught.value)):
        assert "SECRET" not in text and "ab%2Fcd" not in text and "ab/cd" not in text


def test_a_hooks_own_error_quoting_the_url_is_redacted() -> None:
    """An overridden ``launch_dagster_run`` whose HTTP library quotes the URL it was given."""

    class Quoting(DefaultProxyTaskToDagsterOperator):
        def launch_dagster_run(self, context: Any, session: Any, url: str, params: Any) -> str:
            raise RuntimeError(f"cannot reach {url}/graphql (password {unquote(url)[12:28]})")

    with dagster_settings("env", dagster_url("ab/cd SECRET", True, "dagster.test:3000")):
        operator = make(Quoting, FakeGraphQL())
        with pytest.raises(AirflowException) as caught:
            operator.execute(ti_context("http://airflow.test/t"))
    text = shown(caught.value)
    assert "RuntimeError: cannot reach http://dagster.test:3000/graphql" in text
    assert "SECRET" not in text and "ab%2Fcd" not in text and "ab/cd" not in text


def test_the_settings_repr_hides_the_userinfo() -> None:
    with dagster_settings("env", "http://admin:s3cretPASS@dagster.test:3000"):
        text = repr(resolve_settings())
    assert "s3cretPASS" not in text and "admin" not in text
    assert "dagster.test:3000" in text
