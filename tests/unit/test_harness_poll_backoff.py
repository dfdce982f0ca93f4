"""``poll_for`` waits longer between probes the longer it waits, up to a cap."""

from __future__ import annotations

import pytest

from devtools.local_stack import processes
from devtools.local_stack.processes import POLL_INTERVAL_CAP, StackStartError, poll_for


class Clock:
    """A monotonic clock that only ``sleep`` moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(processes.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(processes.time, "sleep", fake.sleep)
    return fake


def test_the_waits_grow_from_the_interval_to_the_cap(clock: Clock) -> None:
    answers = iter([None] * 12 + ["ready"])
    assert poll_for(lambda: next(answers), timeout=60, what="x", interval=0.25) == "ready"
    assert clock.waits[0] == 0.25
    assert all(b >= a for a, b in zip(clock.waits, clock.waits[1:], strict=False))
    assert max(clock.waits) == POLL_INTERVAL_CAP == clock.waits[-1]


def test_a_longer_first_interval_is_kept(clock: Clock) -> None:
    answers = iter([None] * 4 + [1])
    poll_for(lambda: next(answers), timeout=60, what="x", interval=2.0)
    assert clock.waits == [2.0] * 4


def test_the_deadline_is_kept_and_named(clock: Clock) -> None:
    with pytest.raises(StackStartError, match="timed out after 10 s waiting for the thing"):
        poll_for(lambda: None, timeout=10, what="the thing")
    assert clock.now == pytest.approx(10.0)
