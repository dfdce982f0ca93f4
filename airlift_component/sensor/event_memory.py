"""What the sensor remembers of Airflow's asset events (stored in its cursor).

* ``high_water``: the tick clock at the start of the last tick that read every
  event of its window; the next tick lists events with ``timestamp >=
  high_water - overlap`` (the overlap absorbs events committed late and clock
  skew, as for runs);
* ``seen``: the id and timestamp of every event listed in that window, so that
  an event listed again is skipped by its id (see :mod:`.event_pass`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class EventMemory:
    """See the module docstring."""

    high_water: datetime | None = None
    seen: dict[int, datetime] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.high_water is None and not self.seen

    def window_start(self, now: datetime, lookback: timedelta, overlap: timedelta) -> datetime:
        """The earliest event timestamp the next listing asks for."""
        return now - lookback if self.high_water is None else self.high_water - overlap

    def to_json(self) -> dict[str, Any]:
        return {
            "high_water": self.high_water.isoformat() if self.high_water else None,
            "seen": [
                [event_id, (stamp - _EPOCH) // timedelta(microseconds=1)]
                for event_id, stamp in sorted(self.seen.items())
            ],
        }

    @classmethod
    def from_json(cls, data: Any) -> EventMemory:
        """Read what :meth:`to_json` wrote; ``None`` (a cursor from before) is empty."""
        if data is None:
            return cls()
        high_water = data["high_water"]
        return cls(
            datetime.fromisoformat(high_water) if high_water else None,
            {
                int(event_id): _EPOCH + timedelta(microseconds=int(micros))
                for event_id, micros in data["seen"]
            },
        )
