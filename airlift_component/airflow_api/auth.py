"""How requests to Airflow are authenticated: one ``httpx.Auth`` flow per kind.

=============  ===================================================================
``auth.type``  what the client sends
=============  ===================================================================
``none``       nothing
``basic``      Airflow 2 (``/api/v1``): HTTP basic auth. Airflow 3 (``/api/v2``):
               the username and password are exchanged at ``POST /auth/token``
               for a JWT, sent as a bearer token and fetched again shortly before
               its ``exp`` passes, or once after a 401.
``token``      a static bearer token
``astronomer`` the deployment API token as a bearer token
``mwaa``       see :mod:`.cloud_auth`
``composer``   see :mod:`.cloud_auth`
``custom``     see :mod:`.custom_auth`
=============  ===================================================================

No flow keeps a secret in its ``repr``; none logs headers or bodies.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Generator
from typing import Any, Literal

import httpx

from airlift_component.config.airlift_yaml.model import (
    AstronomerAuth,
    BasicAuth,
    ComposerAuth,
    CustomAuth,
    MwaaAuth,
    NoAuth,
    TokenAuth,
)

AuthModel = NoAuth | BasicAuth | TokenAuth | MwaaAuth | AstronomerAuth | ComposerAuth | CustomAuth

#: Refresh a JWT this long before it expires (at most; a fifth of its lifetime if shorter).
REFRESH_MARGIN_SECONDS = 30.0


class HttpBasicAuth(httpx.Auth):
    """HTTP basic auth (Airflow 2's ``basic_auth`` API backend)."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        credentials = f"{username}:{password}".encode()
        self._header = "Basic " + base64.b64encode(credentials).decode("ascii")

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"HttpBasicAuth(username={self.username!r})"


class BearerTokenAuth(httpx.Auth):
    """A static bearer token (``token`` and ``astronomer`` auth)."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerTokenAuth(token=***)"


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT, decoded without checking the signature ({} if unreadable)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


class JwtPasswordAuth(httpx.Auth):
    """Airflow 3: trade username and password for a JWT at ``POST {url}/auth/token``.

    The token's lifetime is read from its ``exp`` claim (against ``iat`` when
    present, so a skewed server clock does not matter) and it is fetched again
    before it runs out: ``min(30 s, lifetime / 5)`` early. A 401 on a request
    fetches a new token and repeats the request once. When the token endpoint
    itself fails, its response is returned as the request's response, so the
    caller's retry and error handling see it (with the ``/auth/token`` path).
    """

    requires_response_body = True

    def __init__(self, token_url: str, username: str, password: str) -> None:
        self.token_url = token_url
        self.username = username
        self._password = password
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()
        #: How many tokens were obtained (for tests and diagnostics).
        self.tokens_obtained = 0

    def __repr__(self) -> str:
        return f"JwtPasswordAuth(token_url={self.token_url!r}, username={self.username!r})"

    def _token_request(self) -> httpx.Request:
        return httpx.Request(
            "POST",
            self.token_url,
            json={"username": self.username, "password": self._password},
            headers={"Accept": "application/json"},
        )

    def _current(self) -> str | None:
        with self._lock:
            if self._token is not None and time.monotonic() < self._refresh_at:
                return self._token
            return None

    def _accept(self, response: httpx.Response) -> str | None:
        if response.status_code not in (200, 201):
            return None
        try:
            token = response.json().get("access_token")
        except (ValueError, AttributeError):
            return None
        if not isinstance(token, str) or not token:
            return None
        now = time.monotonic()
        claims = jwt_claims(token)
        exp, iat = claims.get("exp"), claims.get("iat")
        if isinstance(exp, int | float):
            issued = iat if isinstance(iat, int | float) else time.time()
            lifetime = max(0.0, float(exp) - float(issued))
            refresh_at = now + lifetime - min(REFRESH_MARGIN_SECONDS, lifetime / 5)
        else:
            refresh_at = float("inf")
        with self._lock:
            self._token, self._refresh_at = token, refresh_at
            self.tokens_obtained += 1
        return token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current()
        fresh = False
        if token is None:
            token_response = yield self._token_request()
            token = self._accept(token_response)
            if token is None:
                return
            fresh = True
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and not fresh:
            token_response = yield self._token_request()
            token = self._accept(token_response)
            if token is None:
                return
            request.headers["Authorization"] = f"Bearer {token}"
            yield request


def build_auth(
    auth: AuthModel,
    *,
    api_version: Literal["v1", "v2"] | None,
    base_url: str,
    instance: str,
) -> httpx.Auth | None:
    """The auth flow for an instance's ``auth`` settings.

    ``api_version`` matters only for ``basic`` (HTTP basic on v1, JWT on v2);
    pass ``None`` while the version is still being detected, which for
    ``basic`` yields no auth (the version endpoints need none).
    """
    if isinstance(auth, NoAuth):
        return None
    if isinstance(auth, BasicAuth):
        password = auth.password.get_secret_value()
        if api_version == "v1":
            return HttpBasicAuth(auth.username, password)
        if api_version == "v2":
            return JwtPasswordAuth(f"{base_url}/auth/token", auth.username, password)
        return None
    if isinstance(auth, TokenAuth):
        return BearerTokenAuth(auth.token.get_secret_value())
    if isinstance(auth, AstronomerAuth):
        return BearerTokenAuth(auth.api_token.get_secret_value())
    if isinstance(auth, MwaaAuth):
        from airlift_component.airflow_api.cloud_auth import MwaaSessionAuth

        return MwaaSessionAuth(
            auth.environment_name, base_url=base_url, region=auth.region, profile=auth.profile
        )
    if isinstance(auth, ComposerAuth):
        from airlift_component.airflow_api.cloud_auth import GoogleCredentialsAuth

        return GoogleCredentialsAuth(list(auth.scopes))
    from airlift_component.airflow_api.custom_auth import load_custom_auth

    return load_custom_auth(auth.class_, auth.options, instance=instance)
