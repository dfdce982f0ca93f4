"""The sensor's cursor: how far the sensor has read, and what it recorded per run.

Stored as versioned JSON in Dagster's sensor cursor. It holds

* ``high_water``: the tick clock at the start of the last tick that read every
  changed run; the next tick lists runs Airflow changed at or after
  ``high_water - overlap`` (the overlap absorbs Airflow commits that become
  visible late and clock skew between Airflow and the sensor);
* ``runs``: per remembered run, the state it was last seen in (so an unchanged
  run costs nothing), the end of its last recorded successful completion, and
  per task the highest try settled as a success; a run is forgotten
  ``retention`` after it was last listed, oldest first when more than
  :data:`MAX_REMEMBERED_RUNS` are remembered;
* ``horizon``: the latest time a forgotten run's record covered. For a run the
  cursor does not remember, a completion that ended at or before the horizon,
  and a try that ended at or before it and before the run's current start
  (so it belongs to a completion before a clear), count as recorded.

Cursor format 1 (end-date high-water mark and the run ids near it) is
*upgraded*, not restarted: its high-water mark becomes both the new one and the
horizon, and its runs are remembered as recorded up to their end date.

This module imports neither Dagster nor Airflow.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from airlift_component.airflow_api.types import DagRun
from airlift_component.errors import AirliftError

CURSOR_VERSION = 2
DEFAULT_OVERLAP = timedelta(minutes=10)
#: How long a run is remembered after it was last listed.
DEFAULT_RETENTION = timedelta(hours=6)
#: Runs remembered at most (the oldest are forgotten first; the horizon says until when).
MAX_REMEMBERED_RUNS = 20_000

RunKey = tuple[str, str]
TaskKey = tuple[str, int]
RunVersion = tuple[str, str, str]


class CursorError(AirliftError):
    """The stored sensor cursor cannot be read."""


def run_version(run: DagRun) -> RunVersion:
    """What tells one state of a run from the next: a clear, re-run or mark changes it."""
    return (run.state, _iso(run.start_date), _iso(run.end_date))


@dataclass(frozen=True)
class RunMemory:
    """What the sensor knows of one run."""

    version: RunVersion | None
    #: End date of the state last handled: tries that ended by then (and before a later
    #: start of the run) were handled, whether or not their task is in ``tries``.
    covered: datetime | None
    #: End date of the last successful completion recorded (the DAG asset's key).
    completion: datetime | None
    #: Highest try settled as a success per (task_id, map_index).
    tries: dict[TaskKey, int] = field(default_factory=dict)
    #: Tick clock when the run was last listed.
    seen: datetime | None = None


@dataclass(frozen=True)
class SensorCursor:
    """See the module docstring."""

    high_water: datetime | None = None
    horizon: datetime | None = None
    runs: dict[RunKey, RunMemory] = field(default_factory=dict)

    def query_start(self, now: datetime, lookback: timedelta, overlap: timedelta) -> datetime:
        """The earliest ``updated_at`` the next listing asks Airflow for."""
        if self.high_water is None:
            return now - lookback
        return self.high_water - overlap

    def forget_old(
        self,
        overlap: timedelta,
        retention: timedelta = DEFAULT_RETENTION,
        limit: int = MAX_REMEMBERED_RUNS,
    ) -> tuple[SensorCursor, int]:
        """The cursor without runs last listed before ``high_water - overlap - retention``
        (and beyond ``limit``, oldest first), the horizon moved over them; and how many
        went. Nothing goes while the high-water mark stands still."""
        if self.high_water is None:
            return self, 0
        floor = self.high_water - overlap - retention
        keep = {k: m for k, m in self.runs.items() if m.seen is None or m.seen >= floor}
        if len(keep) > limit:
            ordered = sorted(keep.items(), key=lambda item: _sort_time(item[1].seen))
            keep = dict(ordered[len(ordered) - limit :])
        gone = [m for k, m in self.runs.items() if k not in keep]
        if not gone:
            return self, 0
        # Capped at the tick clock of the last listing plus the overlap (the skew the
        # guarantee allows): an end date skewed into the future must not make every
        # later run look recorded.
        horizon = _latest(
            [self.horizon, *(_earliest([m.covered, _plus(m.seen, overlap)]) for m in gone)]
        )
        return replace(self, horizon=horizon, runs=keep), len(gone)

    # --- storage -------------------------------------------------------------------

    def to_json(self) -> str:
        runs = [
            [
                dag_id,
                run_id,
                list(memory.version) if memory.version else None,
                _iso(memory.covered),
                _iso(memory.completion),
                _iso(memory.seen),
                [[task, index, number] for (task, index), number in sorted(memory.tries.items())],
            ]
            for (dag_id, run_id), memory in sorted(self.runs.items())
        ]
        data = {
            "v": CURSOR_VERSION,
            "high_water": _iso(self.high_water) or None,
            "horizon": _iso(self.horizon) or None,
            "runs": runs,
        }
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> SensorCursor:
        """Read a stored cursor (format 2, or format 1 upgraded); ``None`` or ``""`` is
        the empty cursor."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            version = data.get("v")
            if version == 1:
                return _upgrade_v1(data)
            if version != CURSOR_VERSION:
                raise ValueError(f"format {version!r}, expected {CURSOR_VERSION}")
            return cls(
                _date(data["high_water"]),
                _date(data["horizon"]),
                dict(_memory(item) for item in data["runs"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise CursorError(
                f"the sensor cursor cannot be read ({exc}); reset it in the Dagster UI "
                "(sensor page → Set cursor, empty value) to start again from lookback_hours"
            ) from None


def _upgrade_v1(data: dict[str, Any]) -> SensorCursor:
    high_water = _date(data["high_water"])
    runs: dict[RunKey, RunMemory] = {}
    for dag_id, run_id, end in data["seen"]:
        ended = _date(end)
        runs[(str(dag_id), str(run_id))] = RunMemory(None, ended, ended, {}, high_water)
    return SensorCursor(high_water, high_water, runs)


def _memory(item: list[Any]) -> tuple[RunKey, RunMemory]:
    dag_id, run_id, version, covered, completion, seen, tries = item
    return (str(dag_id), str(run_id)), RunMemory(
        tuple(str(part) for part in version) if version else None,  # type: ignore[arg-type]
        _date(covered),
        _date(completion),
        {(str(task), int(index)): int(number) for task, index, number in tries},
        _date(seen),
    )


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _date(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _sort_time(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("-inf")


def _earliest(values: Iterable[datetime | None]) -> datetime | None:
    present = [value for value in values if value is not None]
    return min(present) if present else None


def _plus(value: datetime | None, delta: timedelta) -> datetime | None:
    return value + delta if value is not None else None


def _latest(values: Iterable[datetime | None]) -> datetime | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None
