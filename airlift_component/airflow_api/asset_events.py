"""Listing Airflow's asset (dataset) events since a time, without skipping one.

Events are read newest first (``order_by=-timestamp``; Airflow 3 breaks ties by
id, Airflow 2.10 by nothing) from ``GET /api/v2/assets/events`` with
``timestamp_gte`` or ``GET /api/v1/datasets/events`` (no time filter on
Airflow 2.10: the listing stops at the first page that reaches an older event,
and older events are dropped here).

Newest first, an event committed while the listing is read lands before the
current offset, pushing rows down: a row is read twice (returned once), never
skipped. Only a row that *leaves* before the offset (Airflow's ``db clean``)
pulls rows up and can hide one, so the listing is an
:class:`~.pagination.OverlapStream`: every page after the first starts one row
early; that row must be one already read, else rows moved up under the listing
and it starts over (at most :data:`MAX_RESTARTS` times, then
:attr:`AssetEventStream.complete` stays false and the caller keeps its window).
"""

from __future__ import annotations

from datetime import datetime

from airlift_component.airflow_api.pagination import (
    MAX_OVERLAP_RESTARTS,
    OverlapStream,
    PageFetcher,
    RowOrder,
)
from airlift_component.airflow_api.types import AirflowAssetEvent

#: How often a listing starts over because rows moved under it.
MAX_RESTARTS = MAX_OVERLAP_RESTARTS


def _event_id(event: AirflowAssetEvent) -> int:
    return event.event_id


class AssetEventStream(OverlapStream[AirflowAssetEvent]):
    """Events with ``timestamp >= since``, newest first, each returned once, fetched
    page by page as the caller iterates. After the iteration ends on its own,
    :attr:`complete` says whether every page was read without a row moving up."""

    def __init__(
        self, fetch: PageFetcher[AirflowAssetEvent], page_size: int, since: datetime
    ) -> None:
        self.since = since
        order = RowOrder(
            "asset events",
            key=_event_id,
            newest_first=True,
            before_window=lambda event: event.timestamp < since,
        )
        super().__init__(fetch, page_size, order)
