"""The sensor's pass over Airflow's asset (dataset) events, without Dagster.

Each event Airflow records (an id, immutable, and a timestamp Airflow stamps on
it) is recorded once as a materialization of the Airflow asset's Dagster key.
The pass keeps, in the sensor cursor, an :class:`~.event_memory.EventMemory`:

* ``high_water``: the tick clock at the start of the last tick that read every
  event of its window; the next tick lists events with ``timestamp >=
  high_water - overlap`` (the overlap absorbs events committed late and clock
  skew, as for runs);
* ``seen``: the id and timestamp of every event listed in that window. An event
  listed again (the overlap, a page read twice, a tick repeated after a failure)
  is skipped by its id. An id is forgotten once its timestamp falls before the
  next window's start: no later listing can return it (Airflow 3 filters by
  time; the Airflow 2 listing is cut at the window start here), so forgetting
  it cannot record it twice. At most :data:`MAX_REMEMBERED_EVENTS` ids are kept
  (the oldest go first, and the tick says so).

The high-water mark moves only when the listing was read to its end without a
row moving under it and within :data:`MAX_EVENTS_PER_TICK` new events;
otherwise the window is read again on the next tick, where the events already
recorded cost one lookup each.

An event is matched to the asset of the definitions by its URI and, where
Airflow gives one (Airflow 3, and Airflow 2's ``dataset_id``) and the state
holds the asset's id, by that id too: Airflow 3 keeps an asset that was
replaced (same URI, another name) as an inactive asset with its own id, and
its events are not the active asset's.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from airlift_component.airflow_api.types import AirflowAssetEvent
from airlift_component.sensor.cursor import CLOCK_TOLERANCE
from airlift_component.sensor.event_memory import EventMemory

__all__ = [
    "MAX_EVENTS_PER_TICK",
    "MAX_REMEMBERED_EVENTS",
    "EventListing",
    "EventMemory",
    "EventPassResult",
    "EventSource",
    "asset_event_pass",
]

#: New events recorded per tick at most (the rest on the next ticks).
MAX_EVENTS_PER_TICK = 5_000
#: Event ids remembered at most (those in the overlap window).
MAX_REMEMBERED_EVENTS = 50_000


class EventListing(Protocol):
    """Events newest first; after the iteration, whether every one was read."""

    complete: bool
    problem: str | None

    def __iter__(self) -> Iterator[AirflowAssetEvent]: ...


class EventSource(Protocol):
    """What the pass needs of an Airflow client."""

    def asset_events(self, *, since: datetime) -> EventListing: ...


@dataclass
class EventPassResult:
    """New events of known assets (oldest first), the next memory, what to warn about."""

    events: list[AirflowAssetEvent]
    memory: EventMemory
    unknown_uris: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)


@dataclass
class _Read:
    """What one listing brought: every id of the window, the new events of known assets,
    the unknown URIs, and whether ``max_events`` stopped it."""

    seen: dict[int, datetime]
    new: list[AirflowAssetEvent] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)
    #: Asset ids, by URI, of events of another asset sharing a known URI.
    other_ids: dict[str, set[int]] = field(default_factory=dict)
    full: bool = False


def asset_event_pass(
    client: EventSource,
    memory: EventMemory,
    *,
    now: datetime,
    lookback: timedelta,
    overlap: timedelta,
    known_uris: Collection[str],
    known_ids: Mapping[str, int | None] | None = None,
    max_events: int = MAX_EVENTS_PER_TICK,
    max_remembered: int = MAX_REMEMBERED_EVENTS,
) -> EventPassResult:
    """One pass; events of URIs not in ``known_uris`` are remembered (so they are looked
    at once) but not returned. ``known_ids`` gives Airflow's id of the asset known by
    each URI: an event that names another asset id is of another asset (on Airflow 3,
    an inactive asset that shares the URI with the active one) and is not returned
    either. Raises ``AirflowApiError`` untouched."""
    limits = [_clock_ahead(memory.high_water, now)] if _ahead(memory.high_water, now) else []
    since = memory.window_start(now, lookback, overlap)
    listing = client.asset_events(since=since)
    known = _Known(known_uris, known_ids or {})
    read = _read(listing, since, dict(memory.seen), known, max_events)
    high_water = memory.high_water
    if listing.complete and not read.full:
        high_water = now if high_water is None else max(high_water, now)
    elif read.full:
        limits.append(
            f"more than {max_events} new Airflow asset events: the rest are recorded on the "
            "next ticks (the window is read again; recorded events are skipped)"
        )
    elif listing.problem:
        limits.append(listing.problem)
    floor = high_water - overlap if high_water is not None else None
    kept, dropped = _trim(read.seen, floor, max_remembered)
    if dropped:
        limits.append(
            f"{dropped} Airflow asset event id(s) left the cursor (it keeps {max_remembered}); "
            "if Airflow lists one of them again it is recorded again"
        )
    read.new.sort(key=lambda event: (event.timestamp, event.event_id))
    if read.other_ids:
        limits.append(_other_assets(read.other_ids))
    return EventPassResult(read.new, EventMemory(high_water, kept), sorted(read.unknown), limits)


def _other_assets(other: dict[str, set[int]]) -> str:
    shown = ", ".join(
        f"{uri!r} (asset id {', '.join(str(i) for i in sorted(ids))})"
        for uri, ids in sorted(other.items())[:5]
    )
    return (
        f"Airflow asset events of asset(s) that share a URI with the asset in the "
        f"definitions but are another asset (inactive, or replaced since the state was "
        f"fetched): {shown}; not recorded. If the asset was replaced, run `airlift "
        "refresh` and reload the code location"
    )


@dataclass(frozen=True)
class _Known:
    """The assets of the definitions: their URIs and, where known, Airflow's ids."""

    uris: Collection[str]
    ids: Mapping[str, int | None]

    def verdict(self, event: AirflowAssetEvent) -> str:
        """``"known"``, ``"unknown"`` (a URI not in the definitions) or ``"other"``
        (the URI is known, the event's asset id is another asset's)."""
        if event.uri not in self.uris:
            return "unknown"
        known_id = self.ids.get(event.uri)
        if known_id is None or event.asset_id is None or event.asset_id == known_id:
            return "known"
        return "other"


def _read(
    listing: EventListing,
    since: datetime,
    seen: dict[int, datetime],
    known: _Known,
    max_events: int,
) -> _Read:
    read = _Read(seen)
    for event in listing:
        if event.event_id in seen or event.timestamp < since:
            continue
        seen[event.event_id] = event.timestamp
        verdict = known.verdict(event)
        if verdict == "unknown":
            read.unknown.add(event.uri)
            continue
        if verdict == "other":
            assert event.asset_id is not None
            read.other_ids.setdefault(event.uri, set()).add(event.asset_id)
            continue
        read.new.append(event)
        if len(read.new) >= max_events:
            read.full = True
            break
    return read


def _ahead(high_water: datetime | None, now: datetime) -> bool:
    return high_water is not None and high_water - now > CLOCK_TOLERANCE


def _clock_ahead(high_water: datetime | None, now: datetime) -> str:
    # Not pulled back as the runs' mark is: event ids are kept for the window only,
    # so reading from an earlier start would record again events already recorded.
    assert high_water is not None
    return (
        f"the Airflow asset events' high-water mark {high_water.isoformat()} is "
        f"ahead of this tick's clock {now.isoformat()} (a clock that ran ahead and went "
        "back, or a cursor from another deployment): events Airflow records before "
        "this clock reaches it minus the overlap are not recorded; reset the sensor's "
        "cursor to start again from lookback_hours"
    )


def _trim(
    seen: dict[int, datetime], floor: datetime | None, limit: int
) -> tuple[dict[int, datetime], int]:
    kept = {i: t for i, t in seen.items() if floor is None or t >= floor}
    if len(kept) <= limit:
        return kept, 0
    newest = sorted(kept.items(), key=lambda item: (item[1], item[0]))[len(kept) - limit :]
    return dict(newest), len(kept) - limit
