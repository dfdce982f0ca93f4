"""A call's wall-clock budget (a sensor tick's) and the error raised when it runs out.

Apart from :mod:`.transport`, which sends the requests and imports httpx, so that the
sensor's passes and the component's sensor can name these types without importing an
HTTP client (a build from the stored state imports none:
``tests/unit/test_build_without_httpx.py``). :mod:`.transport` uses them and still
exports them under its own name.
"""

from __future__ import annotations

from dataclasses import dataclass

from airlift_component.airflow_api.retry import Deadline
from airlift_component.errors import AirflowApiError


class OutOfTime(AirflowApiError):
    """The time budget of a call (:class:`TimeBudget`) ran out before Airflow answered."""


@dataclass(frozen=True)
class TimeBudget:
    """A wall-clock budget that the requests it is given share, retries included."""

    deadline: Deadline
    #: What the budget is, for messages: "the sensor tick's 45 s (...)".
    label: str

    @classmethod
    def start(cls, seconds: float, label: str) -> TimeBudget:
        """A budget of ``seconds`` from now."""
        return cls(Deadline(seconds), label)

    def within(self, outer: TimeBudget | None) -> TimeBudget:
        """This budget, or ``outer`` when that one ends first: an inner budget never
        extends an outer one."""
        if outer is not None and outer.deadline.remaining < self.deadline.remaining:
            return outer
        return self
