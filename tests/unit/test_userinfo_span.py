"""One place decides where a URL's ``user:password`` is (redact.userinfo_span): the
redaction of Airflow asset URIs and airlift.yaml's literal-secret rule both use it,
so a password the rule is told about is the password the redaction cuts.

Generated passwords hold every character a password may (``/`` as in AWS secret
keys, ``@``, ``:``, ``?``, ``#``, ``%``, quotes, non-ASCII), framed by two markers:
any piece left in a redacted or shown URL shows one of them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.config.airlift_yaml import rules
from airlift_component.redact import redact_uri, userinfo_span
from tests.unit.url_passwords import PASSWORDS, USERINFO_URLS
from tests.unit.url_passwords import hidden as _hidden

USERS = st.sampled_from(["admin", "AKIAEXAMPLE", "a.b-c"])
URLS = st.sampled_from(USERINFO_URLS)


@settings(max_examples=400, deadline=None)
@given(password=PASSWORDS, user=USERS, url=URLS)
def test_the_rule_and_the_redaction_read_the_same_userinfo(
    password: str, user: str, url: str
) -> None:
    text = url.format(u=user, p=password)
    span = userinfo_span(text)
    assert span is not None and text[span[0] :].startswith(f"{user}:Pw")
    assert text[span[1]] == "@"
    # The redaction cuts exactly that span, and the rule sees a password written in it.
    assert redact_uri(text) == text[: span[0]] + text[span[1] + 1 :]
    if "${" not in password:
        assert rules.literal_url_password(text)
    assert _hidden(rules.shown_url(text))
    assert _hidden(redact_uri(text))


@pytest.mark.parametrize(
    ("url", "userinfo"),
    [
        pytest.param("https://admin:pw@host/x", "admin:pw", id="plain"),
        pytest.param("https://admin:pa/ss@host/x", "admin:pa/ss", id="slash-in-password"),
        pytest.param("https://admin:p@ss@host", "admin:p@ss", id="at-in-password"),
        pytest.param("gs://lake/users/alice@example.com/o.csv", None, id="at-in-path"),
        pytest.param("s3://lake/orders@v2/part.parquet", None, id="at-in-path-2"),
        pytest.param("https://[::1]:8080/x@y", None, id="ipv6-host"),
        pytest.param("https://u:123/abc@host", None, id="digits-read-as-port"),
        pytest.param("https://${USER}:${PW}@host", "${USER}:${PW}", id="placeholders"),
        pytest.param("no-scheme@host", None, id="no-scheme"),
        pytest.param("https://admin:Pw]?Zq@host", "admin:Pw]?Zq", id="bracket-in-password"),
        pytest.param("https://admin:Pw:1/x@host", "admin:Pw:1/x", id="colon-digits-in-password"),
        pytest.param("https://admin:pa@ss/word@host/x", "admin:pa@ss/word", id="at-then-slash"),
        pytest.param("https://admin:pa@ss?word@host", "admin:pa@ss?word", id="at-then-query"),
        pytest.param("https://admin:pa@ss#word@host", "admin:pa@ss#word", id="at-then-fragment"),
        pytest.param("s3://admin:pw@lake/a@b.csv", "admin:pw@lake/a", id="userinfo-and-path-at"),
    ],
)
def test_where_the_userinfo_is(url: str, userinfo: str | None) -> None:
    span = userinfo_span(url)
    assert (url[span[0] : span[1]] if span else None) == userinfo
