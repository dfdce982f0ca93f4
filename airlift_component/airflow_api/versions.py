"""Which REST API an instance speaks, and the auth flow that goes with it.

With ``api: auto`` the client asks ``GET /api/v2/version`` (Airflow 3) and then
``GET /api/v1/version`` (Airflow 2), once; ``api: v1`` / ``v2`` pin the answer
and send no probe. A 404, or an answer that is not JSON with a ``version``
(say a UI page), means "not this one".

Only ``basic`` auth differs by version (HTTP basic on v1, a JWT on v2), so the
v2 probe goes without it (the version endpoints are public) and the v1 probe
with it. Every other flow is built once and shared, so a login (MWAA) or token
obtained during the probe is reused afterwards.
"""

from __future__ import annotations

import threading

import httpx

from airlift_component.airflow_api.auth import build_auth
from airlift_component.airflow_api.endpoints import ApiVersion, Endpoints
from airlift_component.airflow_api.transport import RestSession
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError
from airlift_component.redact import redact_url


class VersionResolver:
    """Detects (or takes the pinned) API version and installs the matching auth."""

    def __init__(self, instance: Instance, session: RestSession) -> None:
        self.instance = instance
        self.session = session
        self.version: ApiVersion | None = None if instance.api == "auto" else instance.api
        #: The Airflow version a probe reported (``None`` when pinned and not yet asked).
        self.airflow_version: str | None = None
        self._shared_auth: tuple[httpx.Auth | None] | None = None
        self._lock = threading.Lock()
        if self.version is not None:
            self.session.auth = self._auth_for(self.version)

    def _auth_for(self, version: ApiVersion | None) -> httpx.Auth | None:
        if self.instance.auth.type != "basic" and self._shared_auth is not None:
            return self._shared_auth[0]
        auth = build_auth(
            self.instance.auth,
            api_version=version,
            base_url=self.session.base_url,
            instance=self.instance.name,
        )
        if self.instance.auth.type != "basic":
            self._shared_auth = (auth,)
        return auth

    def _probe(self, version: ApiVersion) -> str | None:
        auth = self._auth_for("v1" if version == "v1" else None)
        response = self.session.request(
            "GET", Endpoints(version).version_path(), auth=auth, accept_statuses=(404,)
        )
        if response.status_code == 404:
            return None
        try:
            body = response.json()
        except ValueError:
            return None
        found = body.get("version") if isinstance(body, dict) else None
        return found if isinstance(found, str) else None

    def resolve(self) -> ApiVersion:
        """The API version, probing the server the first time when not pinned."""
        with self._lock:
            if self.version is not None:
                return self.version
            candidates: tuple[ApiVersion, ...] = ("v2", "v1")
            for version in candidates:
                found = self._probe(version)
                if found is not None:
                    self.airflow_version = found
                    self.version = version
                    self.session.auth = self._auth_for(version)
                    return version
        name, url = self.instance.name, redact_url(self.session.base_url)
        raise AirflowApiError(
            f"Airflow instance {name!r}: neither /api/v2/version nor /api/v1/version "
            f"answered at {url}; check the instance url (the Airflow web server / API "
            "server, without /api/...) and that the REST API is enabled",
            instance=name,
            method="GET",
            path="/api/v1/version",
            status=404,
        )
