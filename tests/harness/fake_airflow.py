"""An in-process fake of Airflow's REST API, for fast tests and benchmarks.

``FakeAirflow`` serves the subset of ``/api/v1`` (Airflow 2) or ``/api/v2``
(Airflow 3) that airlift uses, on a free loopback port, from a background
thread. DAGs, tasks, runs and task instances are programmable; faults can be
injected one request at a time::

    from tests.harness.fake_airflow import FakeAirflow

    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_dag("customers", tasks={"load": ["transform"], "transform": []}, tags=["team"])
        fake.add_finished_run("customers", state="success", end_date=some_datetime)
        fake.fail_next(2, status=500)              # the next two API calls fail
        client = fake.client()                      # or AirflowClient.for_url(fake.url, ...)
        ...
        assert [r.path for r in fake.request_log] == [...]

Authentication (none when no credentials are given):

* ``api="v1"`` + ``username``/``password``: HTTP basic auth.
* ``api="v2"`` + ``username``/``password``: ``POST /auth/token`` (JSON body)
  answers 201 ``{"access_token": <JWT>}``; the JWT carries ``iat``/``exp``
  (fractional seconds) and lives ``token_lifetime`` seconds.
* ``token``: a static bearer token is accepted.
* ``mwaa_web_token``: ``POST /aws_mwaa/login`` with form ``token=<it>`` answers
  302 with a ``session`` cookie valid for ``session_lifetime`` seconds.

The version endpoints need no auth. Faults (``fail_next``, ``delay_next``,
``drop_next``, ``malformed_next``, ``empty_next``) apply to the next requests
whose path contains ``path``; without ``path``, to any request but ``/version``
and the login endpoints; ``on_request`` runs before each request is answered
(e.g. to add a DAG between two pages).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airlift_component.airflow_api.retry import RetryPolicy
from devtools.loopback_http import LoopbackHTTPServer
from tests.harness.fake_airflow_http import FakeAirflowHandler

if TYPE_CHECKING:
    from airlift_component.airflow_api.client import AirflowClient

#: Retries for tests: the production count and deadline, with millisecond waits.
FAST_RETRIES = RetryPolicy(retries=3, deadline_seconds=10, backoff_base=0.001, backoff_max=0.01)


@dataclass
class LoggedRequest:
    """One request the fake answered (or dropped)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int | None = None


@dataclass
class Fault:
    kind: str  # "status" | "delay" | "drop" | "malformed" | "empty"
    remaining: int
    path: str | None = None
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0


@dataclass
class FakeDag:
    dag_id: str
    tasks: dict[str, list[str]]
    tags: list[str]
    is_paused: bool = False
    description: str | None = None
    owners: list[str] = field(default_factory=lambda: ["airflow"])
    fileloc: str = ""
    schedule: str | None = None


@dataclass
class FakeRun:
    dag_id: str
    run_id: str
    state: str
    logical_date: datetime | None
    start_date: datetime | None
    end_date: datetime | None
    run_type: str = "scheduled"
    conf: dict[str, Any] = field(default_factory=dict)
    task_states: dict[str, str | None] = field(default_factory=dict)
    try_numbers: dict[str, int] = field(default_factory=dict)
    #: When the run last changed (Airflow filters and orders by it but never sends it).
    updated_at: datetime | None = None
    #: The operator recorded per task instance (default ``PythonOperator``).
    operators: dict[str, str] = field(default_factory=dict)
    #: Per task instance: (start_date, end_date) of its current try, when set.
    task_dates: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)


@dataclass
class FakeAsset:
    """An Airflow 3 asset / Airflow 2 dataset."""

    asset_id: int
    uri: str
    name: str
    producing_tasks: list[tuple[str, str]] = field(default_factory=list)
    scheduled_dags: list[str] = field(default_factory=list)


@dataclass
class FakeAssetEvent:
    """One asset event; ``timestamp`` is what Airflow stamps on it."""

    event_id: int
    uri: str
    timestamp: datetime
    source_dag_id: str | None = None
    source_task_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int = -1
    extra: dict[str, Any] = field(default_factory=dict)


class FakeAirflow:
    """A fake Airflow REST API server; see the module docstring."""

    #: Answers the requests; a subclass may serve some routes differently.
    handler_class: type[FakeAirflowHandler] = FakeAirflowHandler

    def __init__(
        self,
        api: str = "v2",
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        mwaa_web_token: str | None = None,
        token_lifetime: float = 3600.0,
        session_lifetime: float = 3600.0,
        max_page_limit: int = 100,
        airflow_version: str | None = None,
        legacy_execution_date: bool = False,
        trigger_outcome: str | None = None,
    ) -> None:
        if api not in ("v1", "v2"):
            raise ValueError("api must be 'v1' or 'v2'")
        self.api = api
        self.username = username
        self.password = password
        self.token = token
        self.mwaa_web_token = mwaa_web_token
        #: Lifetime of JWTs issued from now on (seconds, may be fractional).
        self.token_lifetime = token_lifetime
        #: Lifetime of MWAA session cookies issued from now on.
        self.session_lifetime = session_lifetime
        #: The largest page the server returns, like Airflow's ``[api] maximum_page_limit``.
        self.max_page_limit = max_page_limit
        self.airflow_version = airflow_version or ("3.1.0" if api == "v2" else "2.10.5")
        #: v1 only: send ``execution_date`` and no ``logical_date`` (Airflow < 2.2 payloads).
        self.legacy_execution_date = legacy_execution_date
        #: When set, a triggered run finishes at once in this state.
        self.trigger_outcome = trigger_outcome
        self.dags: dict[str, FakeDag] = {}
        self.runs: dict[tuple[str, str], FakeRun] = {}
        self.assets: dict[str, FakeAsset] = {}
        #: Asset events as committed (visible), in commit order.
        self.asset_events: list[FakeAssetEvent] = []
        self._event_ids = itertools.count(1)
        self.request_log: list[LoggedRequest] = []
        self.on_request: Callable[[LoggedRequest], None] | None = None
        self.tokens_issued = 0
        self.logins = 0
        self.lock = threading.RLock()
        self._faults: list[Fault] = []
        self._secret = secrets.token_bytes(32)
        self._sessions: dict[str, float] = {}
        self._not_before = 0.0
        self._counter = itertools.count(1)
        self._server: LoopbackHTTPServer | None = None

    # --- lifecycle ---------------------------------------------------------------

    def start(self) -> FakeAirflow:
        """Start serving on a free 127.0.0.1 port (``.url`` is then set)."""
        self._server = LoopbackHTTPServer(self.handler_class, owner=self).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeAirflow:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "call start() first"
        return self._server.port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        assert self._server is not None, "call start() first"
        return self._server.url

    # --- programming the data ----------------------------------------------------

    def add_dag(
        self,
        dag_id: str,
        tasks: Mapping[str, Sequence[str]] | None = None,
        *,
        tags: Iterable[str] = (),
        is_paused: bool = False,
        description: str | None = None,
        owners: Iterable[str] = ("airflow",),
        schedule: str | None = "@daily",
    ) -> FakeDag:
        """Add (or replace) a DAG; ``tasks`` maps each task id to its downstream ids."""
        dag = FakeDag(
            dag_id,
            {task: list(down) for task, down in (tasks or {}).items()},
            list(tags),
            is_paused,
            description,
            list(owners),
            f"/dags/{dag_id}.py",
            schedule,
        )
        with self.lock:
            self.dags[dag_id] = dag
        return dag

    def add_asset(
        self,
        uri: str,
        *,
        name: str | None = None,
        producing_tasks: Iterable[tuple[str, str]] = (),
        scheduled_dags: Iterable[str] = (),
    ) -> FakeAsset:
        """Add (or replace) an asset (a dataset on v1, where ``name`` is not sent)."""
        with self.lock:
            old = self.assets.get(uri)
            asset = FakeAsset(
                old.asset_id if old else len(self.assets) + 1,
                uri,
                name or uri,
                list(producing_tasks),
                list(scheduled_dags),
            )
            self.assets[uri] = asset
        return asset

    def new_asset_event_id(self) -> int:
        """Reserve the next event id (Airflow assigns it at insert, before the commit)."""
        return next(self._event_ids)

    def add_asset_event(
        self,
        uri: str,
        *,
        timestamp: datetime | None = None,
        source: tuple[str, str, str] | None = None,
        map_index: int = -1,
        extra: Mapping[str, Any] | None = None,
        event_id: int | None = None,
    ) -> FakeAssetEvent:
        """Commit an event of ``uri`` (visible from now on); ``source`` is (dag, task, run)."""
        dag_id, task_id, run_id = source or (None, None, None)
        event = FakeAssetEvent(
            event_id if event_id is not None else self.new_asset_event_id(),
            uri,
            timestamp or datetime.now(timezone.utc),
            dag_id,
            task_id,
            run_id,
            map_index,
            dict(extra or {}),
        )
        with self.lock:
            self.asset_events.append(event)
        return event

    def remove_dag(self, dag_id: str) -> None:
        with self.lock:
            self.dags.pop(dag_id, None)

    def add_run(
        self,
        dag_id: str,
        run_id: str | None = None,
        *,
        state: str = "running",
        logical_date: datetime | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        task_states: Mapping[str, str | None] | None = None,
        run_type: str = "scheduled",
        conf: Mapping[str, Any] | None = None,
    ) -> FakeRun:
        """Add a run in any state; task states default to the run's state."""
        now = datetime.now(timezone.utc)
        logical_date = logical_date or now - timedelta(minutes=next(self._counter))
        run_id = run_id or f"{run_type}__{logical_date.isoformat()}"
        with self.lock:
            dag = self.dags.get(dag_id)
            tasks = list(dag.tasks) if dag else []
            states: dict[str, str | None] = {task: state for task in tasks}
            states.update(task_states or {})
            run = FakeRun(
                dag_id,
                run_id,
                state,
                logical_date,
                start_date or logical_date,
                end_date,
                run_type,
                dict(conf or {}),
                states,
                {task: 1 for task in states},
                updated_at=end_date or now,
            )
            self.runs[(dag_id, run_id)] = run
        return run

    def add_finished_run(
        self,
        dag_id: str,
        run_id: str | None = None,
        *,
        state: str = "success",
        end_date: datetime | None = None,
        task_states: Mapping[str, str | None] | None = None,
        logical_date: datetime | None = None,
    ) -> FakeRun:
        """Add a run that ended (``success`` / ``failed``) at ``end_date`` (default now)."""
        end = end_date or datetime.now(timezone.utc)
        return self.add_run(
            dag_id,
            run_id,
            state=state,
            logical_date=logical_date or end - timedelta(minutes=5),
            start_date=end - timedelta(minutes=1),
            end_date=end,
            task_states=task_states,
        )

    def finish_run(
        self,
        dag_id: str,
        run_id: str,
        state: str = "success",
        *,
        task_states: Mapping[str, str | None] | None = None,
    ) -> FakeRun:
        """Finish a queued or running run now."""
        with self.lock:
            run = self.runs[(dag_id, run_id)]
            run.state = state
            run.end_date = datetime.now(timezone.utc)
            run.start_date = run.start_date or run.end_date
            run.task_states = {task: state for task in run.task_states}
            run.task_states.update(task_states or {})
            run.updated_at = run.end_date
        return run

    def clear_task(
        self, dag_id: str, run_id: str, task_id: str, *, state: str = "success"
    ) -> FakeRun:
        """Clear one task of a finished run and let it run again at once: a new try,
        a new run start and end (what Airflow 2 and 3 do when the run is reset)."""
        with self.lock:
            run = self.runs[(dag_id, run_id)]
            now = datetime.now(timezone.utc)
            run.start_date = now
            run.try_numbers[task_id] = run.try_numbers.get(task_id, 1) + 1
            run.task_states[task_id] = state
            run.task_dates[task_id] = (now, now)
            run.state = (
                "success" if all(s == "success" for s in run.task_states.values()) else "failed"
            )
            run.end_date = now
            run.updated_at = now
        return run

    # --- faults and auth ---------------------------------------------------------

    def _add_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        *,
        retry_after: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` (and ``Retry-After``)."""
        self._add_fault(Fault("status", n, path, status=status, retry_after=retry_after))

    def delay_next(self, n: int = 1, seconds: float = 1.0, *, path: str | None = None) -> None:
        """Wait ``seconds`` before answering the next ``n`` matching requests."""
        self._add_fault(Fault("delay", n, path, seconds=seconds))

    def drop_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Send half an answer to the next ``n`` matching requests, then close the socket."""
        self._add_fault(Fault("drop", n, path))

    def malformed_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Answer the next ``n`` matching requests with 200 and a body that is not JSON."""
        self._add_fault(Fault("malformed", n, path))

    def empty_next(self, n: int = 1, *, path: str | None = None) -> None:
        """Answer the next ``n`` matching list requests with an empty page (true total)."""
        self._add_fault(Fault("empty", n, path))

    def take_fault(self, path: str, *, explicit_only: bool = False) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                matches = fault.path in path if fault.path is not None else not explicit_only
                if fault.remaining > 0 and matches:
                    fault.remaining -= 1
                    return fault
        return None

    def expire_credentials(self) -> None:
        """Make every JWT and session issued so far invalid (the next call gets 401)."""
        with self.lock:
            self._not_before = time.time()
            self._sessions.clear()

    def issue_jwt(self, subject: str) -> str:
        now = time.time()
        payload = {"sub": subject, "iat": now, "nbf": now, "exp": now + self.token_lifetime}
        header = {"alg": "HS256", "typ": "JWT"}

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        with self.lock:
            self.tokens_issued += 1
        return f"{signing_input}.{b64(signature)}"

    def jwt_valid(self, token: str) -> bool:
        try:
            signing_input, signature = token.rsplit(".", 1)
            expected = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
            given = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
            payload_part = signing_input.split(".")[1]
            payload = json.loads(
                base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4))
            )
        except (ValueError, IndexError):
            return False
        now = time.time()
        return (
            hmac.compare_digest(expected, given)
            and payload["exp"] > now
            and payload["iat"] >= self._not_before
        )

    def new_session(self) -> str:
        session = secrets.token_hex(16)
        with self.lock:
            self._sessions[session] = time.time() + self.session_lifetime
            self.logins += 1
        return session

    def session_valid(self, session: str) -> bool:
        with self.lock:
            return self._sessions.get(session, 0.0) > time.time()

    def instance_config(
        self,
        name: str = "fake",
        *,
        auth: Mapping[str, Any] | None = None,
        api: str = "auto",
        **extra: Any,
    ) -> dict[str, Any]:
        """An ``instances:`` entry of airlift.yaml for this server (as a dict).

        ``auth`` defaults to the fake's own credentials (basic, else token, else none);
        ``extra`` adds keys such as ``http``, ``dags`` or ``mappings``.
        """
        if auth is None:
            if self.username is not None:
                auth = {"type": "basic", "username": self.username, "password": self.password or ""}
            elif self.token is not None:
                auth = {"type": "token", "token": self.token}
            else:
                auth = {"type": "none"}
        return {"name": name, "url": self.url, "api": api, "auth": dict(auth), **extra}

    def client(self, *, api: str = "auto", **config: Any) -> AirflowClient:
        """An :class:`AirflowClient` for this server with tiny retry backoffs
        (``config`` as for :meth:`instance_config`)."""
        from airlift_component.airflow_api.client import AirflowClient
        from airlift_component.config.airlift_yaml.model import Instance

        instance = Instance.model_validate(self.instance_config(api=api, **config), strict=False)
        return AirflowClient(instance, retry_policy=FAST_RETRIES)

    @property
    def auth_required(self) -> bool:
        return any((self.username, self.token, self.mwaa_web_token))

    def api_requests(self, path_regex: str = "") -> list[LoggedRequest]:
        """Logged requests to the API (not version or login) whose path matches."""
        pattern = re.compile(path_regex)
        return [
            r
            for r in self.request_log
            if r.path.startswith("/api/")
            and not r.path.endswith("/version")
            and pattern.search(r.path)
        ]
