"""The sensor's cursor: how far the sensor has read, and what it recorded per run.

Stored as versioned JSON in Dagster's sensor cursor (zlib-compressed, base64 in
a JSON wrapper, when longer than 4 KB; see :mod:`.cursor_codec`). It holds

* ``high_water``: the tick clock at the start of the last tick that read every
  changed run; the next tick lists runs Airflow changed at or after
  ``high_water - overlap`` (the overlap absorbs Airflow commits that become
  visible late and clock skew between Airflow and the sensor);
* ``runs``: per remembered run, the state it was last seen in (so an unchanged
  run costs nothing), the end of its last recorded successful completion, and
  per task the highest try settled as a success. A run is remembered until
  ``retention`` after it was last listed (counted on the high-water mark, so
  nothing is forgotten while the sensor stands still), at most
  :data:`MAX_REMEMBERED_RUNS` of them;
* ``forgotten``: a compact record of the runs no longer remembered (20 bytes
  each: a hash of the run's id, a hash of its start date, the end date it was
  handled to and whether that was a successful completion; see :mod:`.run_memory`), at most
  :data:`MAX_FORGOTTEN_RUNS`, oldest dropped first. A forgotten run listed
  again without a re-run adds nothing; one that was cleared and ran again has
  only its new tries recorded (those that ended after its handled end date or
  after its new start);
* ``horizon``: where the sensor's coverage starts (its first window, or the
  format-1 high-water mark). A run it has never seen counts as handled up to
  the horizon;
* ``dags``: the DAG ids whose runs the sensor covers from ``horizon`` on (those
  of the definitions when it last listed completely). When the definitions know
  a DAG that is not in it (added in Airflow and picked up by a refresh), the
  next tick lists that DAG's runs from ``lookback`` before its window start
  (see :mod:`.run_pass`). A cursor without it
  (any older one) is upgraded: the DAGs of the definitions at its first tick
  count as covered, with no look back for them;
* ``asset_events`` (only once Airflow assets are enabled): the high-water mark
  and the remembered event ids of Airflow's asset events
  (:class:`~.event_memory.EventMemory`). A
  cursor without it (any older one) starts the events at ``lookback_hours``
  and keeps everything else.

* ``instance``: the Airflow instance it was written for. A cursor of another
  instance (set by hand, or Dagster storage copied from elsewhere) is refused
  with the reset hint (:meth:`SensorCursor.check_instance`); one without it (any
  older one) is named at its next tick.

Every earlier form is *upgraded*, not restarted (tests/fixtures/cursors holds
cursors written by each one's own code). Format 1 (end-date high-water mark and
the run ids near it): its high-water mark becomes the new one, the horizon and
``settled_before``, and its runs are remembered as recorded up to their end
date. The first format 2 (no ``forgotten``): its horizon stood for the runs it
let go, so it becomes ``settled_before`` (capped at the mark). Forgotten runs of
the 12-byte form (hash and end in whole seconds) count as handled up to that end
while the run has not ended since.

This module imports neither Dagster nor Airflow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from airlift_component.errors import AirliftError
from airlift_component.sensor import cursor_codec as codec
from airlift_component.sensor.event_memory import EventMemory
from airlift_component.sensor.run_memory import (
    ForgottenRun,
    RunKey,
    RunMemory,
    RunVersion,
    TaskKey,
    iso,
    run_hash,
    run_version,
)

__all__ = [
    "CLOCK_TOLERANCE",
    "DEFAULT_OVERLAP",
    "DEFAULT_RETENTION",
    "MAX_FORGOTTEN_RUNS",
    "MAX_REMEMBERED_RUNS",
    "CursorError",
    "ForgottenRun",
    "RunKey",
    "RunMemory",
    "RunVersion",
    "SensorCursor",
    "TaskKey",
    "run_version",
]

DEFAULT_OVERLAP = timedelta(minutes=10)
#: How long a run is remembered in full after it was last listed (then in the compact
#: record); at least twice the overlap.
DEFAULT_RETENTION = timedelta(minutes=30)
#: A high-water mark ahead of the tick's clock by more than this is not trusted (less is
#: the jitter of clocks between hosts, which the overlap absorbs).
CLOCK_TOLERANCE = timedelta(minutes=1)
#: Runs remembered in full at most (the oldest move to the compact record first).
MAX_REMEMBERED_RUNS = 5_000
#: Forgotten runs kept in the compact record at most (27 characters each in the cursor).
MAX_FORGOTTEN_RUNS = 20_000


class CursorError(AirliftError):
    """The stored sensor cursor cannot be read."""


@dataclass(frozen=True)
class SensorCursor:
    """See the module docstring."""

    high_water: datetime | None = None
    horizon: datetime | None = None
    runs: dict[RunKey, RunMemory] = field(default_factory=dict)
    #: Forgotten runs by the hash of their id, oldest first.
    forgotten: dict[bytes, ForgottenRun] = field(default_factory=dict)
    #: Forgotten runs dropped from the compact record since the cursor was loaded.
    dropped: int = 0
    #: Airflow asset events: what was read and recorded.
    asset_events: EventMemory = field(default_factory=EventMemory)
    #: DAG ids covered from ``horizon`` on; ``None`` in a cursor written before it.
    dags: frozenset[str] | None = None
    #: Only in a cursor upgraded from one that kept no record of the runs it let go
    #: (format 1, and the first format 2): the mark before which that cursor's version
    #: handled every run it did not list. Unlike the horizon, a clock ahead does not
    #: move it.
    settled_before: datetime | None = None
    #: The Airflow instance the cursor was written for (``None`` in older cursors).
    instance: str | None = None

    def forgotten_run(self, key: RunKey) -> ForgottenRun | None:
        """What the compact record keeps of ``key``, if anything (for a cursor with
        :attr:`settled_before`, a run it never saw counts as handled up to it)."""
        found = self.forgotten.get(run_hash(key))
        covered = self.dags is None or key[0] in self.dags  # not a DAG new since
        if found is None and self.settled_before is not None and covered:
            return ForgottenRun(None, self.settled_before, False)
        return found

    def check_instance(self, name: str) -> SensorCursor:
        """This cursor, named for instance ``name``; :class:`CursorError` when it was
        written for another (a cursor set by hand, or Dagster storage copied from
        another deployment): its runs are not this instance's runs."""
        if self.instance is not None and self.instance != name:
            raise CursorError(
                f"the sensor cursor was written for Airflow instance {self.instance!r}, "
                f"not {name!r} (set by hand, or Dagster storage copied from another "
                "deployment), so the runs it lists are not this instance's; reset it in "
                "the Dagster UI (sensor page → Set cursor, empty value) to start again "
                "from lookback_hours"
            )
        return self if self.instance == name else replace(self, instance=name)

    def clock_ahead(self, now: datetime) -> bool:
        """Whether the high-water mark is ahead of ``now`` by more than
        :data:`CLOCK_TOLERANCE`: a clock that ran ahead and went back, or a cursor from
        elsewhere, so the mark says nothing of what was read."""
        return self.high_water is not None and self.high_water - now > CLOCK_TOLERANCE

    def query_start(self, now: datetime, lookback: timedelta, overlap: timedelta) -> datetime:
        """The earliest ``updated_at`` the next listing asks Airflow for.

        A high-water mark ahead of ``now`` (:meth:`clock_ahead`) says nothing of what
        was read: the ticks of a clock ahead listed from their own future. The window
        then starts ``lookback`` before ``now``, as a first tick's does (what was
        recorded is remembered, and skipped). Less ahead counts as ``now``."""
        if self.high_water is None or self.clock_ahead(now):
            return now - lookback
        return min(self.high_water, now) - overlap

    def forget_old(
        self,
        overlap: timedelta,
        retention: timedelta = DEFAULT_RETENTION,
        limit: int = MAX_REMEMBERED_RUNS,
        forgotten_limit: int = MAX_FORGOTTEN_RUNS,
    ) -> tuple[SensorCursor, int]:
        """The cursor without runs last listed before ``high_water - overlap - retention``
        (and beyond ``limit``, oldest first), each moved to the compact record; and how
        many went. Nothing goes while the high-water mark stands still."""
        if self.high_water is None:
            return self, 0
        keep = _recent(self.runs, self.high_water - overlap - retention, limit)
        gone = _by_seen((k, m) for k, m in self.runs.items() if k not in keep)
        if not gone:
            return self, 0
        forgotten = dict(self.forgotten)
        for key, memory in gone:
            compact = ForgottenRun.of(memory)
            if compact is not None:
                forgotten.pop(run_hash(key), None)  # re-insert: newest last
                forgotten[run_hash(key)] = compact
        dropped = max(len(forgotten) - forgotten_limit, 0)
        if dropped:
            forgotten = dict(list(forgotten.items())[dropped:])
        cursor = replace(self, runs=keep, forgotten=forgotten, dropped=self.dropped + dropped)
        return cursor, len(gone)

    # --- storage -------------------------------------------------------------------

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "v": codec.CURSOR_VERSION,
            "high_water": iso(self.high_water) or None,
            "horizon": iso(self.horizon) or None,
            "runs": codec.run_records(self.runs),
            "forgotten": codec.pack_forgotten(self.forgotten),
        }
        if not self.asset_events.empty:  # absent otherwise: the cursor stays as it was
            data["asset_events"] = self.asset_events.to_json()
        if self.dags is not None:
            data["dags"] = sorted(self.dags)
        if self.settled_before is not None:
            data["settled_before"] = iso(self.settled_before)
        if self.instance is not None:
            data["instance"] = self.instance
        return codec.pack(data)

    @classmethod
    def from_json(cls, text: str | None) -> SensorCursor:
        """Read a stored cursor (format 2, or format 1 upgraded); ``None`` or ``""`` is
        the empty cursor."""
        if not text:
            return cls()
        try:
            return _read(codec.unpack(text))
        except codec.READ_ERRORS as exc:
            raise CursorError(
                f"the sensor cursor cannot be read ({exc}); reset it in the Dagster UI "
                "(sensor page → Set cursor, empty value) to start again from lookback_hours"
            ) from None


def _read(data: Any) -> SensorCursor:
    version = data.get("v")
    if version == 1:
        return _upgrade_v1(data)
    if version != codec.CURSOR_VERSION:
        raise ValueError(f"format {version!r}, expected {codec.CURSOR_VERSION}")
    events = EventMemory.from_json(data.get("asset_events"))
    for stamp in (events.high_water, *events.seen.values()):
        if stamp is not None:
            codec.checked_date(stamp)
    high_water = codec.date(data["high_water"])
    horizon = codec.date(data["horizon"])
    settled_before = codec.date(data.get("settled_before"))
    if "forgotten" not in data:
        # The first format 2 kept no record of the runs it let go: the horizon stood
        # for them (moved over their end dates, a clock's future included, so the
        # mark bounds it).
        if high_water is not None and horizon is not None and horizon > high_water:
            horizon = high_water
        settled_before = horizon
    return SensorCursor(
        high_water,
        horizon,
        dict(codec.read_run(item) for item in data["runs"]),
        _forgotten(codec.unpack_forgotten(data.get("forgotten") or ""), horizon),
        asset_events=events,
        dags=codec.dag_ids(data.get("dags")),
        settled_before=settled_before,
        instance=codec.instance_name(data.get("instance")),
    )


def _forgotten(
    records: dict[bytes, ForgottenRun], horizon: datetime | None
) -> dict[bytes, ForgottenRun]:
    """``records``, a run whose start is unknown covered up to the horizon at least (as
    the cursor that wrote its 12-byte record read it)."""
    if horizon is None:
        return records
    return {
        h: replace(f, covered=max(f.covered, horizon)) if f.start_hash is None else f
        for h, f in records.items()
    }


def _upgrade_v1(data: dict[str, Any]) -> SensorCursor:
    high_water = codec.date(data["high_water"])
    runs: dict[RunKey, RunMemory] = {}
    for dag_id, run_id, end in data["seen"]:
        ended = codec.date(end)
        runs[(str(dag_id), str(run_id))] = RunMemory(None, ended, ended, {}, high_water)
    # The runs listed count as recorded up to their end dates (a memory without a
    # version: see run_ledger), and so do the runs that ended before the mark.
    return SensorCursor(high_water, high_water, runs, settled_before=high_water)


def _recent(runs: dict[RunKey, RunMemory], floor: datetime, limit: int) -> dict[RunKey, RunMemory]:
    """The runs last listed at or after ``floor``, the ``limit`` most recent of them."""
    keep = {k: m for k, m in runs.items() if m.seen is None or m.seen >= floor}
    if len(keep) > limit:
        keep = dict(_by_seen(keep.items())[len(keep) - limit :])
    return keep


def _by_seen(
    runs: Iterable[tuple[RunKey, RunMemory]],
) -> list[tuple[RunKey, RunMemory]]:
    """``runs`` sorted by when they were last listed, never-listed first."""
    return sorted(runs, key=lambda item: _sort_time(item[1].seen))


def _sort_time(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("-inf")
