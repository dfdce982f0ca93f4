"""What the sensor remembers of one Airflow run, in full or in 20 bytes.

A run is *remembered* (:class:`RunMemory`) while it was listed recently: the
state it was last seen in, the end it was handled to, the end of its last
recorded completion and the highest settled try per task. Later it is
*forgotten* to a compact record (:class:`ForgottenRun`): a hash of its start
date, the end it was handled to and whether that was a completion, kept under
a hash of its id (:func:`run_hash`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from airlift_component.airflow_api.types import DagRun

RunKey = tuple[str, str]
TaskKey = tuple[str, int]
RunVersion = tuple[str, str, str]


def iso(value: datetime | None) -> str:
    """``value`` as ISO 8601, ``""`` for none."""
    return value.isoformat() if value is not None else ""


def run_version(run: DagRun) -> RunVersion:
    """What tells one state of a run from the next: a clear, re-run or mark changes it."""
    return (run.state, iso(run.start_date), iso(run.end_date))


def run_hash(key: RunKey) -> bytes:
    """The 8-byte name of a forgotten run."""
    return hashlib.blake2b("\x00".join(key).encode(), digest_size=8).digest()


def short_hash(text: str) -> bytes:
    """The 4-byte trace of a forgotten run's start date."""
    return hashlib.blake2b(text.encode(), digest_size=4).digest()


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

    #: The 4-byte trace of the start date it was handled in; ``None`` when unknown (a
    #: run upgraded from a format-1 cursor, or a record of the 12-byte form): such a run
    #: has not run again since while its end date is at or before ``covered``.
    start_hash: bytes | None
    #: End date of the state last handled.
    covered: datetime
    #: Whether that state was a successful completion (recorded).
    completed: bool

    def same_start(self, run: DagRun) -> bool:
        """True when the run has not been cleared and started again since."""
        if self.start_hash is None:
            return run.end_date is not None and run.end_date <= self.covered
        return short_hash(iso(run.start_date)) == self.start_hash

    @classmethod
    def of(cls, memory: RunMemory) -> ForgottenRun | None:
        """The compact record of a remembered run (``None`` for one never handled)."""
        if memory.covered is None:
            return None
        if memory.version is None:  # upgraded from format 1: its start was never read
            return cls(None, memory.covered, memory.completion == memory.covered)
        start = memory.version[1]
        return cls(short_hash(start), memory.covered, memory.completion == memory.covered)
