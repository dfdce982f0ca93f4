"""Reading every page of a ``limit`` / ``offset`` collection, safely, two ways.

:func:`collect_pages` reads a whole collection (DAGs, tasks, task instances).
Airflow answers each page with the items and ``total_entries``. The loop stops
when the offset reaches the latest ``total_entries`` (no extra request when the
total is an exact multiple of the page size), on an empty page (even if the
total promised more) or, without a total, on a short page. When the total
changes between pages (a DAG was added or deleted meanwhile), items may have
shifted between pages, so the listing starts over from a clean slate (at most
:data:`MAX_RESTARTS` times); items are de-duplicated by key either way. (A
change that keeps the total, one item removed and one added, cannot be seen
by offset paging; the next listing picks it up.)

:class:`OverlapStream` follows a listing that changes while it is read (the
runs Airflow changed, its asset events) without skipping a row: the sensor's
listings (:mod:`.changed_runs`, :mod:`.asset_events`) are built on it.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Hashable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: How often a listing starts over because the collection changed under it.
MAX_RESTARTS = 2
#: A hard stop against a server that never ends its pages.
MAX_PAGES = 100_000

PageFetcher = Callable[[int, int], tuple[list[T], int | None]]


def collect_pages(
    fetch: PageFetcher[T], *, page_size: int, key: Callable[[T], Hashable]
) -> list[T]:
    """All items of a paged collection, in server order, each once.

    ``fetch(offset, limit)`` returns one page and the ``total_entries`` it reported
    (``None`` when the server sends none).
    """
    items: dict[Hashable, T] = {}
    offset = 0
    first_total: int | None = None
    restarts = 0
    for _ in range(MAX_PAGES):
        page, total = fetch(offset, page_size)
        for item in page:
            items.setdefault(key(item), item)
        if not page:
            break
        if offset == 0:
            first_total = total
        elif total != first_total and restarts < MAX_RESTARTS:
            restarts += 1
            offset, first_total = 0, None
            items.clear()
            continue
        offset += len(page)
        if total is None:
            if len(page) < page_size:
                break
        elif offset >= total:
            break
    return list(items.values())


# --- a listing the caller follows as it changes -------------------------------------

#: How often an overlap-paged listing starts over because rows moved under it.
MAX_OVERLAP_RESTARTS = 3


@dataclass(frozen=True)
class RowOrder(Generic[T]):
    """How the rows of an overlap-paged listing are told apart and ordered.

    ``key`` says which row it is (the page-overlap check); ``version`` what makes a
    row new to the caller (each version is returned once; by default its key).
    ``newest_first`` listings grow at their start, so a row committed while the
    listing is read pushes the rows down (a row is read twice, none is skipped);
    the others grow at their end. ``before_window`` marks a row older than the
    window, for a server that cannot filter by time: the listing ends at the page
    that reaches one, and such rows are not returned. ``noun`` names the rows in
    :attr:`OverlapStream.problem`.
    """

    noun: str
    key: Callable[[T], Hashable]
    version: Callable[[T], Hashable] | None = None
    newest_first: bool = False
    before_window: Callable[[T], bool] | None = None


class OverlapStream(Generic[T]):
    """Every row of an offset-paged listing that may change while it is read, fetched
    page by page as the caller iterates (stop iterating to stop fetching), without
    skipping one.

    When a row before the current offset leaves, every later row moves up one place
    and the next page's first row would never be returned; the total may not even
    change (one row left, one came). So every page after the first starts one row
    early, on a row already read: the last one, in the version read (a listing that
    grows at its end), or any one of this pass (a listing that grows at its start,
    where new rows push the others down). Any other first row means rows moved up
    under the listing: it starts over (rows already returned are not returned
    again). In a listing that grows at its end, the last row found there in another
    version changed and moved to the end while rows before it left, so the rows not
    yet read moved up past the offset: that starts over too. After
    :data:`MAX_OVERLAP_RESTARTS` restarts it gives up and says so.

    After the iteration ends on its own, :attr:`complete` is true when every page
    was read without a move that could hide a row; :attr:`problem` says why not.
    ``fetch(offset, limit)`` returns one page and its ``total_entries`` (``None`` if
    not sent).
    """

    def __init__(self, fetch: PageFetcher[T], page_size: int, order: RowOrder[T]) -> None:
        self.fetch = fetch
        self.page_size = page_size
        self.order = order
        self.complete = False
        self.problem: str | None = None
        self.pages = 0
        self.restarts = 0
        self._returned: set[Hashable] = set()

    def __iter__(self) -> Iterator[T]:
        for _ in range(MAX_OVERLAP_RESTARTS + 1):
            moved = yield from self._one_pass()
            if not moved:
                return
            self.restarts += 1
        self.problem = (
            f"{self.order.noun} kept changing under the listing ({self.restarts} restarts); "
            "the high-water mark was not moved, the next tick reads the window again"
        )

    def _one_pass(self) -> Generator[T, None, bool]:
        """One pass over every page; returns True when rows moved up under it."""
        offset = 0
        read: set[Hashable] = set()  # the keys of the rows this pass read
        last: T | None = None  # the last one
        for _ in range(MAX_PAGES):
            overlap = 1 if offset else 0
            raw, total = self.fetch(offset - overlap, self.page_size + overlap)
            self.pages += 1
            if overlap:
                if not raw or not self._in_place(raw[0], read, last):
                    return True
                raw = raw[1:]
            if raw:
                last = raw[-1]
            older = yield from self._new_rows(raw, read)
            offset += len(raw)
            if older or not raw or (total is not None and offset >= total):
                if not older and total is not None and offset < total:
                    self.problem = f"Airflow reported {total} {self.order.noun} but sent {offset}"
                    return False
                self.complete = True
                return False
        self.problem = f"stopped after {MAX_PAGES} pages"
        return False

    def _in_place(self, first: T, read: set[Hashable], last: T | None) -> bool:
        """Whether a page's overlap row shows that no row moved up before it."""
        if self.order.newest_first:
            return self.order.key(first) in read
        version = self.order.version or self.order.key
        return last is not None and version(first) == version(last)

    def _new_rows(self, page: list[T], read: set[Hashable]) -> Generator[T, None, bool]:
        """The rows of ``page`` not returned before; returns True when one is older than
        the window."""
        order = self.order
        version = order.version or order.key
        older = False
        for row in page:
            read.add(order.key(row))
            if order.before_window is not None and order.before_window(row):
                older = True
                continue
            stamp = version(row)
            if stamp not in self._returned:
                self._returned.add(stamp)
                yield row
        return older
