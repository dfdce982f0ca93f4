"""Listing the DAG runs Airflow changed since a time, without skipping one.

The sensor asks for finished runs with ``updated_at >= since`` ordered by
``updated_at`` (Airflow answers neither version's runs with their
``updated_at``, so the order is the server's and paging is by offset).

Offset paging over a collection that changes while it is read can skip a run:
when a row before the current offset leaves (it was cleared, deleted, or
updated and so moved to the end), every later row moves one place forward and
the first row of the next page is never returned. The total may not even
change (one row left, one came), so a total check cannot see it.

So every page after the first starts one row early, at the last run already
read: if that run is not the first answer, rows shifted under the listing,
and it starts over (runs already returned are not returned again). A run
updated while it is listed moves to the end, where it is met again. After
:data:`MAX_RESTARTS` shifts the listing gives up and says so
(:attr:`RunStream.complete` stays false) rather than returning a listing
with a hole: the caller then must not move its high-water mark.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Hashable, Iterator
from dataclasses import dataclass, field

from airlift_component.airflow_api.types import DagRun

#: ``fetch(offset, limit)`` → one page and its ``total_entries`` (``None`` if not sent).
PageFetcher = Callable[[int, int], tuple[list[DagRun], int | None]]

#: How often a listing starts over because rows shifted under it.
MAX_RESTARTS = 3
#: A hard stop against a server that never ends its pages.
MAX_PAGES = 100_000


def run_version(run: DagRun) -> Hashable:
    """What tells one state of a run from another: a clear, a re-run or a mark
    changes the state or a date."""
    return (run.dag_id, run.run_id, run.state, run.start_date, run.end_date)


@dataclass
class RunStream:
    """Changed runs, fetched page by page as the caller iterates (stop iterating to
    stop fetching). Each state of a run is returned once.

    After the iteration ends on its own, :attr:`complete` is true when every page
    was read without a shift that could hide a run; :attr:`problem` says why not.
    """

    fetch: PageFetcher
    page_size: int
    complete: bool = False
    problem: str | None = None
    pages: int = 0
    restarts: int = 0
    _returned: set[Hashable] = field(default_factory=set, repr=False)

    def __iter__(self) -> Iterator[DagRun]:
        for _ in range(MAX_RESTARTS + 1):
            shifted = yield from self._one_pass()
            if not shifted:
                return
            self.restarts += 1
        self.problem = (
            f"runs kept changing under the listing ({self.restarts} restarts); "
            "the high-water mark was not moved, the next tick reads the window again"
        )

    def _one_pass(self) -> Generator[DagRun, None, bool]:
        """One pass over every page; returns True when rows shifted under it."""
        offset = 0
        last: DagRun | None = None
        for _ in range(MAX_PAGES):
            start = offset - 1 if last is not None else 0
            raw, total = self.fetch(start, self.page_size + (1 if last is not None else 0))
            self.pages += 1
            page = raw
            if last is not None:
                if not raw or (raw[0].dag_id, raw[0].run_id) != (last.dag_id, last.run_id):
                    return True
                page = raw[1:]
            for run in page:
                version = run_version(run)
                if version not in self._returned:
                    self._returned.add(version)
                    yield run
            if page:
                last = page[-1]
            offset = start + len(raw)
            if not page or (total is not None and offset >= total):
                if total is not None and offset < total:
                    self.problem = f"Airflow reported {total} runs but sent {offset}"
                    return False
                self.complete = True
                return False
        self.problem = f"stopped after {MAX_PAGES} pages"
        return False
