"""Listing Airflow's asset (dataset) events since a time, without skipping one.

Events are read newest first (``order_by=-timestamp``; Airflow 3 breaks ties by
id, Airflow 2.10 by nothing) from ``GET /api/v2/assets/events`` with
``timestamp_gte`` or ``GET /api/v1/datasets/events`` (no time filter on
Airflow 2.10: the listing stops at the first page that reaches an older event,
and older events are dropped here).

Newest first, an event committed while the listing is read lands before the
current offset, pushing rows down: a row is read twice (returned once), never
skipped. Only a row that *leaves* before the offset (Airflow's ``db clean``)
pulls rows up and can hide one, so every page after the first starts one row
early; that row must be one already read, else rows moved up under the listing
and it starts over (at most :data:`MAX_RESTARTS` times, then
:attr:`AssetEventStream.complete` stays false and the caller keeps its window).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from airlift_component.airflow_api.types import AirflowAssetEvent

#: ``fetch(offset, limit)`` → one page (newest first) and its ``total_entries``.
EventPageFetcher = Callable[[int, int], tuple[list[AirflowAssetEvent], int | None]]

#: How often a listing starts over because rows moved under it.
MAX_RESTARTS = 3
#: A hard stop against a server that never ends its pages.
MAX_PAGES = 100_000


@dataclass
class AssetEventStream:
    """Events with ``timestamp >= since``, newest first, each returned once, fetched
    page by page as the caller iterates. After the iteration ends on its own,
    :attr:`complete` says whether every page was read without a row moving up."""

    fetch: EventPageFetcher
    page_size: int
    since: datetime
    complete: bool = False
    problem: str | None = None
    pages: int = 0
    restarts: int = 0
    _returned: set[int] = field(default_factory=set, repr=False)

    def __iter__(self) -> Iterator[AirflowAssetEvent]:
        for _ in range(MAX_RESTARTS + 1):
            moved = yield from self._one_pass()
            if not moved:
                return
            self.restarts += 1
        self.problem = (
            f"asset events kept moving under the listing ({self.restarts} restarts); "
            "the window is read again on the next tick"
        )

    def _one_pass(self) -> Generator[AirflowAssetEvent, None, bool]:
        """One pass over the pages; returns True when rows moved up under it."""
        offset = 0
        read: set[int] = set()
        for _ in range(MAX_PAGES):
            overlap = 1 if offset else 0
            raw, total = self.fetch(offset - overlap, self.page_size + overlap)
            self.pages += 1
            if overlap:
                if not raw or raw[0].event_id not in read:
                    return True
                raw = raw[1:]
            older = False
            for event in raw:
                read.add(event.event_id)
                if event.timestamp < self.since:
                    older = True
                    continue
                if event.event_id not in self._returned:
                    self._returned.add(event.event_id)
                    yield event
            offset += len(raw)
            if not raw and not older and total is not None and offset < total:
                self.problem = f"Airflow reported {total} asset events but sent {offset}"
                return False
            if older or not raw or (total is not None and offset >= total):
                self.complete = True
                return False
        self.problem = f"stopped after {MAX_PAGES} pages"
        return False
