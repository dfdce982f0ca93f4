"""A minimal REST helper for the local Airflow servers' own readiness checks.

Deliberately independent of ``airlift_component.airflow_api`` (the product's
client, which the tests exercise): the harness must be able to tell whether a
server works without trusting the code under test.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from devtools.local_stack.airflow_env import SQLITE_BUSY_TIMEOUT_SECONDS

# A call that writes (a Connection, a DAG run, the audit log) waits for SQLite's
# write lock for up to the busy timeout before the server answers; the client waits
# that long and then some. At 30 s, a POST behind the scheduler's transaction timed
# out client-side on a loaded 2-core CI machine while the server was still waiting.
REQUEST_TIMEOUT_SECONDS = SQLITE_BUSY_TIMEOUT_SECONDS + 30.0

# SQLite answers "database is locked" at once, without waiting out the busy timeout,
# when two transactions would otherwise deadlock upgrading their locks; Airflow 3 then
# answers 500 {"detail": {"reason": "Database error"}} and has rolled the call back. A
# CI run lost a test's setup to one (POST /connections behind the scheduler), so the
# harness tries such a call again, a bounded number of times.
DATABASE_ERROR_ATTEMPTS = 5


def is_database_error(resp: httpx.Response) -> bool:
    """Whether Airflow answered that the call's database transaction failed."""
    if resp.status_code != 500:
        return False
    try:
        detail = resp.json().get("detail")
    except ValueError:
        return False
    return isinstance(detail, dict) and detail.get("reason") == "Database error"


class HarnessApiError(RuntimeError):
    """The local Airflow answered a harness call with an unexpected status."""


class HarnessApi:
    """Authenticated calls to one local Airflow: basic auth (v1) or a JWT (v2)."""

    def __init__(self, url: str, api_version: str, username: str, password: str) -> None:
        self.url = url
        self.api_version = api_version
        self.prefix = f"/api/{api_version}"
        self._username = username
        self._password = password
        self._token: str | None = None
        auth = httpx.BasicAuth(username, password) if api_version == "v1" else None
        self._http = httpx.Client(
            base_url=url, auth=auth, timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS)
        )

    def __repr__(self) -> str:
        return f"HarnessApi({self.url!r}, {self.api_version!r})"

    def close(self) -> None:
        self._http.close()

    def token(self) -> str:
        """A fresh JWT from ``POST /auth/token`` (Airflow 3 only)."""
        resp = self._http.post(
            "/auth/token", json={"username": self._username, "password": self._password}
        )
        if resp.status_code not in (200, 201):
            raise HarnessApiError(f"POST /auth/token -> {resp.status_code}: {resp.text[:300]}")
        return str(resp.json()["access_token"])

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call ``{prefix}{path}``; again while Airflow answers a rolled-back database
        error (see :data:`DATABASE_ERROR_ATTEMPTS`)."""
        for attempt in range(1, DATABASE_ERROR_ATTEMPTS + 1):
            resp = self._request_once(method, path, **kwargs)
            if not is_database_error(resp) or attempt == DATABASE_ERROR_ATTEMPTS:
                return resp
            time.sleep(0.5 * attempt)
        raise AssertionError("unreachable")

    def _request_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call ``{prefix}{path}``; for v2 fetch a token first and once more on a 401."""
        full = f"{self.prefix}{path}"
        if self.api_version == "v1":
            return self._http.request(method, full, **kwargs)
        for attempt in range(2):
            if self._token is None:
                self._token = self.token()
            headers = {"Authorization": f"Bearer {self._token}"}
            resp = self._http.request(method, full, headers=headers, **kwargs)
            if resp.status_code != 401 or attempt == 1:
                return resp
            self._token = None
        raise AssertionError("unreachable")

    def json(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        """Call and return the JSON body; raise :class:`HarnessApiError` on another status."""
        resp = self.request(method, path, **kwargs)
        if resp.status_code not in ok:
            raise HarnessApiError(
                f"{method} {self.prefix}{path} -> {resp.status_code}: {resp.text[:300]}"
            )
        return resp.json()

    def probe(self, path: str) -> httpx.Response | None:
        """GET without auth and without raising: ``None`` when nothing answers yet."""
        try:
            return self._http.get(path, auth=None, timeout=10.0)
        except httpx.HTTPError:
            return None

    def import_errors(self) -> list[str]:
        """``filename: first line`` of every DAG import error Airflow currently reports."""
        body = self.json("GET", "/importErrors", params={"limit": 100})
        out = []
        for err in body.get("import_errors", []):
            lines = str(err.get("stack_trace", "")).strip().splitlines()
            out.append(f"{err.get('filename')}: {lines[-1] if lines else ''}")
        return out
