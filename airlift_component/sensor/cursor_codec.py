"""The sensor cursor's stored form: versioned JSON, zlib-compressed when long.

The pieces :class:`~.cursor.SensorCursor` writes and reads back: the JSON
wrapper and its compression, one list per remembered run, the forgotten runs
as 21-byte records in base64, and dates checked to carry a time zone and to
stay where the window arithmetic cannot overflow. A value that does not fit
raises one of :data:`READ_ERRORS`; the cursor turns it into one readable error.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from datetime import datetime, timedelta, timezone
from typing import Any

from airlift_component.sensor.run_memory import ForgottenRun, RunKey, RunMemory, iso

CURSOR_VERSION = 2
#: A cursor longer than this is stored zlib-compressed (base64 in the JSON).
COMPRESS_ABOVE = 4096
#: The largest unpacked cursor read back (a bound against a corrupted value).
MAX_CURSOR = 256 * 1024 * 1024

#: What reading a damaged cursor can raise.
READ_ERRORS = (
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    OverflowError,  # a date beyond datetime's range
    RecursionError,  # JSON nested too deeply
    struct.error,
    zlib.error,
)

#: A forgotten run: hash of its id, hash of its start, handled end (microseconds since
#: 1970), flags (1: completed, 2: start unknown).
_TOMBSTONE = struct.Struct("<8s4sqB")
_START_UNKNOWN = 2
_NO_START = bytes(4)
#: The first form (commit 975c8f2): hash of the run's id, handled end in whole seconds.
_LEGACY_TOMBSTONE = struct.Struct("<8sI")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: The dates a cursor may hold (a tick's clock or an Airflow end date); outside them
#: the window arithmetic would overflow.
_EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def pack(data: dict[str, Any]) -> str:
    """The stored text of ``data``: compact JSON, compressed when long."""
    text = json.dumps(data, separators=(",", ":"))
    if len(text) <= COMPRESS_ABOVE:
        return text
    packed = base64.b64encode(zlib.compress(text.encode(), 6)).decode()
    return json.dumps({"v": CURSOR_VERSION, "zlib": packed}, separators=(",", ":"))


def unpack(text: str) -> Any:
    """What :func:`pack` was given, from its stored text."""
    data = json.loads(text)
    if isinstance(data, dict) and "zlib" in data:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(data["zlib"], validate=True), MAX_CURSOR)
        if inflater.unconsumed_tail:
            raise ValueError(f"larger than {MAX_CURSOR} bytes unpacked")
        data = json.loads(raw)
    return data


def run_records(runs: dict[RunKey, RunMemory]) -> list[list[Any]]:
    """The remembered runs as JSON lists, sorted by run."""
    return [
        [
            dag_id,
            run_id,
            list(memory.version) if memory.version else None,
            iso(memory.covered),
            iso(memory.completion),
            iso(memory.seen),
            [[task, index, number] for (task, index), number in sorted(memory.tries.items())],
        ]
        for (dag_id, run_id), memory in sorted(runs.items())
    ]


def read_run(item: list[Any]) -> tuple[RunKey, RunMemory]:
    """One remembered run from its JSON list."""
    dag_id, run_id, version, covered, completion, seen, tries = item
    if version and len(version) != 3:
        raise ValueError(f"run {run_id!r}: a state of {len(version)} parts, expected 3")
    return (str(dag_id), str(run_id)), RunMemory(
        tuple(str(part) for part in version) if version else None,  # type: ignore[arg-type]
        date(covered),
        date(completion),
        {(str(task), int(index)): int(number) for task, index, number in tries},
        date(seen),
    )


def pack_forgotten(forgotten: dict[bytes, ForgottenRun]) -> str:
    """The compact record in base64, oldest first."""
    return base64.b64encode(
        b"".join(
            _TOMBSTONE.pack(
                h,
                f.start_hash or _NO_START,
                _micros(f.covered),
                f.completed | (_START_UNKNOWN if f.start_hash is None else 0),
            )
            for h, f in forgotten.items()
        )
    ).decode()


def unpack_forgotten(text: str) -> dict[bytes, ForgottenRun]:
    """What :func:`pack_forgotten` wrote, or the 12-byte records of the first cursors
    that kept forgotten runs (a run hash and the handled end in whole seconds; their
    start is unknown)."""
    raw = base64.b64decode(text.encode(), validate=True)
    if _is_tombstones(raw):
        return {
            run: ForgottenRun(
                None if flags & _START_UNKNOWN else start,
                checked_date(_EPOCH + timedelta(microseconds=micros)),
                bool(flags & 1),
            )
            for run, start, micros, flags in _TOMBSTONE.iter_unpack(raw)
        }
    if len(raw) % _LEGACY_TOMBSTONE.size:
        raise ValueError("the forgotten-run record is cut short")
    return {
        run: ForgottenRun(None, checked_date(_EPOCH + timedelta(seconds=seconds)), False)
        for run, seconds in _LEGACY_TOMBSTONE.iter_unpack(raw)
    }


def _is_tombstones(raw: bytes) -> bool:
    """Whether ``raw`` holds 21-byte records. When its length would fit both forms, the
    last byte decides: a record's flags (0 to 3) here, the high byte of a date in
    seconds in the 12-byte form (at least 0x5F since August 2020)."""
    if len(raw) % _TOMBSTONE.size:
        return False
    return not raw or raw[-1] <= (1 | _START_UNKNOWN)


def dag_ids(value: Any) -> frozenset[str] | None:
    """The covered DAG ids; ``None`` for a cursor written before they were kept."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("the DAG ids are not a list of strings")
    return frozenset(value)


def instance_name(value: Any) -> str | None:
    """The instance a cursor was written for; ``None`` for a cursor from before."""
    if value is not None and not isinstance(value, str):
        raise ValueError("the instance name is not a string")
    return value


def date(text: Any) -> datetime | None:
    """A stored date (``""`` or ``None``: none)."""
    if not text:
        return None
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a date")
    return checked_date(datetime.fromisoformat(text))


def checked_date(value: datetime) -> datetime:
    """``value``, if it has a time zone and is within the dates a cursor may hold."""
    if value.utcoffset() is None:
        raise ValueError(f"date {value.isoformat()} has no time zone")
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(f"date {value.isoformat()} is out of range")
    return value


def _micros(value: datetime) -> int:
    return (value - _EPOCH) // timedelta(microseconds=1)
