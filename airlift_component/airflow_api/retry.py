"""When to try a request again, and how long to wait first.

Retries use exponential backoff with *full jitter*: before attempt ``n + 1``
the client sleeps a random time between 0 and ``min(backoff_max, backoff_base * 2**n)``
seconds, unless the server said how long to wait (``Retry-After`` on a 429 or
503), in which case that is honoured. Every wait is bounded by the total
``deadline_seconds`` of the call: when the next wait would cross it, the client
gives up at once with a clear error instead of sleeping past it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

#: Statuses that say "try again later" rather than "your request is wrong".
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times, and how patiently, a failed request is tried again.

    ``retries`` and ``deadline_seconds`` come from the instance's ``http``
    settings; ``backoff_base`` and ``backoff_max`` shape the waits between
    attempts (tests pass tiny values to stay fast).
    """

    retries: int = 4
    deadline_seconds: float = 120.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (0-based), full jitter."""
        ceiling = min(self.backoff_max, self.backoff_base * (2**attempt))
        return (rng or random).uniform(0.0, ceiling)


def is_retryable_status(status: int) -> bool:
    """True for 429 and the 5xx statuses a restarting or overloaded server sends."""
    return status in RETRYABLE_STATUSES


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay seconds or an HTTP date.

    Returns ``None`` when the header is missing or unreadable; a date in the past
    gives ``0``.
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class Deadline:
    """The wall-clock budget of one logical call, retries included."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    @property
    def remaining(self) -> float:
        return max(0.0, self.seconds - self.elapsed)

    def allows(self, wait: float) -> bool:
        """True when waiting ``wait`` seconds still leaves time for another attempt."""
        return wait < self.remaining
