"""Every auth kind against the fake server: basic (v1 and JWT on v2), token,
astronomer, MWAA and Composer (stubbed SDKs), custom."""

from __future__ import annotations

import sys
import time
import types
from collections.abc import Iterator
from typing import Any

import pytest

from airlift_component.airflow_api.auth import jwt_claims
from airlift_component.airflow_api.client import AirflowClient
from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError, AirflowAuthError, MissingDependencyError
from tests.harness.fake_airflow import FakeAirflow

FAST = RetryPolicy(retries=3, deadline_seconds=5, backoff_base=0.001, backoff_max=0.005)


def client_for(fake: FakeAirflow, auth: dict[str, Any] | None = None, **kw: Any) -> AirflowClient:
    config = fake.instance_config(auth=auth, **kw)
    return AirflowClient(Instance.model_validate(config, strict=False), retry_policy=FAST)


# --- basic ------------------------------------------------------------------------------


def test_v1_basic_sends_http_basic_auth() -> None:
    with FakeAirflow(api="v1", username="admin", password="pw") as fake:
        fake.add_dag("a")
        with client_for(fake) as client:
            assert [d.dag_id for d in client.list_dags()] == ["a"]
        v2_probe, _v1_probe, listing = fake.request_log
        assert "Authorization" not in v2_probe.headers
        assert listing.headers["Authorization"].startswith("Basic ")


def test_v2_basic_exchanges_the_password_for_one_jwt() -> None:
    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_dag("a")
        with client_for(fake) as client:
            for _ in range(3):
                client.get_dag("a")
        assert fake.tokens_issued == 1
        token_call = next(r for r in fake.request_log if r.path == "/auth/token")
        assert token_call.body == {"username": "admin", "password": "pw"}
        assert fake.request_log[-1].headers["Authorization"].startswith("Bearer ")


def test_jwt_is_refreshed_before_it_expires() -> None:
    with FakeAirflow(api="v2", username="admin", password="pw", token_lifetime=1.0) as fake:
        fake.add_dag("a")
        with client_for(fake, api="v2") as client:
            finish = time.monotonic() + 2.5
            calls = 0
            while time.monotonic() < finish:
                assert client.get_dag("a").dag_id == "a"
                calls += 1
                time.sleep(0.05)
        assert fake.tokens_issued >= 3
        assert all(r.status == 200 for r in fake.api_requests()), (
            "refreshed before, not after, a 401"
        )
        assert calls > 10


def test_401_fetches_a_new_token_and_repeats_the_request_once() -> None:
    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_dag("a")
        with client_for(fake, api="v2") as client:
            client.get_dag("a")
            fake.expire_credentials()  # e.g. the server restarted with a new secret
            assert client.get_dag("a").dag_id == "a"
        assert [r.status for r in fake.api_requests()] == [200, 401, 200]
        assert fake.tokens_issued == 2


def test_wrong_password_on_v2_is_an_auth_error_at_the_token_endpoint() -> None:
    with FakeAirflow(api="v2", username="admin", password="right") as fake:
        with (
            client_for(fake, {"type": "basic", "username": "admin", "password": "wrong"}) as client,
            pytest.raises(AirflowAuthError) as err,
        ):
            client.list_dags()
        assert err.value.status == 401 and err.value.path == "/auth/token"
        assert "credentials" in str(err.value)
        assert len([r for r in fake.request_log if r.path == "/auth/token"]) == 1


def test_a_failing_token_endpoint_is_retried() -> None:
    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_dag("a")
        fake.fail_next(1, status=503, path="/auth/token")
        with client_for(fake, api="v2") as client:
            assert client.get_dag("a").dag_id == "a"
        assert [r.status for r in fake.request_log] == [503, 201, 200]


# --- static tokens ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [{"type": "token", "token": "s3cret"}, {"type": "astronomer", "api_token": "s3cret"}],
    ids=["token", "astronomer"],
)
def test_static_bearer_tokens(auth: dict[str, Any]) -> None:
    with FakeAirflow(api="v2", token="s3cret") as fake:
        fake.add_dag("a")
        with client_for(fake, auth) as client:
            assert [d.dag_id for d in client.list_dags()] == ["a"]
        assert fake.request_log[-1].headers["Authorization"] == "Bearer s3cret"


# --- MWAA -------------------------------------------------------------------------------


class StubMwaa:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[dict[str, Any]] = []

    def create_web_login_token(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(kwargs)
        return {"WebToken": self.token, "WebServerHostname": "example"}


@pytest.fixture
def stub_boto3(monkeypatch: pytest.MonkeyPatch) -> StubMwaa:
    mwaa = StubMwaa("web-login-token")
    sessions: list[dict[str, Any]] = []

    class Session:
        def __init__(self, **kwargs: Any) -> None:
            sessions.append(kwargs)

        def client(self, name: str) -> StubMwaa:
            assert name == "mwaa"
            return mwaa

    monkeypatch.setitem(sys.modules, "boto3", types.SimpleNamespace(Session=Session))
    mwaa.sessions = sessions  # type: ignore[attr-defined]
    return mwaa


def test_mwaa_logs_in_with_a_web_token_and_sends_the_session_cookie(stub_boto3: StubMwaa) -> None:
    auth = {"type": "mwaa", "environment_name": "prod", "region": "eu-west-1"}
    with FakeAirflow(api="v1", mwaa_web_token="web-login-token") as fake:
        fake.add_dag("a")
        with client_for(fake, auth) as client:
            assert [d.dag_id for d in client.list_dags()] == ["a"]
            fake.expire_credentials()  # the session lapses
            assert client.get_dag("a").dag_id == "a"
        assert fake.logins == 2
        assert stub_boto3.calls == [{"Name": "prod"}, {"Name": "prod"}]
        assert stub_boto3.sessions == [{"profile_name": None, "region_name": "eu-west-1"}]  # type: ignore[attr-defined]
        assert "session=" in fake.request_log[-1].headers["Cookie"]


def test_mwaa_without_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with FakeAirflow(api="v1") as fake:
        auth = {"type": "mwaa", "environment_name": "prod"}
        with pytest.raises(MissingDependencyError) as err:
            client_for(fake, auth, api="v1")
    assert "airlift-component[mwaa]" in str(err.value)


def test_mwaa_token_failure_is_an_auth_error(stub_boto3: StubMwaa) -> None:
    def refuse(**kwargs: Any) -> None:
        raise RuntimeError("AccessDenied")

    stub_boto3.create_web_login_token = refuse  # type: ignore[method-assign,assignment]
    with FakeAirflow(api="v1", mwaa_web_token="x") as fake:
        auth = {"type": "mwaa", "environment_name": "prod"}
        with client_for(fake, auth, api="v1") as client, pytest.raises(AirflowAuthError) as err:
            client.list_dags()
    assert "'prod'" in str(err.value) and "AWS credentials" in str(err.value)


# --- Composer ---------------------------------------------------------------------------


class StubCredentials:
    def __init__(self, tokens: list[str], valid: bool = False, token: str | None = None) -> None:
        self.tokens = tokens
        self.valid = valid
        self.token = token
        self.refreshes = 0

    def refresh(self, request: Any) -> None:
        self.refreshes += 1
        self.token = self.tokens.pop(0)
        self.valid = True


@pytest.fixture
def stub_google(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    state: dict[str, Any] = {"credentials": None, "scopes": None}

    def default(scopes: list[str] | None = None) -> tuple[StubCredentials, str]:
        state["scopes"] = scopes
        return state["credentials"], "project"

    google = types.ModuleType("google")
    google_auth = types.ModuleType("google.auth")
    transport = types.ModuleType("google.auth.transport")
    requests_mod = types.ModuleType("google.auth.transport.requests")
    google_auth.default = default  # type: ignore[attr-defined]
    requests_mod.Request = lambda: object()  # type: ignore[attr-defined]
    google.auth = google_auth  # type: ignore[attr-defined]
    google_auth.transport = transport  # type: ignore[attr-defined]
    transport.requests = requests_mod  # type: ignore[attr-defined]
    for name, module in [
        ("google", google),
        ("google.auth", google_auth),
        ("google.auth.transport", transport),
        ("google.auth.transport.requests", requests_mod),
    ]:
        monkeypatch.setitem(sys.modules, name, module)
    return state


def test_composer_sends_refreshed_google_credentials(stub_google: dict[str, Any]) -> None:
    stub_google["credentials"] = credentials = StubCredentials(["ya29.good"])
    with FakeAirflow(api="v2", token="ya29.good") as fake:
        fake.add_dag("a")
        with client_for(fake, {"type": "composer"}) as client:
            assert [d.dag_id for d in client.list_dags()] == ["a"]
            client.get_dag("a")
    assert credentials.refreshes == 1
    assert stub_google["scopes"] == ["https://www.googleapis.com/auth/cloud-platform"]


def test_composer_refreshes_once_after_a_401(stub_google: dict[str, Any]) -> None:
    stub_google["credentials"] = StubCredentials(["ya29.good"], valid=True, token="ya29.stale")
    with FakeAirflow(api="v2", token="ya29.good") as fake:
        fake.add_dag("a")
        with client_for(fake, {"type": "composer"}, api="v2") as client:
            assert client.get_dag("a").dag_id == "a"
        assert [r.status for r in fake.api_requests()] == [401, 200]


def test_composer_without_google_auth_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", None)
    with (
        FakeAirflow(api="v2") as fake,
        pytest.raises(MissingDependencyError, match=r"airlift-component\[composer\]"),
    ):
        client_for(fake, {"type": "composer"}, api="v2")


# --- custom -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ref", ["BearerFromOptions", "HeaderProvider"], ids=["httpx-auth", "auth-headers"]
)
def test_custom_auth_classes(ref: str) -> None:
    auth = {
        "type": "custom",
        "class": f"tests.harness.custom_auth_examples:{ref}",
        "options": {"token": "c1"},
    }
    with FakeAirflow(api="v2", token="c1") as fake:
        fake.add_dag("a")
        with client_for(fake, auth) as client:
            assert [d.dag_id for d in client.list_dags()] == ["a"]
            client.get_dag("a")
        assert fake.request_log[-1].headers["Authorization"] == "Bearer c1"


@pytest.mark.parametrize(
    ("ref", "options", "message"),
    [
        ("no_such_module_xyz:Auth", {}, "cannot be imported"),
        ("tests.harness.custom_auth_examples:Missing", {}, "has no attribute 'Missing'"),
        ("tests.harness.custom_auth_examples:HeaderProvider", {"nope": 1}, "fix 'options:'"),
        ("tests.harness.custom_auth_examples:NeitherKind", {}, "auth_headers()"),
    ],
    ids=["no-module", "no-class", "bad-options", "wrong-kind"],
)
def test_custom_auth_mistakes_are_explained(
    ref: str, options: dict[str, Any], message: str
) -> None:
    auth = {"type": "custom", "class": ref, "options": options}
    with FakeAirflow(api="v2") as fake, pytest.raises(AirflowAuthError) as err:
        client_for(fake, auth, api="v2")
    assert message in str(err.value) and ref in str(err.value)


# --- helpers ----------------------------------------------------------------------------


def test_jwt_claims_reads_the_payload_without_a_signature_check() -> None:
    with FakeAirflow(api="v2", username="u", password="p", token_lifetime=5) as fake:
        claims = jwt_claims(fake.issue_jwt("u"))
    assert claims["sub"] == "u" and claims["exp"] - claims["iat"] == pytest.approx(5)
    assert jwt_claims("not-a-jwt") == {}
    assert jwt_claims("a.!!!.c") == {}


@pytest.fixture
def certifi_bundle() -> Iterator[str]:
    import certifi

    yield certifi.where()


def test_ca_bundle_is_honoured_and_a_missing_one_is_named(certifi_bundle: str) -> None:
    with FakeAirflow(api="v2") as fake:
        with client_for(fake, http={"ca_bundle": certifi_bundle}) as client:
            client.api_version()
        with pytest.raises(AirflowApiError, match=r"/nowhere/ca\.pem"):
            client_for(fake, http={"ca_bundle": "/nowhere/ca.pem"})
