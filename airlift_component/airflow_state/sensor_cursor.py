"""The sensor's cursor: which finished Airflow runs have been recorded.

A run is identified by ``(dag_id, run_id)`` and ordered by its ``end_date``.
The cursor keeps a high-water mark (the latest ``end_date`` recorded) and the
ids of the runs recorded within ``overlap`` before it. Each tick asks Airflow
for runs that ended at or after ``high_water - overlap`` and records only the
ones not already seen, so

* a run is never recorded twice, even when many runs share one ``end_date`` or
  a tick stops in the middle of them (``max_runs``);
* a run that becomes visible late (finished out of order, or committed after a
  later run) is still recorded as long as it ended within ``overlap`` of the
  high-water mark;
* a failed tick (Airflow down) leaves the cursor as it was, so nothing is lost.

The cursor is stored as versioned JSON in Dagster's sensor cursor. This module
imports no Dagster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from airlift_component.airflow_api.types import DagRun
from airlift_component.errors import AirliftError

CURSOR_VERSION = 1
DEFAULT_OVERLAP = timedelta(minutes=10)

RunId = tuple[str, str]


class CursorError(AirliftError):
    """The stored sensor cursor cannot be read."""


@dataclass(frozen=True)
class SensorCursor:
    """High-water mark on run end dates plus the runs recorded near it."""

    high_water: datetime | None = None
    seen: dict[RunId, datetime] = field(default_factory=dict)

    def query_start(self, now: datetime, lookback: timedelta, overlap: timedelta) -> datetime:
        """The earliest ``end_date`` the next tick must ask Airflow for."""
        if self.high_water is None:
            return now - lookback
        return self.high_water - overlap

    def is_new(self, run: DagRun) -> bool:
        """True for a finished run this cursor has not recorded."""
        return run.end_date is not None and (run.dag_id, run.run_id) not in self.seen

    def new_runs(self, runs: Iterable[DagRun], max_runs: int | None = None) -> list[DagRun]:
        """The unrecorded runs in ``(end_date, dag_id, run_id)`` order, at most ``max_runs``."""
        fresh = sorted(
            (run for run in runs if self.is_new(run)),
            key=lambda run: (run.end_date, run.dag_id, run.run_id),
        )
        return fresh if max_runs is None else fresh[:max_runs]

    def advance(self, recorded: Sequence[DagRun], overlap: timedelta) -> SensorCursor:
        """The cursor after ``recorded`` runs were recorded (all must have an end date)."""
        if not recorded:
            return self
        ends = [run.end_date for run in recorded if run.end_date is not None]
        high_water = max([*ends, *([self.high_water] if self.high_water else [])])
        seen = dict(self.seen)
        for run in recorded:
            if run.end_date is not None:
                seen[(run.dag_id, run.run_id)] = run.end_date
        floor = high_water - overlap
        return SensorCursor(high_water, {key: end for key, end in seen.items() if end >= floor})

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": CURSOR_VERSION,
                "high_water": self.high_water.isoformat() if self.high_water else None,
                "seen": [
                    [dag_id, run_id, end.isoformat()]
                    for (dag_id, run_id), end in sorted(self.seen.items())
                ],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None) -> SensorCursor:
        """Read a stored cursor; ``None`` or ``""`` is the empty cursor."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if data.get("v") != CURSOR_VERSION:
                raise ValueError(f"version {data.get('v')!r}, expected {CURSOR_VERSION}")
            high_water = data["high_water"]
            return cls(
                datetime.fromisoformat(high_water) if high_water else None,
                {(d, r): datetime.fromisoformat(end) for d, r, end in data["seen"]},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CursorError(
                f"the sensor cursor cannot be read ({exc}); reset it in the Dagster UI "
                "(sensor page → Set cursor, empty value) to start again from lookback_hours"
            ) from None
