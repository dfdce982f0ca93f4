"""Custom auth classes for tests of ``auth: {type: custom}`` (one per documented shape)."""

from __future__ import annotations

from collections.abc import Generator

import httpx


class BearerFromOptions(httpx.Auth):
    """An ``httpx.Auth`` subclass: sends ``options.token`` as a bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


class HeaderProvider:
    """An object with ``auth_headers()``: counts calls to prove it runs per request."""

    def __init__(self, token: str, header: str = "Authorization") -> None:
        self._token = token
        self.header = header
        self.calls = 0

    def auth_headers(self) -> dict[str, str]:
        self.calls += 1
        return {self.header: f"Bearer {self._token}"}


class NeitherKind:
    """Neither an httpx.Auth nor a header provider."""

    def __init__(self) -> None:
        pass
