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

import copy
import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx

from airlift_component.airflow_api import dag_filter, parse
from airlift_component.airflow_api.asset_events import AssetEventStream
from airlift_component.airflow_api.changed_runs import RunStream
from airlift_component.airflow_api.diagnostics import shape_error
from airlift_component.airflow_api.endpoints import PAGE_SIZE, Endpoints, segment
from airlift_component.airflow_api.reader import JsonReader
from airlift_component.airflow_api.retry import RetryPolicy
from airlift_component.airflow_api.transport import RestSession, TimeBudget
from airlift_component.airflow_api.types import (
    AirflowAsset,
    AirflowAssetEvent,
    AirflowDag,
    AirflowTask,
    DagRun,
    TaskInstance,
)
from airlift_component.airflow_api.versions import VersionResolver
from airlift_component.config.airlift_yaml.model import Instance
from airlift_component.errors import AirflowApiError
from airlift_component.redact import redact_url

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
        self._reader = JsonReader(self._session, self._explain_not_found)
        #: Whether the API version the client was not pinned to answers here (asked
        #: once, after a 404).
        self._other_api_here: bool | None = None
        try:
            self._versions = VersionResolver(instance, self._session)
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
        return f"AirflowClient(name={self.name!r}, base_url={redact_url(self.base_url)!r}, api={self._versions.version or self.instance.api!r})"

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

    def bounded(self, budget: TimeBudget) -> AirflowClient:
        """A view of this client whose requests share ``budget`` (a sensor tick's),
        retries included, besides each request's ``http.deadline_seconds``: once it is
        spent they raise :class:`~airlift_component.airflow_api.transport.OutOfTime`.
        The view shares the connections, the credentials and the detected version; a
        view of a view keeps the budget that ends first. (Detecting the API version,
        once per client, is bounded by the deadline only.)"""
        view = copy.copy(self)
        view._reader = JsonReader(
            self._session, view._explain_not_found, budget.within(self._reader.budget)
        )
        return view

    @property
    def budget(self) -> TimeBudget | None:
        """The time budget this client's requests share (see :meth:`bounded`)."""
        return self._reader.budget

    def api_version(self) -> Literal["v1", "v2"]:
        """``"v2"`` (Airflow 3) or ``"v1"`` (Airflow 2): pinned, or detected once by
        probing ``/api/v2/version`` and then ``/api/v1/version``."""
        return self._versions.resolve()

    def _explain_not_found(self, error: AirflowApiError) -> AirflowApiError:
        """``error`` (a 404), or, when the client is pinned to one API version (the one
        the stored state was fetched from) and this Airflow serves the other one, an
        error that says so: Airflow was upgraded (or replaced) at the same URL."""
        pinned = self.instance.api
        if pinned not in ("v1", "v2"):
            return error
        other: Literal["v1", "v2"] = "v2" if pinned == "v1" else "v1"
        if self._other_api_here is None:
            try:
                probe = self._session.request(
                    "GET",
                    Endpoints(other).version_path(),
                    auth=None,
                    accept_statuses=(401, 403, 404),
                    budget=self._reader.budget,
                )
                self._other_api_here = probe.status_code != 404
            except AirflowApiError:
                self._other_api_here = False
        if not self._other_api_here:
            return error
        names = {"v1": "/api/v1, Airflow 2", "v2": "/api/v2, Airflow 3"}
        return AirflowApiError(
            f"Airflow instance {self.name!r}: {error.method} {error.path} answered 404: "
            f"the Airflow at this url now serves the other API version ({names[other]}), "
            f"but the stored state was fetched from {names[pinned]} (Airflow upgraded or "
            "moved at the same url); run `airlift refresh` to fetch it again and reload "
            f"the code location (if airlift.yaml pins api: {pinned}, set it to auto)",
            instance=self.name,
            method=error.method,
            path=error.path,
            status=404,
        )

    @property
    def endpoints(self) -> Endpoints:
        """The paths of the detected (or pinned) API version."""
        return Endpoints(self.api_version())

    def airflow_version(self) -> str:
        """The Airflow version the server reports, e.g. ``"3.1.0"``."""
        path = self.endpoints.version_path()  # a probe may learn the version on the way
        if self._versions.airflow_version is None:
            self._versions.airflow_version = self._reader.one("GET", path, _version_of)
        return self._versions.airflow_version

    # --- DAGs and tasks ----------------------------------------------------------

    def list_dags(self, *, apply_filter: bool = True) -> list[AirflowDag]:
        """Every DAG of the instance (paged), sorted by id; with ``apply_filter`` only
        those that the instance's ``dags`` include/exclude globs and tags select."""
        endpoints = self.endpoints
        rules = self.instance.dags
        pattern, tags = dag_filter.server_side(rules) if apply_filter else (None, [])
        dags = self._reader.all_pages(
            "GET",
            endpoints.dags_path(),
            "dags",
            parse.parse_dag,
            request=lambda offset, limit: {
                "params": endpoints.dags_params(
                    offset=offset, limit=limit, pattern=pattern, tags=tags
                )
            },
            key=lambda dag: dag.dag_id,
        )
        if apply_filter:
            dags = [dag for dag in dags if dag_filter.selected(rules, dag)]
        return sorted(dags, key=lambda dag: dag.dag_id)

    def get_dag(self, dag_id: str) -> AirflowDag:
        """One DAG by id (404 → :class:`AirflowApiError` with ``status == 404``)."""
        return self._reader.one("GET", self.endpoints.dag_path(dag_id), parse.parse_dag)

    def list_tasks(self, dag_id: str) -> list[AirflowTask]:
        """The tasks of a DAG with their downstream task ids, in the server's order."""
        path = self.endpoints.tasks_path(dag_id)
        return self._reader.page("GET", path, "tasks", parse.parse_task)[0]

    def dag_details(self, dag_id: str) -> dict[str, Any]:
        """``GET /dags/{dag_id}/details`` as Airflow sends it (v1 and v2 differ; see
        :mod:`airlift_component.decommission.airflow_schedule`): schedule, timezone,
        ``is_paused`` and the next run."""
        return self._reader.one("GET", self.endpoints.dag_details_path(dag_id), _details_of)

    def set_paused(self, dag_id: str, paused: bool) -> None:
        """Pause or unpause a DAG."""
        endpoints = self.endpoints
        self._reader.call(
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
        runs = self._reader.all_pages(
            "POST",
            endpoints.runs_batch_path(),
            "dag_runs",
            parse.parse_dag_run,
            request=lambda offset, limit: {
                "json": endpoints.runs_batch_body(
                    offset=offset,
                    limit=limit,
                    states=FINISHED_STATES,
                    end_date_gte=end_date_gte,
                    end_date_lte=end_date_lte,
                    dag_ids=dag_ids,
                )
            },
            key=lambda run: (run.dag_id, run.run_id),
        )
        finished = [run for run in runs if run.finished and run.end_date is not None]
        epoch = datetime.min.replace(tzinfo=timezone.utc)
        return sorted(finished, key=lambda r: (r.end_date or epoch, r.dag_id, r.run_id))

    def changed_dag_runs(self, *, updated_at_gte: datetime) -> RunStream:
        """Finished runs (``success`` / ``failed``) that Airflow changed (finished, or
        cleared and finished again, or marked) at or after ``updated_at_gte``, across
        DAGs, oldest change first, fetched lazily as the stream is iterated; see
        :mod:`.changed_runs` for how a listing that changes under it is detected."""
        endpoints = self.endpoints
        path = endpoints.changed_runs_path()

        def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
            params = endpoints.changed_runs_params(
                offset=offset, limit=limit, states=FINISHED_STATES, updated_at_gte=updated_at_gte
            )
            return self._reader.page("GET", path, "dag_runs", parse.parse_dag_run, params=params)

        return RunStream(fetch, PAGE_SIZE)

    def list_task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]:
        """The task instances of ``runs``, fetched in batches across runs and DAGs."""
        endpoints = self.endpoints
        wanted = {(run.dag_id, run.run_id) for run in runs}
        result: dict[tuple[str, str, str, int], TaskInstance] = {}
        for chunk in _chunks(sorted(wanted), endpoints.runs_per_ti_batch):
            dag_ids = sorted({dag_id for dag_id, _ in chunk})
            run_ids = sorted({run_id for _, run_id in chunk})
            path = endpoints.task_instances_batch_path()

            def request(
                offset: int, limit: int, d: list[str] = dag_ids, r: list[str] = run_ids
            ) -> dict[str, Any]:
                body = endpoints.task_instances_batch_body(
                    dag_ids=d, run_ids=r, offset=offset, limit=limit
                )
                return {"json": body}

            tis = self._reader.all_pages(
                "POST",
                path,
                "task_instances",
                parse.parse_task_instance,
                request=request,
                key=_ti_key,
            )
            for ti in tis:  # dag_ids x run_ids may match runs that were not asked for
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
            budget=self._reader.budget,
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
        return self._reader.parse_one(
            "POST", path, self._session.decode(response), parse.parse_dag_run
        )

    def get_dag_run(self, dag_id: str, run_id: str) -> DagRun:
        """One run's current state."""
        return self._reader.one("GET", self.endpoints.run_path(dag_id, run_id), parse.parse_dag_run)

    def get_xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value") -> Any:
        """The JSON value of XCom ``key`` that ``task_id`` pushed in the run."""
        run = self.endpoints.run_path(dag_id, run_id)
        path = f"{run}/taskInstances/{segment(task_id)}/xcomEntries/{segment(key)}"
        body = self._reader.call("GET", path, params={"stringify": "false"})
        if not isinstance(body, dict) or "value" not in body:
            raise shape_error(self.instance.name, "GET", path, f"no value for XCom {key!r}")
        return body["value"]

    # --- Airflow assets (datasets) ---------------------------------------------

    def list_airflow_assets(self) -> list[AirflowAsset]:
        """Every Airflow 3 Asset (``/api/v2/assets``, active ones) or Airflow 2 Dataset
        (``/api/v1/datasets``), paged, with the tasks producing it and the DAGs
        scheduled on it, sorted by URI."""
        endpoints = self.endpoints
        assets = self._reader.all_pages(
            "GET",
            endpoints.assets_path(),
            endpoints.assets_field,
            parse.parse_asset,
            request=lambda offset, limit: {
                "params": endpoints.assets_params(offset=offset, limit=limit)
            },
            key=lambda asset: (asset.uri, asset.name),
        )
        return sorted(assets, key=lambda asset: (asset.uri, asset.name))

    def asset_events(self, *, since: datetime) -> AssetEventStream:
        """Asset (dataset) events with ``timestamp >= since``, newest first, fetched
        lazily as the stream is iterated; see :mod:`.asset_events`."""
        endpoints = self.endpoints
        path = endpoints.asset_events_path()
        field = endpoints.asset_events_field

        def fetch(offset: int, limit: int) -> tuple[list[AirflowAssetEvent], int | None]:
            params = endpoints.asset_events_params(offset=offset, limit=limit, timestamp_gte=since)
            return self._reader.page("GET", path, field, parse.parse_asset_event, params=params)

        return AssetEventStream(fetch, PAGE_SIZE, since)

    # --- links -------------------------------------------------------------------

    def _ui_endpoints(self) -> Endpoints:
        try:
            return self.endpoints
        except AirflowApiError:
            return Endpoints("v2")

    def dag_ui_url(self, dag_id: str) -> str:
        """The DAG's page in the Airflow UI."""
        return self._ui_endpoints().dag_ui_url(redact_url(self.base_url), dag_id)

    def run_ui_url(self, dag_id: str, run_id: str) -> str:
        """A DAG run's page in the Airflow UI."""
        return self._ui_endpoints().run_ui_url(redact_url(self.base_url), dag_id, run_id)

    def asset_ui_url(self, asset_id: int | None, uri: str) -> str | None:
        """An Airflow asset's page in the UI (Airflow 3), the dataset's (Airflow 2)."""
        return self._ui_endpoints().asset_ui_url(redact_url(self.base_url), asset_id, uri)


def _details_of(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("dag_id"), str):
        raise ValueError("the DAG details are not an object with a dag_id")
    return body


def _version_of(body: Any) -> str:
    version = body.get("version") if isinstance(body, dict) else None
    if not isinstance(version, str):
        raise ValueError("no 'version'")
    return version


def _ti_key(ti: TaskInstance) -> tuple[str, str, str, int]:
    return (ti.dag_id, ti.run_id, ti.task_id, ti.map_index)


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
