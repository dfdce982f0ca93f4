"""The sensor's cursor: how far the sensor has read, and what it recorded per run.

Stored as versioned JSON in Dagster's sensor cursor (zlib-compressed, base64 in
a JSON wrapper, when longer than 4 KB). It holds

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
  handled to and whether that was a successful completion), at most
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
  (see :mod:`~airlift_component.airflow_state.sensor_pass`). A cursor without it
  (any older one) is upgraded: the DAGs of the definitions at its first tick
  count as covered, with no look back for them;
* ``asset_events`` (only once Airflow assets are enabled): the high-water mark
  and the remembered event ids of Airflow's asset events
  (:class:`~airlift_component.airflow_state.asset_event_pass.EventMemory`). A
  cursor without it (any older one) starts the events at ``lookback_hours``
  and keeps everything else.

Cursor format 1 (end-date high-water mark and the run ids near it) is
*upgraded*, not restarted: its high-water mark becomes both the new one and the
horizon, and its runs are remembered as recorded up to their end date.

This module imports neither Dagster nor Airflow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from airlift_component.airflow_api.types import DagRun
from airlift_component.airflow_state.asset_event_pass import EventMemory
from airlift_component.errors import AirliftError

CURSOR_VERSION = 2
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
_TOMBSTONE = struct.Struct("<8s4sqB")
#: A cursor longer than this is stored zlib-compressed (base64 in the JSON).
COMPRESS_ABOVE = 4096
#: The largest unpacked cursor read back (a bound against a corrupted value).
MAX_CURSOR = 256 * 1024 * 1024

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
class ForgottenRun:
    """What the compact record keeps of a run no longer remembered in full."""

    start_hash: bytes
    #: End date of the state last handled.
    covered: datetime
    #: Whether that state was a successful completion (recorded).
    completed: bool

    def same_start(self, run: DagRun) -> bool:
        """True when the run has not been cleared and started again since."""
        return _short_hash(_iso(run.start_date)) == self.start_hash


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

    def forgotten_run(self, key: RunKey) -> ForgottenRun | None:
        """What the compact record keeps of ``key``, if anything."""
        return self.forgotten.get(_run_hash(key))

    def query_start(self, now: datetime, lookback: timedelta, overlap: timedelta) -> datetime:
        """The earliest ``updated_at`` the next listing asks Airflow for.

        A high-water mark ahead of ``now`` by more than :data:`CLOCK_TOLERANCE` (a
        clock that ran ahead and went back, a cursor from elsewhere) says nothing of
        what was read: the ticks of a clock ahead listed from their own future. The
        window then starts ``lookback`` before ``now``, as a first tick's does (what was
        recorded is remembered, and skipped). Less ahead counts as ``now``."""
        if self.high_water is None or self.high_water - now > CLOCK_TOLERANCE:
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
        floor = self.high_water - overlap - retention
        keep = {k: m for k, m in self.runs.items() if m.seen is None or m.seen >= floor}
        if len(keep) > limit:
            ordered = sorted(keep.items(), key=lambda item: _sort_time(item[1].seen))
            keep = dict(ordered[len(ordered) - limit :])
        gone = sorted(
            ((k, m) for k, m in self.runs.items() if k not in keep),
            key=lambda item: _sort_time(item[1].seen),
        )
        if not gone:
            return self, 0
        forgotten = dict(self.forgotten)
        for key, memory in gone:
            if memory.covered is None:
                continue
            start = memory.version[1] if memory.version else ""
            hashed = _run_hash(key)
            forgotten.pop(hashed, None)  # re-insert: newest last
            forgotten[hashed] = ForgottenRun(
                _short_hash(start), memory.covered, memory.completion == memory.covered
            )
        dropped = max(len(forgotten) - forgotten_limit, 0)
        if dropped:
            forgotten = dict(list(forgotten.items())[dropped:])
        return replace(self, runs=keep, forgotten=forgotten, dropped=self.dropped + dropped), len(
            gone
        )

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
        data: dict[str, Any] = {
            "v": CURSOR_VERSION,
            "high_water": _iso(self.high_water) or None,
            "horizon": _iso(self.horizon) or None,
            "runs": runs,
            "forgotten": base64.b64encode(
                b"".join(
                    _TOMBSTONE.pack(h, f.start_hash, _micros(f.covered), f.completed)
                    for h, f in self.forgotten.items()
                )
            ).decode(),
        }
        if not self.asset_events.empty:  # absent otherwise: the cursor stays as it was
            data["asset_events"] = self.asset_events.to_json()
        if self.dags is not None:
            data["dags"] = sorted(self.dags)
        text = json.dumps(data, separators=(",", ":"))
        if len(text) <= COMPRESS_ABOVE:
            return text
        packed = base64.b64encode(zlib.compress(text.encode(), 6)).decode()
        return json.dumps({"v": CURSOR_VERSION, "zlib": packed}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | None) -> SensorCursor:
        """Read a stored cursor (format 2, or format 1 upgraded); ``None`` or ``""`` is
        the empty cursor."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if isinstance(data, dict) and "zlib" in data:
                inflater = zlib.decompressobj()
                raw = inflater.decompress(base64.b64decode(data["zlib"], validate=True), MAX_CURSOR)
                if inflater.unconsumed_tail:
                    raise ValueError(f"larger than {MAX_CURSOR} bytes unpacked")
                data = json.loads(raw)
            version = data.get("v")
            if version == 1:
                return _upgrade_v1(data)
            if version != CURSOR_VERSION:
                raise ValueError(f"format {version!r}, expected {CURSOR_VERSION}")
            events = EventMemory.from_json(data.get("asset_events"))
            _checked(events.high_water)
            for seen in events.seen.values():
                _checked(seen)
            return cls(
                _date(data["high_water"]),
                _date(data["horizon"]),
                dict(_memory(item) for item in data["runs"]),
                _tombstones(data.get("forgotten") or ""),
                asset_events=events,
                dags=_dag_ids(data.get("dags")),
            )
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            OverflowError,  # a date beyond datetime's range
            RecursionError,  # JSON nested too deeply
            struct.error,
            zlib.error,
        ) as exc:
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


def _dag_ids(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("the DAG ids are not a list of strings")
    return frozenset(value)


def _run_hash(key: RunKey) -> bytes:
    return hashlib.blake2b("\x00".join(key).encode(), digest_size=8).digest()


def _short_hash(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=4).digest()


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)


def _tombstones(text: str) -> dict[bytes, ForgottenRun]:
    raw = base64.b64decode(text.encode(), validate=True)
    if len(raw) % _TOMBSTONE.size:
        raise ValueError("the forgotten-run record is cut short")
    return {
        run: ForgottenRun(
            start, _checked_date(_EPOCH + timedelta(microseconds=micros)), bool(completed)
        )
        for run, start, micros, completed in _TOMBSTONE.iter_unpack(raw)
    }


def _memory(item: list[Any]) -> tuple[RunKey, RunMemory]:
    dag_id, run_id, version, covered, completion, seen, tries = item
    if version and len(version) != 3:
        raise ValueError(f"run {run_id!r}: a state of {len(version)} parts, expected 3")
    return (str(dag_id), str(run_id)), RunMemory(
        tuple(str(part) for part in version) if version else None,  # type: ignore[arg-type]
        _date(covered),
        _date(completion),
        {(str(task), int(index)): int(number) for task, index, number in tries},
        _date(seen),
    )


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


#: The dates a cursor may hold (a tick's clock or an Airflow end date); outside them
#: the window arithmetic would overflow.
_EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def _date(text: Any) -> datetime | None:
    if not text:
        return None
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a date")
    return _checked_date(datetime.fromisoformat(text))


def _checked(value: datetime | None) -> datetime | None:
    return None if value is None else _checked_date(value)


def _checked_date(value: datetime) -> datetime:
    if value.utcoffset() is None:
        raise ValueError(f"date {value.isoformat()} has no time zone")
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(f"date {value.isoformat()} is out of range")
    return value


def _sort_time(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("-inf")


def _latest(values: Iterable[datetime | None]) -> datetime | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None
