"""``short_list``: the first few items of a message list, and how many more."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from airlift_component.config.short_list import short_list


@pytest.mark.parametrize(
    ("items", "limit", "quoted", "expected"),
    [
        ([], 3, False, ""),
        (["a"], 3, False, "a"),
        (["a", "b", "c"], 3, False, "a, b, c"),
        (["a", "b", "c", "d"], 3, False, "a, b, c and 1 more"),
        (["a", "b", "c", "d", "e"], 2, False, "a, b and 3 more"),
        (["a", "b"], 2, True, "'a', 'b'"),
        (["a", "b", "c"], 1, True, "'a' and 2 more"),
        (["it's"], 1, True, '"it\'s"'),
        (("x", "y", "z"), 2, False, "x, y and 1 more"),
    ],
    ids=[
        "empty",
        "one",
        "exactly-the-limit",
        "one-more",
        "several-more",
        "quoted",
        "quoted-with-more",
        "quoted-like-repr",
        "tuple",
    ],
)
def test_short_list(items: Sequence[str], limit: int, quoted: bool, expected: str) -> None:
    assert short_list(items, limit, quoted=quoted) == expected
