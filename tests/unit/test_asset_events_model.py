"""Exactly once for Airflow asset events, against a hostile model of Airflow's event table.

A model Airflow (v1: no time filter, no tie-break; v2: ``timestamp_gte`` and ids
breaking ties) holds events that are *begun* (id and timestamp assigned, as at
insert) and *committed* later, in any order, within the overlap. Random
sequences interleave, with the sensor's passes:

* commits, late commits (a smaller id and an older timestamp becoming visible
  after newer events), events of assets the definitions do not know;
* commits *between the pages* of one listing (rows pushed down, pages overlap);
* the tick clock moving by seconds to hours, the Airflow clock skewed against it;
* a tick failing halfway (its cursor is not stored: the next tick starts from the
  last stored cursor, re-listing what the failed one saw);
* ``db clean`` deleting old events (rows pulled up under a listing);
* a small per-tick budget (the window is read again over several ticks);
* every stored cursor written to its JSON form and read back (a sensor restart).

At the end, after quiet ticks, every committed event of a known asset was
recorded exactly once and no other event at all; at no point was one recorded
twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.airflow_api.asset_events import AssetEventStream
from airlift_component.airflow_api.types import AirflowAssetEvent
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.event_pass import EventMemory, asset_event_pass

KNOWN = ("s3://lake/a", "s3://lake/b")
UNKNOWN = "s3://elsewhere/z"
OVERLAP = timedelta(minutes=10)
LOOKBACK = timedelta(hours=24)
START = datetime(2026, 11, 1, tzinfo=timezone.utc)


class TickFailed(Exception):
    pass


@dataclass
class ModelAirflow:
    api: str
    rng: random.Random
    page_size: int = 4
    clock: datetime = START
    skew: timedelta = timedelta(0)
    pending: list[AirflowAssetEvent] = field(default_factory=list)
    rows: list[AirflowAssetEvent] = field(default_factory=list)
    ever_committed: list[AirflowAssetEvent] = field(default_factory=list)
    next_id: int = 1
    #: Per page of the next listing: commit between pages, fail the tick, clean.
    hostile: float = 0.0
    fail_armed: bool = False
    #: What the sensor recorded so far (rows it may see deleted).
    recorded: dict[int, int] | None = None

    @property
    def airflow_now(self) -> datetime:
        return self.clock + self.skew

    def begin(self, uri: str) -> None:
        # v1 orders ties arbitrarily: keep its timestamps distinct (see docs, limits).
        stamp = self.airflow_now + timedelta(microseconds=self.next_id)
        self.pending.append(AirflowAssetEvent(self.next_id, uri, stamp))
        self.next_id += 1

    def commit(self, index: int | None = None) -> None:
        if not self.pending:
            return
        event = self.pending.pop(self.rng.randrange(len(self.pending)) if index is None else index)
        self.rows.append(event)
        self.ever_committed.append(event)

    def commit_overdue(self, limit: timedelta) -> None:
        """Events may be committed late, but within ``limit`` of their timestamp."""
        for event in list(self.pending):
            if self.airflow_now - event.timestamp >= limit:
                self.pending.remove(event)
                self.rows.append(event)
                self.ever_committed.append(event)

    def clean(self, gone: set[int]) -> None:
        """Rows deleted (``airflow db clean``): only events the sensor recorded already or
        that it never records (a deleted event the sensor never saw is lost for good)."""
        doomed = {row.event_id for row in self.rows if row.event_id in gone or row.uri == UNKNOWN}
        if doomed:
            victim = self.rng.choice(sorted(doomed))
            self.rows = [row for row in self.rows if row.event_id != victim]

    def asset_events(self, *, since: datetime) -> AssetEventStream:
        def fetch(offset: int, limit: int) -> tuple[list[AirflowAssetEvent], int | None]:
            if offset and self.rng.random() < self.hostile:
                choice = self.rng.choice(["commit", "begin_commit", "fail", "clean"])
                if choice == "commit":
                    self.commit()
                elif choice == "begin_commit":
                    self.begin(self.rng.choice(KNOWN))
                    self.commit(len(self.pending) - 1)
                elif choice == "fail" and self.fail_armed:
                    self.fail_armed = False
                    raise TickFailed
                elif choice == "clean" and self.recorded is not None:
                    self.clean(set(self.recorded))
            rows = [r for r in self.rows if self.api == "v1" or r.timestamp >= since]
            rows.sort(key=lambda r: (r.timestamp, r.event_id), reverse=True)
            return rows[offset : offset + min(limit, self.page_size)], len(rows)

        return AssetEventStream(fetch, self.page_size, since)


@dataclass
class Sensor:
    airflow: ModelAirflow
    max_events: int
    stored: str | None = None
    recorded: dict[int, int] = field(default_factory=dict)
    unknown_seen: set[int] = field(default_factory=set)
    limits: list[str] = field(default_factory=list)

    def tick(self) -> None:
        cursor = SensorCursor.from_json(self.stored)
        try:
            result = asset_event_pass(
                self.airflow,
                cursor.asset_events,
                now=self.airflow.clock,
                lookback=LOOKBACK,
                overlap=OVERLAP,
                known_uris=KNOWN,
                max_events=self.max_events,
            )
        except TickFailed:
            return  # nothing stored: neither events nor cursor
        self.limits = result.limits
        for event in result.events:
            assert event.uri in KNOWN
            self.recorded[event.event_id] = self.recorded.get(event.event_id, 0) + 1
            assert self.recorded[event.event_id] == 1, f"event {event.event_id} recorded twice"
        stored = SensorCursor(cursor.high_water, cursor.horizon, asset_events=result.memory)
        self.stored = stored.to_json()


def run_sequence(api: str, seed: int, steps: int) -> None:
    rng = random.Random(seed)
    # The server's page cap; the listing asks one row more per page (its overlap).
    airflow = ModelAirflow(api, rng, page_size=rng.choice([2, 3, 5, 100]))
    airflow.skew = timedelta(seconds=rng.uniform(-120, 120))
    sensor = Sensor(airflow, max_events=rng.choice([1, 2, 7, 5000]))
    airflow.recorded = sensor.recorded
    lateness = OVERLAP - abs(airflow.skew) - timedelta(seconds=30)
    for _ in range(steps):
        airflow.hostile = rng.choice([0.0, 0.0, 0.3, 0.8])
        action = rng.random()
        if action < 0.35:
            airflow.begin(rng.choice([*KNOWN, *KNOWN, UNKNOWN]))
        elif action < 0.55:
            airflow.commit()
        elif action < 0.75:
            step = timedelta(seconds=rng.choice([1, 5, 30, 90, 240, 3600]))
            airflow.commit_overdue(lateness - step)  # nothing commits later than `lateness`
            airflow.clock += step
        elif action < 0.8:
            airflow.fail_armed = True
            airflow.hostile = max(airflow.hostile, 0.5)
            sensor.tick()
        elif action < 0.83:
            airflow.clean(set(sensor.recorded))
        else:
            sensor.tick()
    # quiet: everything commits, then ticks until the windows are read to the end
    while airflow.pending:
        airflow.commit()
    airflow.hostile = 0.0
    airflow.fail_armed = False
    for _ in range(len(airflow.ever_committed) + 3):
        airflow.clock += timedelta(seconds=1)
        sensor.tick()
    expected = {e.event_id for e in airflow.ever_committed if e.uri in KNOWN}
    lost = expected - set(sensor.recorded)
    extra = set(sensor.recorded) - expected
    doubled = {i for i, n in sensor.recorded.items() if n != 1}
    assert (lost, extra, doubled) == (set(), set(), set()), (api, seed)


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_seeded_hostile_sequences_record_each_event_exactly_once(api: str) -> None:
    for seed in range(400):
        run_sequence(api, seed, steps=80)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(api=st.sampled_from(["v1", "v2"]), seed=st.integers(0, 2**32), steps=st.integers(1, 150))
def test_hypothesis_sequences_record_each_event_exactly_once(
    api: str, seed: int, steps: int
) -> None:
    run_sequence(api, seed, steps)


def test_events_committed_within_the_overlap_but_after_the_window_moved_are_recorded() -> None:
    """A late commit: event 1 begun first, event 2 committed and recorded, the tick
    clock moves past event 1's timestamp, then event 1 commits; it is still in the
    overlap window and is recorded, once."""
    airflow = ModelAirflow("v2", random.Random(0))
    sensor = Sensor(airflow, max_events=100)
    airflow.begin(KNOWN[0])
    airflow.begin(KNOWN[1])
    airflow.commit(1)
    sensor.tick()
    assert set(sensor.recorded) == {2}
    airflow.clock += timedelta(minutes=5)
    sensor.tick()
    airflow.commit(0)
    sensor.tick()
    sensor.tick()
    assert sensor.recorded == {1: 1, 2: 1}


def test_a_mark_ahead_of_the_clock_is_named_as_a_limit_and_nothing_is_recorded_twice() -> None:
    """A tick whose clock ran 3 hours ahead moves the mark there; the ticks after the
    clock came back say so (events of that time are missed), and record nothing twice."""
    airflow = ModelAirflow("v2", random.Random(0))
    sensor = Sensor(airflow, max_events=100)
    airflow.begin(KNOWN[0])
    airflow.commit()
    sensor.tick()
    real = airflow.clock
    airflow.clock = real + timedelta(hours=3)
    sensor.tick()
    assert sensor.limits == []  # a clock ahead cannot be told from a correct one
    airflow.clock = real + timedelta(minutes=1)
    sensor.tick()
    assert sensor.recorded == {1: 1}
    assert "ahead of this tick's clock" in " ".join(sensor.limits)


def test_forgotten_ids_are_only_those_no_listing_can_return() -> None:
    airflow = ModelAirflow("v1", random.Random(0))
    sensor = Sensor(airflow, max_events=100)
    for _ in range(3):
        airflow.begin(KNOWN[0])
        airflow.commit()
    sensor.tick()
    airflow.clock += OVERLAP * 2
    sensor.tick()  # moves the high-water mark past the old events' window
    sensor.tick()
    memory = SensorCursor.from_json(sensor.stored).asset_events
    assert memory.seen == {}  # nothing left to remember: the window starts after them
    assert sensor.recorded == {1: 1, 2: 1, 3: 1}  # and v1's listing, cut at the window, skips them


def test_memory_round_trips_and_an_empty_memory_leaves_the_cursor_unchanged() -> None:
    memory = EventMemory(START, {7: START + timedelta(microseconds=3), 9: START})
    cursor = SensorCursor(START, START, asset_events=memory)
    assert SensorCursor.from_json(cursor.to_json()).asset_events == memory
    assert "asset_events" not in SensorCursor(START, START).to_json()
