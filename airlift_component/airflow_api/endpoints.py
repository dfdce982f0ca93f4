"""Where each operation lives in ``/api/v1`` (Airflow 2) and ``/api/v2`` (Airflow 3).

The two versions share paths below their prefix; they differ in details that
this module keeps in one place:

* triggering a run on v2 must send ``"logical_date": null`` (else 422);
* the task-instance batch endpoint pages (``page_offset`` / ``page_limit``) on
  both; Airflow 2.10 answers at most 100 task instances a page (its
  ``maximum_page_limit``), so reading one page only lost the rest;
* DAG listing filters by tag in "any" mode on v2 only when asked
  (``tags_match_mode``); v1 always matches any tag;
* changed runs are listed with ``GET /dags/~/dagRuns`` filtered by
  ``updated_at_gte`` (the batch ``POST`` refuses that field on v2); neither
  version sends a run's ``updated_at`` back;
* UI links: ``/dags/<id>/runs/<run>`` on Airflow 3, ``/dags/<id>/grid?dag_run_id=`` on 2;
* Airflow assets are ``/assets`` (v2) and ``/datasets`` (v1); their events are read
  newest first (``order_by=-timestamp``); v2 filters them by ``timestamp_gte``,
  Airflow 2.10 has no time filter (the reader stops at the first older event);
  one asset's events are filtered by ``asset_id`` (v2) or ``dataset_id`` (v1);
* a DAG's asset schedule condition is in ``GET /dags/{id}/details``:
  ``asset_expression`` (v2), ``dataset_expression`` (v1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote, urlencode

from airlift_component.airflow_api.parse import format_datetime

ApiVersion = Literal["v1", "v2"]

#: Airflow's default ``[api] maximum_page_limit``: larger pages are silently cut to it.
PAGE_SIZE = 100
#: Runs per task-instance batch (each batch is then read page by page).
RUNS_PER_TI_BATCH = {"v1": 50, "v2": 500}


def segment(value: str) -> str:
    """A DAG or run id quoted for use as one URL path segment."""
    return quote(value, safe="")


def glob_to_like(pattern: str) -> str | None:
    """A server-side ``dag_id_pattern`` (SQL ``ILIKE '%…%'``) that every glob match
    also matches, or ``None`` when the glob cannot be expressed (character classes)."""
    if any(ch in pattern for ch in "[]%|"):
        return None
    like = pattern.replace("*", "%").replace("?", "_").strip("%")
    return like or None


@dataclass(frozen=True)
class Endpoints:
    """Paths and bodies of the operations the client uses, for one API version."""

    version: ApiVersion

    @property
    def prefix(self) -> str:
        return f"/api/{self.version}"

    def version_path(self) -> str:
        return f"{self.prefix}/version"

    def dags_params(
        self, *, offset: int, limit: int, pattern: str | None, tags: Sequence[str]
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit, "offset": offset, "order_by": "dag_id"}
        if pattern:
            params["dag_id_pattern"] = pattern
        if tags:
            params["tags"] = list(tags)
            if self.version == "v2":
                params["tags_match_mode"] = "any"
        return params

    def dags_path(self) -> str:
        return f"{self.prefix}/dags"

    def dag_path(self, dag_id: str) -> str:
        return f"{self.prefix}/dags/{segment(dag_id)}"

    def tasks_path(self, dag_id: str) -> str:
        return f"{self.dag_path(dag_id)}/tasks"

    def runs_path(self, dag_id: str) -> str:
        return f"{self.dag_path(dag_id)}/dagRuns"

    def run_path(self, dag_id: str, run_id: str) -> str:
        return f"{self.runs_path(dag_id)}/{segment(run_id)}"

    def runs_batch_path(self) -> str:
        return f"{self.prefix}/dags/~/dagRuns/list"

    def runs_batch_body(
        self,
        *,
        offset: int,
        limit: int,
        states: Sequence[str],
        end_date_gte: datetime,
        end_date_lte: datetime | None,
        dag_ids: Sequence[str] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "order_by": "end_date",
            "page_offset": offset,
            "page_limit": limit,
            "states": list(states),
            "end_date_gte": format_datetime(end_date_gte),
        }
        if end_date_lte is not None:
            body["end_date_lte"] = format_datetime(end_date_lte)
        if dag_ids is not None:
            body["dag_ids"] = list(dag_ids)
        return body

    def changed_runs_path(self) -> str:
        return f"{self.prefix}/dags/~/dagRuns"

    def changed_runs_params(
        self, *, offset: int, limit: int, states: Sequence[str], updated_at_gte: datetime
    ) -> dict[str, Any]:
        """Runs of every DAG changed at or after ``updated_at_gte``, oldest change first
        (``updated_at_gte`` and ``order_by=updated_at`` exist on v1 and v2)."""
        return {
            "updated_at_gte": format_datetime(updated_at_gte),
            "order_by": "updated_at",
            "state": list(states),
            "limit": limit,
            "offset": offset,
        }

    def task_instances_batch_path(self) -> str:
        return f"{self.prefix}/dags/~/dagRuns/~/taskInstances/list"

    @property
    def runs_per_ti_batch(self) -> int:
        return RUNS_PER_TI_BATCH[self.version]

    def task_instances_batch_body(
        self, *, dag_ids: Sequence[str], run_ids: Sequence[str], offset: int, limit: int
    ) -> dict[str, Any]:
        return {
            "dag_ids": list(dag_ids),
            "dag_run_ids": list(run_ids),
            "page_offset": offset,
            "page_limit": limit,
        }

    def trigger_body(self, *, run_id: str, conf: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"dag_run_id": run_id, "conf": conf or {}}
        if self.version == "v2":
            body["logical_date"] = None
        return body

    def assets_path(self) -> str:
        return f"{self.prefix}/assets" if self.version == "v2" else f"{self.prefix}/datasets"

    @property
    def assets_field(self) -> str:
        return "assets" if self.version == "v2" else "datasets"

    def assets_params(self, *, offset: int, limit: int) -> dict[str, Any]:
        return {"limit": limit, "offset": offset, "order_by": "id"}

    def asset_events_path(self) -> str:
        return f"{self.assets_path()}/events"

    @property
    def asset_events_field(self) -> str:
        return "asset_events" if self.version == "v2" else "dataset_events"

    def asset_events_params(
        self, *, offset: int, limit: int, timestamp_gte: datetime
    ) -> dict[str, Any]:
        """Newest first; v2 also filters by time (v1 cannot: the caller stops reading)."""
        params: dict[str, Any] = {"order_by": "-timestamp", "limit": limit, "offset": offset}
        if self.version == "v2":
            params["timestamp_gte"] = format_datetime(timestamp_gte)
        return params

    def asset_events_of_params(self, *, asset_id: int, offset: int, limit: int) -> dict[str, Any]:
        """One asset's events, newest first (``asset_id`` on v2, ``dataset_id`` on v1)."""
        field = "asset_id" if self.version == "v2" else "dataset_id"
        return {field: asset_id, "order_by": "-timestamp", "limit": limit, "offset": offset}

    def dag_details_path(self, dag_id: str) -> str:
        return f"{self.dag_path(dag_id)}/details"

    @property
    def asset_expression_field(self) -> str:
        """The DAG details' field holding its asset (dataset) schedule condition."""
        return "asset_expression" if self.version == "v2" else "dataset_expression"

    def asset_ui_url(self, base_url: str, asset_id: int | None, uri: str) -> str | None:
        """The asset's page in Airflow 3's UI, the dataset in Airflow 2's datasets view."""
        if self.version == "v2":
            return f"{base_url}/assets/{asset_id}" if asset_id is not None else None
        return f"{base_url}/datasets?{urlencode({'uri': uri})}"

    def pause_params(self) -> dict[str, str]:
        return {"update_mask": "is_paused"}

    def dag_ui_url(self, base_url: str, dag_id: str) -> str:
        if self.version == "v2":
            return f"{base_url}/dags/{segment(dag_id)}"
        return f"{base_url}/dags/{segment(dag_id)}/grid"

    def run_ui_url(self, base_url: str, dag_id: str, run_id: str) -> str:
        if self.version == "v2":
            return f"{base_url}/dags/{segment(dag_id)}/runs/{segment(run_id)}"
        return f"{base_url}/dags/{segment(dag_id)}/grid?{urlencode({'dag_run_id': run_id})}"
