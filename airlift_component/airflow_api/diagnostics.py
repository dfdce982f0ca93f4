"""Error messages for failed Airflow API calls: what happened, where, and what to check.

Every message names the instance, the HTTP method, the URL path and the status
(or that no answer came). Request headers and bodies never appear; of a
response body only Airflow's short ``detail`` / ``title`` text does, and not for
login endpoints, whose validation errors may echo the submitted credentials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from airlift_component.errors import AirflowApiError, AirflowAuthError

_LOGIN_PATHS = ("/auth/token", "/aws_mwaa/login")
_DETAIL_LIMIT = 300


def _detail(response: httpx.Response) -> str:
    if any(response.request.url.path.endswith(p) for p in _LOGIN_PATHS):
        return ""
    try:
        body: Any = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    detail = body.get("detail") or body.get("title")
    if isinstance(detail, list):  # FastAPI validation errors: keep loc and msg, drop input
        detail = "; ".join(
            f"{'.'.join(str(p) for p in item.get('loc', []))}: {item.get('msg', '')}"
            for item in detail
            if isinstance(item, dict)
        )
    if not isinstance(detail, str) or not detail:
        return ""
    return f" ({detail[:_DETAIL_LIMIT]})"


def _where(instance: str, method: str, path: str) -> str:
    return f"Airflow instance {instance!r}: {method} {path}"


def status_error(instance: str, response: httpx.Response, *, auth_type: str) -> AirflowApiError:
    """The error for a response whose status means failure."""
    method, path, status = response.request.method, response.request.url.path, response.status_code
    where = f"{_where(instance, method, path)} answered {status}{_detail(response)}"
    kwargs: dict[str, Any] = {
        "instance": instance,
        "method": method,
        "path": path,
        "status": status,
    }
    if status == 401 or (response.is_redirect and "login" in response.headers.get("location", "")):
        return AirflowAuthError(
            f"{where}: the credentials were not accepted; check auth (type {auth_type!r}) "
            "of this instance in airlift.yaml and the environment variables it reads",
            **kwargs,
        )
    if status == 403:
        return AirflowAuthError(
            f"{where}: the user is not allowed to do this; check auth (type {auth_type!r}) "
            "and that the Airflow user has a role with access to DAGs and DAG runs",
            **kwargs,
        )
    if status == 404 and path.endswith("/version"):
        return AirflowApiError(
            f"{where}: no Airflow REST API here; check the instance url (it is the Airflow "
            "web server / API server address, without /api/v1 or /api/v2), that the API is "
            "enabled, and the 'api' setting (v1 for Airflow 2, v2 for Airflow 3)",
            **kwargs,
        )
    if status == 404:
        return AirflowApiError(
            f"{where}: not found; check that the DAG / run exists and the instance url and "
            "'api' version are right",
            **kwargs,
        )
    if status == 429 or status >= 500:
        return AirflowApiError(
            f"{where}: Airflow is overloaded or failing; check its health, or raise "
            "http.retries / http.deadline_seconds",
            **kwargs,
        )
    if response.is_redirect:
        return AirflowApiError(
            f"{where}: redirected to {response.headers.get('location', '?')!r}; check the "
            "instance url (scheme, host and path prefix)",
            **kwargs,
        )
    return AirflowApiError(
        f"{where}: the request was refused; check the Airflow version ('api' setting) "
        "and the arguments",
        **kwargs,
    )


def transport_error(
    instance: str, method: str, url: str, exc: httpx.TransportError, *, timeouts: str
) -> AirflowApiError:
    """The error for a request that got no complete answer."""
    parts = urlsplit(url)
    where = _where(instance, method, parts.path or "/")
    host = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
    kind = type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        hint = f"no connection to {host} within the connect timeout ({timeouts}); check the host, port and firewall"
    elif isinstance(exc, httpx.TimeoutException):
        hint = f"no answer within the read timeout ({timeouts}); Airflow may be overloaded, or raise http.read_timeout"
    elif isinstance(exc, httpx.ConnectError) and "CERTIFICATE" in str(exc).upper():
        hint = (
            f"TLS certificate of {host} not trusted; set http.ca_bundle to your CA "
            "certificates (PEM) or fix the certificate"
        )
    elif isinstance(exc, httpx.ConnectError):
        hint = f"could not connect to {host}; check the instance url (host and port) and that Airflow is running"
    else:
        hint = f"the connection to {host} broke off mid-answer; check proxies and load balancers in between"
    return AirflowApiError(
        f"{where} failed ({kind}: {exc}): {hint}", instance=instance, method=method, path=parts.path
    )


def json_error(instance: str, response: httpx.Response) -> AirflowApiError:
    """The error for a 2xx answer that is not the JSON an Airflow API sends."""
    method, path = response.request.method, response.request.url.path
    kind = response.headers.get("content-type", "no content type")
    return AirflowApiError(
        f"{_where(instance, method, path)} answered {response.status_code} with malformed "
        f"JSON ({kind}); is the instance url an Airflow API server? Check the url and any "
        "proxy in front of it",
        instance=instance,
        method=method,
        path=path,
        status=response.status_code,
    )


def shape_error(instance: str, method: str, path: str, what: str) -> AirflowApiError:
    """The error for JSON that lacks what the Airflow API always sends."""
    return AirflowApiError(
        f"{_where(instance, method, path)}: unexpected answer ({what}); check the 'api' "
        "setting (v1 for Airflow 2, v2 for Airflow 3) and that the url is an Airflow API",
        instance=instance,
        method=method,
        path=path,
    )
