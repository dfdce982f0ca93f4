"""Listing the DAG runs Airflow changed since a time, without skipping one.

The sensor asks for finished runs with ``updated_at >= since`` ordered by
``updated_at`` (Airflow answers neither version's runs with their
``updated_at``, so the order is the server's and paging is by offset).

Offset paging over a collection that changes while it is read can skip a run:
when a row before the current offset leaves (it was cleared, deleted, or
updated and so moved to the end), every later row moves one place forward and
the first row of the next page is never returned. The total may not even
change (one row left, one came), so a total check cannot see it.

So the listing is an :class:`~.pagination.OverlapStream`: every page after the
first starts one row early, at the last run already read; if that run is not
the first answer, in the state it was read in, rows shifted under the listing,
and it starts over (runs already returned are not returned again). (A run
cleared and finished again between two pages moves to the end; with as many
runs before it gone, it is found there, at the overlap, while the runs not yet
read moved up before the offset: its new state tells.) A run updated while it is listed
moves to the end, where it is met again. After :data:`MAX_RESTARTS` shifts the
listing gives up and says so (:attr:`RunStream.complete` stays false) rather
than returning a listing with a hole: the caller then must not move its
high-water mark.
"""

from __future__ import annotations

from collections.abc import Hashable

from airlift_component.airflow_api.pagination import (
    MAX_OVERLAP_RESTARTS,
    OverlapStream,
    PageFetcher,
    RowOrder,
)
from airlift_component.airflow_api.types import DagRun

#: How often a listing starts over because rows shifted under it.
MAX_RESTARTS = MAX_OVERLAP_RESTARTS


def run_version(run: DagRun) -> Hashable:
    """What tells one state of a run from another: a clear, a re-run or a mark
    changes the state or a date."""
    return (run.dag_id, run.run_id, run.state, run.start_date, run.end_date)


def _run_key(run: DagRun) -> Hashable:
    return (run.dag_id, run.run_id)


#: Oldest change first: the listing grows at its end; each state of a run is returned once.
CHANGED_RUNS: RowOrder[DagRun] = RowOrder("runs", key=_run_key, version=run_version)


class RunStream(OverlapStream[DagRun]):
    """Changed runs, fetched page by page as the caller iterates (stop iterating to
    stop fetching). Each state of a run is returned once.

    After the iteration ends on its own, :attr:`complete` is true when every page
    was read without a shift that could hide a run; :attr:`problem` says why not.
    """

    def __init__(self, fetch: PageFetcher[DagRun], page_size: int) -> None:
        super().__init__(fetch, page_size, CHANGED_RUNS)
