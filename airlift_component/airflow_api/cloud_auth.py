"""Authentication for managed Airflow: Amazon MWAA and Google Cloud Composer.

Both need an optional extra, imported only when such an instance is used:
``pip install "airlift-component[mwaa]"`` (boto3) and
``pip install "airlift-component[composer]"`` (google-auth).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from http.cookies import CookieError, SimpleCookie
from typing import Any

import httpx

from airlift_component.errors import AirflowAuthError, MissingDependencyError

#: Where MWAA trades a web login token for a session cookie, under the web server URL.
MWAA_LOGIN_PATH = "/aws_mwaa/login"


def _mwaa_client(region: str | None, profile: str | None) -> Any:
    try:
        import boto3
    except ImportError:
        raise MissingDependencyError("boto3", "mwaa") from None
    session = boto3.Session(profile_name=profile, region_name=region)
    return session.client("mwaa")


def _cookies_from(response: httpx.Response) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        cookies.update({name: morsel.value for name, morsel in jar.items()})
    return cookies


class MwaaSessionAuth(httpx.Auth):
    """Amazon MWAA: a web login token from boto3, traded for a session cookie.

    ``create_web_login_token`` (boto3, credentials from the usual AWS chain,
    ``region`` / ``profile`` when given) yields a short-lived token; a ``POST``
    of it to ``{url}/aws_mwaa/login`` sets the web server's session cookie, sent
    with every API request. The instance ``url`` is the environment's web
    server URL (``https://<WebserverUrl>``). When the session lapses (401, 403 or
    a redirect to a login page) the client logs in again, once per request. On
    Airflow 3 environments the ``_token`` cookie is also sent as a bearer token.
    """

    requires_response_body = True

    def __init__(
        self,
        environment_name: str,
        *,
        base_url: str,
        region: str | None = None,
        profile: str | None = None,
        client_factory: Callable[[str | None, str | None], Any] = _mwaa_client,
    ) -> None:
        self.environment_name = environment_name
        self.login_url = base_url.rstrip("/") + MWAA_LOGIN_PATH
        self._client = client_factory(region, profile)
        self._cookies: dict[str, str] | None = None
        self._lock = threading.Lock()
        #: How many logins were made (for tests and diagnostics).
        self.logins = 0

    def __repr__(self) -> str:
        return f"MwaaSessionAuth(environment_name={self.environment_name!r})"

    def _login_request(self) -> httpx.Request:
        try:
            answer = self._client.create_web_login_token(Name=self.environment_name)
            web_token = answer["WebToken"]
        except Exception as exc:
            raise AirflowAuthError(
                f"could not get an MWAA web login token for environment "
                f"{self.environment_name!r} ({type(exc).__name__}: {exc}); check the AWS "
                "credentials, region and profile, and that they may call "
                "airflow:CreateWebLoginToken",
                method="POST",
                path=MWAA_LOGIN_PATH,
            ) from None
        return httpx.Request("POST", self.login_url, data={"token": web_token})

    def _accept(self, response: httpx.Response) -> dict[str, str] | None:
        cookies = _cookies_from(response)
        if response.status_code >= 400 or not cookies:
            return None
        with self._lock:
            self._cookies = cookies
            self.logins += 1
        return cookies

    @staticmethod
    def _apply(request: httpx.Request, cookies: dict[str, str]) -> None:
        request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if "_token" in cookies:
            request.headers["Authorization"] = f"Bearer {cookies['_token']}"

    @staticmethod
    def _lapsed(response: httpx.Response) -> bool:
        if response.status_code in (401, 403):
            return True
        location = response.headers.get("location", "")
        return response.is_redirect and "login" in location.lower()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        with self._lock:
            cookies = self._cookies
        fresh = False
        if cookies is None:
            login = yield self._login_request()
            cookies = self._accept(login)
            if cookies is None:
                return
            fresh = True
        self._apply(request, cookies)
        response = yield request
        if self._lapsed(response) and not fresh:
            login = yield self._login_request()
            cookies = self._accept(login)
            if cookies is None:
                return
            self._apply(request, cookies)
            yield request


class GoogleCredentialsAuth(httpx.Auth):
    """Google Cloud Composer: Application Default Credentials as a bearer token.

    ``google.auth.default(scopes=...)`` finds the credentials (a service account
    key, workload identity, ``gcloud auth application-default login``); they
    are refreshed when no longer valid and once after a 401.
    """

    def __init__(self, scopes: list[str], *, credentials: Any = None) -> None:
        try:
            import google.auth
            import google.auth.transport.requests
        except ImportError:
            raise MissingDependencyError("google-auth", "composer") from None
        self.scopes = scopes
        if credentials is None:
            credentials, _project = google.auth.default(scopes=scopes)
        self._credentials = credentials
        self._transport_request = google.auth.transport.requests.Request()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"GoogleCredentialsAuth(scopes={self.scopes!r})"

    def _token(self, *, force: bool = False) -> str:
        with self._lock:
            if force or not self._credentials.valid:
                try:
                    self._credentials.refresh(self._transport_request)
                except Exception as exc:
                    raise AirflowAuthError(
                        f"could not refresh the Google credentials ({type(exc).__name__}); "
                        "check the Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS "
                        "or gcloud auth application-default login) and their scopes"
                    ) from None
            return str(self._credentials.token)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self._token(force=True)}"
            yield request
