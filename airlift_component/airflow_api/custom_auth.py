"""Your own authentication for Airflow: ``auth: {type: custom, class: ..., options: ...}``.

The class named ``package.module:ClassName`` is imported and built as
``ClassName(**options)``. The object must be **one** of:

1. an :class:`httpx.Auth` subclass. Its ``auth_flow(request)`` generator sets
   headers and may yield extra requests first (to fetch or refresh a token),
   exactly as httpx documents; the client's retries and error messages apply to
   whatever response the flow ends with.
2. any object with a method ``auth_headers(self) -> dict[str, str]``. It is
   called before every request and its headers are added to the request, so it
   can return a freshly refreshed token each time. Example::

       class ApiKeyAuth:
           def __init__(self, header: str, env_var: str) -> None:
               self.header, self.env_var = header, env_var

           def auth_headers(self) -> dict[str, str]:
               return {self.header: os.environ[self.env_var]}

   with ``options: {header: X-Api-Key, env_var: AIRFLOW_API_KEY}``.

Keep secrets out of ``options`` (they live in ``airlift.yaml``): read them from
the environment inside the class, and give it a ``__repr__`` without them.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator, Mapping
from typing import Any, Protocol, runtime_checkable

import httpx

from airlift_component.errors import AirflowAuthError


@runtime_checkable
class HeaderProvider(Protocol):
    """The small interface of a custom auth object that is not an ``httpx.Auth``."""

    def auth_headers(self) -> dict[str, str]: ...


class HeaderProviderAuth(httpx.Auth):
    """Adapts a :class:`HeaderProvider` to an ``httpx.Auth`` flow."""

    def __init__(self, provider: HeaderProvider) -> None:
        self.provider = provider

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self.provider.auth_headers())
        yield request

    def __repr__(self) -> str:
        return f"HeaderProviderAuth({type(self.provider).__name__})"


def load_custom_auth(ref: str, options: Mapping[str, Any], *, instance: str = "") -> httpx.Auth:
    """Import ``package.module:ClassName``, build it with ``**options`` and adapt it."""
    module_name, _, attr = ref.partition(":")

    def fail(what: str) -> AirflowAuthError:
        return AirflowAuthError(
            f"instance {instance!r}: auth class {ref!r} {what}", instance=instance
        )

    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise fail(f"cannot be imported ({exc}); install its package or fix 'class:'") from None
    factory = getattr(module, attr, None)
    if factory is None:
        raise fail(f"does not exist: module {module_name!r} has no attribute {attr!r}")
    try:
        built = factory(**dict(options))
    except TypeError as exc:
        raise fail(f"cannot be built from its options ({exc}); fix 'options:'") from None
    if isinstance(built, httpx.Auth):
        return built
    if isinstance(built, HeaderProvider):
        return HeaderProviderAuth(built)
    raise fail(
        "is neither an httpx.Auth subclass nor has an auth_headers() -> dict[str, str] method"
    )
