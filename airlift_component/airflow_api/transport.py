"""One HTTP session with an Airflow instance: timeouts, TLS, retries and error mapping.

:class:`RestSession` sends a request and returns the decoded JSON, or raises an
:class:`~airlift_component.errors.AirflowApiError` that says what to check.
Connection errors, timeouts, broken-off answers, 429 and 5xx are tried again
(see :mod:`.retry`); any other 4xx fails at once.

A request given a :class:`TimeBudget` (a sensor tick's, which Dagster stops
after its own timeout; passed down as an argument, see
:meth:`AirflowClient.bounded <airlift_component.airflow_api.client.AirflowClient.bounded>`)
shares it with every other request given the same one, retries included:
attempts are cut short to fit it and, once it is spent, the request raises
:class:`OutOfTime` instead of trying again.

Both limits bound a whole attempt, not each read: an Airflow (or a proxy) that
trickles its answer a byte at a time is cut off when the deadline or the budget
runs out (see :mod:`.request_deadline`), with an error naming the URL and the limit.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import httpx

from airlift_component.airflow_api import diagnostics
from airlift_component.airflow_api.request_deadline import bound_by_deadline, request_deadline
from airlift_component.airflow_api.retry import (
    Deadline,
    RetryPolicy,
    is_retryable_status,
    parse_retry_after,
)
from airlift_component.airflow_api.time_budget import OutOfTime, TimeBudget
from airlift_component.config.airlift_yaml.model import HttpSettings
from airlift_component.errors import AirflowApiError
from airlift_component.redact import redact_url, userinfo_is_encoded

logger = logging.getLogger("airlift_component.airflow_api")

__all__ = ["OutOfTime", "RestSession", "TimeBudget"]


def _verify(http: HttpSettings, instance: str) -> ssl.SSLContext | bool:
    if not http.verify:
        return False
    if http.ca_bundle is None:
        return True
    bundle = Path(http.ca_bundle).expanduser()
    if not bundle.exists():
        raise AirflowApiError(
            f"Airflow instance {instance!r}: http.ca_bundle {str(bundle)!r} does not exist; "
            "point it at a PEM file (or folder) of CA certificates",
            instance=instance,
        )
    if bundle.is_dir():
        return ssl.create_default_context(capath=str(bundle))
    return ssl.create_default_context(cafile=str(bundle))


class RestSession:
    """An ``httpx.Client`` for one instance, with retries bounded by a deadline."""

    def __init__(
        self,
        *,
        instance: str,
        base_url: str,
        http: HttpSettings,
        policy: RetryPolicy,
        auth_type: str,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.instance = instance
        # httpx logs every request URL at INFO: userinfo in the URL (credentials for a
        # proxy in front of Airflow) becomes the client's default basic auth instead,
        # exactly what httpx would do with it, and never appears in a log or an error.
        try:
            if not userinfo_is_encoded(base_url):  # else httpx reads a piece as host/path
                raise httpx.InvalidURL("userinfo not percent-encoded")
            url = httpx.URL(base_url)
        except httpx.InvalidURL:
            raise AirflowApiError(
                f"Airflow instance {instance!r}: url {redact_url(base_url)} is not a valid URL; "
                "a password in it needs '/', '?', '#', '@' and spaces percent-encoded, or "
                "move the credentials to auth:",
                instance=instance,
            ) from None
        userinfo = httpx.BasicAuth(url.username, url.password) if url.userinfo else None
        self.base_url = base_url = str(url.copy_with(username=None, password=None))
        self.policy = policy
        self.auth_type = auth_type
        self.auth: httpx.Auth | None = None
        self.request_count = 0
        self._timeouts = f"connect {http.connect_timeout} s, read {http.read_timeout} s"
        self._timeout = httpx.Timeout(
            connect=http.connect_timeout,
            read=http.read_timeout,
            write=http.read_timeout,
            pool=http.connect_timeout,
        )
        verify = _verify(http, instance)
        self._client = httpx.Client(
            base_url=base_url,
            timeout=self._timeout,
            verify=verify,
            transport=transport or httpx.HTTPTransport(verify=verify),
            follow_redirects=False,
            auth=userinfo,
            headers={"Accept": "application/json"},
            event_hooks={"request": [self._count]},
        )
        # The proxies httpx mounts from the environment (HTTPS_PROXY...) too.
        mounts = getattr(self._client, "_mounts", {})
        bound_by_deadline([transport or self._client._transport, *mounts.values()])

    def _count(self, request: httpx.Request) -> None:
        self.request_count += 1

    def close(self) -> None:
        self._client.close()

    def _attempt_timeout(self, remaining: float) -> httpx.Timeout:
        remaining = max(0.001, remaining)
        return httpx.Timeout(
            connect=min(self._timeout.connect or remaining, remaining),
            read=min(self._timeout.read or remaining, remaining),
            write=min(self._timeout.write or remaining, remaining),
            pool=min(self._timeout.pool or remaining, remaining),
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        auth: httpx.Auth | bool | None = True,
        accept_statuses: Collection[int] = (),
        budget: TimeBudget | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx response (or one in ``accept_statuses``).

        ``auth=True`` uses :attr:`auth`; ``None`` / ``False`` sends no credentials.
        ``budget`` bounds the request (with the others given it), besides the
        per-request ``http.deadline_seconds``.
        """
        flow = self.auth if auth is True else (auth or None)
        deadline = Deadline(self.policy.deadline_seconds)
        attempt = 0
        last_status: int | None = None
        while True:
            if budget is not None and budget.deadline.remaining <= 0:
                raise self._out_of_time(budget, method, path, attempt, None)
            outcome = self._attempt(
                method,
                path,
                params,
                json,
                flow,
                accept_statuses,
                deadline,
                budget,
                (attempt, last_status),
            )
            if isinstance(outcome, httpx.Response):
                return outcome
            failure, retry_after = outcome
            last_status = failure.status or last_status
            if budget is not None and budget.deadline.remaining <= 0:
                raise self._out_of_time(budget, method, path, attempt + 1, failure)
            wait = self._wait_before_retry(failure, retry_after, attempt, deadline)
            if budget is not None and not budget.deadline.allows(wait):
                raise self._out_of_time(budget, method, path, attempt + 1, failure)
            logger.info(
                "%s: %s %s failed (%s); retrying in %.2f s",
                self.instance,
                method,
                path,
                failure.status or "no answer",
                wait,
            )
            time.sleep(wait)
            attempt += 1

    def _attempt(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Any,
        flow: httpx.Auth | None,
        accept_statuses: Collection[int],
        deadline: Deadline,
        budget: TimeBudget | None,
        tries: tuple[int, int | None],
    ) -> httpx.Response | tuple[AirflowApiError, float | None]:
        """One try: the response when it is an answer to keep, else the failure to retry
        and the server's ``Retry-After``; raises when retrying cannot help, or when the
        deadline or the budget ran out before the whole answer came. ``tries`` is the
        number of earlier attempts and the last status they got, if any."""
        started = time.monotonic()
        remaining = deadline.remaining
        if budget is not None:
            remaining = min(remaining, budget.deadline.remaining)
        try:
            with request_deadline(remaining):
                response = self._client.request(
                    method,
                    path,
                    params=params,
                    json=json,
                    auth=flow if flow is not None else httpx.USE_CLIENT_DEFAULT,
                    timeout=self._attempt_timeout(remaining),
                )
        except httpx.TransportError as exc:
            logger.debug("%s: %s %s failed: %s", self.instance, method, path, type(exc).__name__)
            failure = diagnostics.transport_error(
                self.instance, method, f"{self.base_url}{path}", exc, timeouts=self._timeouts
            )
            if isinstance(exc, httpx.TimeoutException) and time.monotonic() - started >= remaining:
                raise self._too_slow(budget, deadline, method, path, tries, failure) from None
            return failure, None
        status = response.status_code
        logger.debug(
            "%s: %s %s -> %d (%.3f s)",
            self.instance,
            response.request.method,
            response.request.url.path,
            status,
            time.monotonic() - started,
        )
        if 200 <= status < 300 or status in accept_statuses:
            return response
        failure = diagnostics.status_error(self.instance, response, auth_type=self.auth_type)
        if not is_retryable_status(status):
            raise failure
        return failure, parse_retry_after(response.headers.get("retry-after"))

    def _wait_before_retry(
        self,
        failure: AirflowApiError,
        retry_after: float | None,
        attempt: int,
        deadline: Deadline,
    ) -> float:
        """The give-up policy: how long to wait before the next try, or raise ``failure``
        when the retries or the deadline are used up."""
        if attempt >= self.policy.retries:
            raise _gave_up(failure, f"gave up after {attempt + 1} attempts")
        wait = retry_after if retry_after is not None else self.policy.backoff(attempt)
        if not deadline.allows(wait):
            raise _gave_up(
                failure,
                f"gave up after {attempt + 1} attempts: the deadline of "
                f"{self.policy.deadline_seconds} s (http.deadline_seconds) leaves no time "
                f"for another after waiting {wait:.1f} s",
            )
        return wait

    def _too_slow(
        self,
        budget: TimeBudget | None,
        deadline: Deadline,
        method: str,
        path: str,
        tries: tuple[int, int | None],
        failure: AirflowApiError,
    ) -> AirflowApiError:
        """The error for an attempt cut off by the budget or the deadline mid-answer."""
        attempts, status = tries[0] + 1, tries[1]
        if budget is not None and budget.deadline.remaining <= deadline.remaining:
            return self._out_of_time(budget, method, path, attempts, failure)
        before = f", the one before answered HTTP {status}" if status else ""
        return AirflowApiError(
            f"Airflow instance {self.instance!r} ({redact_url(self.base_url)}) is too slow: "
            f"{method} {path} did not complete within the deadline of "
            f"{self.policy.deadline_seconds:g} s (http.deadline_seconds), retries included "
            f"({attempts} attempt(s){before}); check Airflow's health and any proxy in "
            "between, or raise http.deadline_seconds",
            instance=self.instance,
            method=method,
            path=path,
            status=status,
        )

    def _out_of_time(
        self,
        budget: TimeBudget,
        method: str,
        path: str,
        attempts: int,
        failure: AirflowApiError | None,
    ) -> OutOfTime:
        last = ""
        if failure is not None:
            answer = f"HTTP {failure.status}" if failure.status else "no answer in time"
            last = f" ({attempts} attempt(s), the last: {answer})"
        return OutOfTime(
            f"Airflow instance {self.instance!r} ({redact_url(self.base_url)}) is too slow: "
            f"{budget.label} ran out waiting for {method} {path}{last}",
            instance=self.instance,
            method=method,
            path=path,
            status=failure.status if failure is not None else None,
        )

    def get_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Like :meth:`request`, returning the decoded JSON body."""
        response = self.request(method, path, **kwargs)
        return self.decode(response)

    def decode(self, response: httpx.Response) -> Any:
        """The JSON body of ``response``, or an error saying it is not an Airflow API."""
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise diagnostics.json_error(self.instance, response) from None


def _gave_up(failure: AirflowApiError, why: str) -> AirflowApiError:
    return AirflowApiError(
        f"{failure} ({why})",
        instance=failure.instance,
        method=failure.method,
        path=failure.path,
        status=failure.status,
    )
