"""The first few items of a list in a message, and how many more there are."""

from __future__ import annotations

from collections.abc import Sequence


def short_list(items: Sequence[str], limit: int, *, quoted: bool = False) -> str:
    """The first ``limit`` items joined by ``", "``, then `` and N more`` for the rest.

    ``short_list(["a", "b", "c"], 2)`` is ``"a, b and 1 more"``; with ``quoted``
    each shown item is its ``repr`` (``"'a', 'b' and 1 more"``). An empty
    ``items`` gives ``""``.
    """
    shown = ", ".join(repr(item) if quoted else item for item in items[:limit])
    more = len(items) - limit
    return f"{shown} and {more} more" if more > 0 else shown
