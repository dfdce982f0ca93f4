"""The Airflow REST client used by the Dagster component, the sensor and the CLI.

One :class:`AirflowClient` talks to one Airflow instance over its stable REST
API (``/api/v1`` on Airflow 2, ``/api/v2`` on Airflow 3), detected once unless
the instance pins ``api``. It authenticates as ``instance.auth`` says (see
:mod:`.auth`), retries transient failures within ``instance.http`` limits (see
:mod:`.retry`) and raises :class:`~airlift_component.errors.AirflowApiError`
(or :class:`~airlift_component.errors.AirflowAuthError`) with a message naming
instance, method, path and status, and what to check. It never imports Airflow.

Example::

    with AirflowClient.for_url("http://127.0.0.1:8080", username="admin", password=pw) as client:
        for dag in client.list_dags():
            print(dag.dag_id, [t.task_id for t in client.list_tasks(dag.dag_id)])
"""

from __future__ import annotations

import fnmatch
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx

from airlift_component.airflow_api import diagnostics, parse
from airlift_component.airflow_api.auth import build_auth
from airlift_component.airflow_api.endpoints import (
    PAGE_SIZE,
    ApiVersion,
    Endpoints,
    glob_to_like,
)
from airlift_component.airflow_api.pagination import collect_pages
from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.airflow_api.transport import RestSession
from airlift_component.airflow_api.types import AirflowDag, AirflowTask, DagRun, TaskInstance
from airlift_component.config.airlift_file import Instance
from airlift_component.errors import AirflowApiError

T = TypeVar("T")

FINISHED_STATES = ("success", "failed")


class AirflowClient:
    """A client for one Airflow instance of ``airlift.yaml``.

    ``transport`` replaces the network (an ``httpx.MockTransport`` in tests);
    ``retry_policy`` overrides the backoff (``retries`` and ``deadline_seconds``
    otherwise come from ``instance.http``). Use it as a context manager, or call
    :meth:`close`. Safe to share between threads.
    """

    def __init__(
        self,
        instance: Instance,
        *,
        transport: httpx.BaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.instance = instance
        self.name = instance.name
        self.base_url = instance.url.rstrip("/")
        policy = retry_policy or RetryPolicy(
            retries=instance.http.retries, deadline_seconds=float(instance.http.deadline_seconds)
        )
        self._session = RestSession(
            instance=self.name,
            base_url=self.base_url,
            http=instance.http,
            policy=policy,
            auth_type=instance.auth.type,
            transport=transport,
        )
        self._lock = threading.Lock()
        self._api: ApiVersion | None = None if instance.api == "auto" else instance.api
        self._airflow_version: str | None = None
        self._shared_auth: tuple[httpx.Auth | None] | None = None
        if self._api is not None:
            try:
                self._use_version(self._api)
            except BaseException:
                self._session.close()
                raise

    @classmethod
    def for_url(
        cls,
        url: str,
        *,
        name: str = "airflow",
        api: str = "auto",
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> AirflowClient:
        """A client for a bare URL: basic auth with ``username``/``password``, a bearer
        ``token``, or no auth when neither is given."""
        auth: dict[str, Any]
        if token is not None:
            auth = {"type": "token", "token": token}
        elif username is not None:
            auth = {"type": "basic", "username": username, "password": password or ""}
        else:
            auth = {"type": "none"}
        instance = Instance.model_validate(
            {"name": name, "url": url.rstrip("/"), "api": api, "auth": auth}, strict=False
        )
        return cls(instance, transport=transport, retry_policy=retry_policy)

    def __repr__(self) -> str:
        return f"AirflowClient(name={self.name!r}, base_url={diagnostics.redact_url(self.base_url)!r}, api={self._api or self.instance.api!r})"

    # --- lifecycle and version ---------------------------------------------------

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, token and login requests included."""
        return self._session.request_count

    def close(self) -> None:
        """Close the connections."""
        self._session.close()

    def __enter__(self) -> AirflowClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _auth_for(self, version: ApiVersion | None) -> httpx.Auth | None:
        # Only basic auth depends on the version; every other flow is built once and
        # shared, so a login or token survives the version probe.
        if self.instance.auth.type != "basic" and self._shared_auth is not None:
            return self._shared_auth[0]
        auth = build_auth(
            self.instance.auth, api_version=version, base_url=self.base_url, instance=self.name
        )
        if self.instance.auth.type != "basic":
            self._shared_auth = (auth,)
        return auth

    def _use_version(self, version: ApiVersion) -> None:
        self._api = version
        self._endpoints = Endpoints(version)
        self._session.auth = self._auth_for(version)

    def _probe(self, version: ApiVersion, auth: httpx.Auth | bool | None) -> str | None:
        response = self._session.request(
            "GET", Endpoints(version).version_path(), auth=auth, accept_statuses=(404,)
        )
        if response.status_code == 404:
            return None
        try:
            body = response.json()
        except ValueError:
            return None  # e.g. an HTML page of a UI catch-all route
        found = body.get("version") if isinstance(body, dict) else None
        return found if isinstance(found, str) else None

    def api_version(self) -> Literal["v1", "v2"]:
        """``"v2"`` (Airflow 3) or ``"v1"`` (Airflow 2): pinned, or detected once by
        probing ``/api/v2/version`` and then ``/api/v1/version``."""
        with self._lock:
            if self._api is not None:
                return self._api
            # The version endpoints need no auth, but MWAA and other proxies in front
            # of Airflow want their credentials everywhere; basic auth waits for v1.
            candidates: tuple[ApiVersion, ...] = ("v2", "v1")
            for version in candidates:
                auth = self._auth_for("v1" if version == "v1" else None)
                found = self._probe(version, auth)
                if found is not None:
                    self._airflow_version = found
                    self._use_version(version)
                    return version
        raise AirflowApiError(
            f"Airflow instance {self.name!r}: neither /api/v2/version nor /api/v1/version "
            f"answered at {diagnostics.redact_url(self.base_url)}; check the instance url (the "
            "Airflow web server / API server, without /api/...) and that the REST API is enabled",
            instance=self.name,
            method="GET",
            path="/api/v1/version",
            status=404,
        )

    @property
    def endpoints(self) -> Endpoints:
        """The paths of the detected (or pinned) API version."""
        self.api_version()
        return self._endpoints

    def airflow_version(self) -> str:
        """The Airflow version the server reports, e.g. ``"3.1.0"``."""
        if self._airflow_version is None:
            endpoints = self.endpoints
            if self._airflow_version is None:
                body = self._call("GET", endpoints.version_path())
                version = body.get("version") if isinstance(body, dict) else None
                if not isinstance(version, str):
                    raise diagnostics.shape_error(
                        self.name, "GET", endpoints.version_path(), "no 'version'"
                    )
                self._airflow_version = version
        return self._airflow_version

    # --- plumbing ----------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._session.get_json(method, path, **kwargs)

    def _records(
        self, method: str, path: str, body: Any, field: str, parser: Callable[[Any], T]
    ) -> tuple[list[T], int | None]:
        if not isinstance(body, dict) or not isinstance(body.get(field), list):
            raise diagnostics.shape_error(self.name, method, path, f"no '{field}' list")
        try:
            records = [parser(record) for record in body[field]]
        except (ValueError, TypeError) as exc:
            raise diagnostics.shape_error(self.name, method, path, str(exc)) from None
        total = body.get("total_entries")
        return records, total if isinstance(total, int) else None

    def _one(self, method: str, path: str, body: Any, parser: Callable[[Any], T]) -> T:
        try:
            return parser(body)
        except (ValueError, TypeError) as exc:
            raise diagnostics.shape_error(self.name, method, path, str(exc)) from None

    # --- DAGs and tasks ----------------------------------------------------------

    def _dag_wanted(self, dag: AirflowDag) -> bool:
        rules = self.instance.dags
        if not any(fnmatch.fnmatchcase(dag.dag_id, glob) for glob in rules.include):
            return False
        if any(fnmatch.fnmatchcase(dag.dag_id, glob) for glob in rules.exclude):
            return False
        return not rules.tags or bool(set(rules.tags) & set(dag.tags))

    def list_dags(self, *, apply_filter: bool = True) -> list[AirflowDag]:
        """Every DAG of the instance (paged), sorted by id; with ``apply_filter`` only
        those that the instance's ``dags`` include/exclude globs and tags select."""
        endpoints = self.endpoints
        rules = self.instance.dags
        pattern = None
        tags: Sequence[str] = ()
        if apply_filter:
            if len(rules.include) == 1:
                pattern = glob_to_like(rules.include[0])
            tags = rules.tags
        path = endpoints.dags_path()

        def fetch(offset: int, limit: int) -> tuple[list[AirflowDag], int | None]:
            params = endpoints.dags_params(offset=offset, limit=limit, pattern=pattern, tags=tags)
            body = self._call("GET", path, params=params)
            return self._records("GET", path, body, "dags", parse.parse_dag)

        dags = collect_pages(fetch, page_size=PAGE_SIZE, key=lambda dag: dag.dag_id)
        if apply_filter:
            dags = [dag for dag in dags if self._dag_wanted(dag)]
        return sorted(dags, key=lambda dag: dag.dag_id)

    def get_dag(self, dag_id: str) -> AirflowDag:
        """One DAG by id (404 → :class:`AirflowApiError` with ``status == 404``)."""
        path = self.endpoints.dag_path(dag_id)
        return self._one("GET", path, self._call("GET", path), parse.parse_dag)

    def list_tasks(self, dag_id: str) -> list[AirflowTask]:
        """The tasks of a DAG with their downstream task ids, in the server's order."""
        path = self.endpoints.tasks_path(dag_id)
        tasks, _ = self._records("GET", path, self._call("GET", path), "tasks", parse.parse_task)
        return tasks

    def set_paused(self, dag_id: str, paused: bool) -> None:
        """Pause or unpause a DAG."""
        endpoints = self.endpoints
        self._call(
            "PATCH",
            endpoints.dag_path(dag_id),
            params=endpoints.pause_params(),
            json={"is_paused": paused},
        )

    # --- runs and task instances -------------------------------------------------

    def list_finished_dag_runs(
        self,
        *,
        end_date_gte: datetime,
        end_date_lte: datetime | None = None,
        dag_ids: Sequence[str] | None = None,
    ) -> list[DagRun]:
        """Runs that ended (``success`` or ``failed``) in the window, across DAGs, in one
        batch query (paged), sorted by ``(end_date, dag_id, run_id)``.

        ``dag_ids=None`` means every DAG; an empty list means none (no request).
        """
        if dag_ids is not None and not dag_ids:
            return []
        endpoints = self.endpoints
        path = endpoints.runs_batch_path()

        def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
            body = endpoints.runs_batch_body(
                offset=offset,
                limit=limit,
                states=FINISHED_STATES,
                end_date_gte=end_date_gte,
                end_date_lte=end_date_lte,
                dag_ids=dag_ids,
            )
            answer = self._call("POST", path, json=body)
            return self._records("POST", path, answer, "dag_runs", parse.parse_dag_run)

        runs = collect_pages(fetch, page_size=PAGE_SIZE, key=lambda run: (run.dag_id, run.run_id))
        finished = [run for run in runs if run.finished and run.end_date is not None]
        epoch = datetime.min.replace(tzinfo=timezone.utc)
        return sorted(finished, key=lambda r: (r.end_date or epoch, r.dag_id, r.run_id))

    def list_task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]:
        """The task instances of ``runs``, fetched in batches across runs and DAGs."""
        endpoints = self.endpoints
        path = endpoints.task_instances_batch_path()
        wanted = {(run.dag_id, run.run_id) for run in runs}
        result: dict[tuple[str, str, str, int], TaskInstance] = {}
        for chunk in _chunks(sorted(wanted), endpoints.runs_per_ti_batch):
            dag_ids = sorted({dag_id for dag_id, _ in chunk})
            run_ids = sorted({run_id for _, run_id in chunk})

            def fetch(
                offset: int, limit: int, dag_ids: list[str] = dag_ids, run_ids: list[str] = run_ids
            ) -> tuple[list[TaskInstance], int | None]:
                body = endpoints.task_instances_batch_body(
                    dag_ids=dag_ids, run_ids=run_ids, offset=offset, limit=limit
                )
                answer = self._call("POST", path, json=body)
                records, total = self._records(
                    "POST", path, answer, "task_instances", parse.parse_task_instance
                )
                return records, (total if endpoints.task_instances_paged else len(records))

            page_size = PAGE_SIZE if endpoints.task_instances_paged else 1_000_000
            for ti in collect_pages(fetch, page_size=page_size, key=_ti_key):
                if (ti.dag_id, ti.run_id) in wanted:
                    result.setdefault(_ti_key(ti), ti)
        return sorted(result.values(), key=_ti_key)

    def trigger_dag_run(
        self, dag_id: str, *, conf: dict[str, Any] | None = None, run_id: str | None = None
    ) -> DagRun:
        """Start a run of ``dag_id`` now.

        A ``run_id`` is generated when none is given, so a retried request cannot start
        a second run: a 409 after a retry returns the run the first attempt created.
        """
        endpoints = self.endpoints
        generated = run_id is None
        if run_id is None:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            run_id = f"manual__airlift__{stamp}__{uuid.uuid4().hex[:8]}"
        path = endpoints.runs_path(dag_id)
        response = self._session.request(
            "POST",
            path,
            json=endpoints.trigger_body(run_id=run_id, conf=conf),
            accept_statuses=(409,),
        )
        if response.status_code == 409:
            if generated:  # only an earlier attempt of this very call can have made it
                return self.get_dag_run(dag_id, run_id)
            raise AirflowApiError(
                f"Airflow instance {self.name!r}: POST {path} answered 409: a run "
                f"{run_id!r} of DAG {dag_id!r} exists already; choose another run id",
                instance=self.name,
                method="POST",
                path=path,
                status=409,
            )
        return self._one("POST", path, self._session.decode(response), parse.parse_dag_run)

    def get_dag_run(self, dag_id: str, run_id: str) -> DagRun:
        """One run's current state."""
        path = self.endpoints.run_path(dag_id, run_id)
        return self._one("GET", path, self._call("GET", path), parse.parse_dag_run)

    # --- links -------------------------------------------------------------------

    def _ui_endpoints(self) -> Endpoints:
        try:
            return self.endpoints
        except AirflowApiError:
            return Endpoints("v2")

    def dag_ui_url(self, dag_id: str) -> str:
        """The DAG's page in the Airflow UI."""
        return self._ui_endpoints().dag_ui_url(diagnostics.redact_url(self.base_url), dag_id)

    def run_ui_url(self, dag_id: str, run_id: str) -> str:
        """A DAG run's page in the Airflow UI."""
        return self._ui_endpoints().run_ui_url(
            diagnostics.redact_url(self.base_url), dag_id, run_id
        )


def _ti_key(ti: TaskInstance) -> tuple[str, str, str, int]:
    return (ti.dag_id, ti.run_id, ti.task_id, ti.map_index)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
