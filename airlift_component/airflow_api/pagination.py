"""Reading every page of a ``limit`` / ``offset`` collection, safely.

Airflow answers each page with the items and ``total_entries``. The loop stops
when the offset reaches the latest ``total_entries`` (no extra request when the
total is an exact multiple of the page size), on an empty page (even if the
total promised more) or, without a total, on a short page. When the total
changes between pages (a DAG was added or deleted meanwhile), items may have
shifted between pages, so the listing starts over from a clean slate (at most
:data:`MAX_RESTARTS` times); items are de-duplicated by key either way. (A
change that keeps the total, one item removed and one added, cannot be seen
by offset paging; the next listing picks it up.)
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

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
