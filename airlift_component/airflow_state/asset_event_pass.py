"""The sensor's pass over Airflow's asset (dataset) events, without Dagster.

Each event Airflow records (an id, immutable, and a timestamp Airflow stamps on
it) is recorded once as a materialization of the Airflow asset's Dagster key.
The pass keeps, in the sensor cursor, an :class:`EventMemory`:

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
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from airlift_component.airflow_api.types import AirflowAssetEvent
from airlift_component.redact import scrub_userinfo

#: New events recorded per tick at most (the rest on the next ticks).
MAX_EVENTS_PER_TICK = 5_000
#: Event ids remembered at most (those in the overlap window).
MAX_REMEMBERED_EVENTS = 50_000

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class EventListing(Protocol):
    complete: bool
    problem: str | None

    def __iter__(self) -> Any: ...


class EventSource(Protocol):
    """What the pass needs of an Airflow client."""

    def asset_events(self, *, since: datetime) -> EventListing: ...


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


@dataclass
class EventPassResult:
    """New events of known assets (oldest first), the next memory, what to warn about."""

    events: list[AirflowAssetEvent]
    memory: EventMemory
    unknown_uris: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)


def _trim(
    seen: dict[int, datetime], floor: datetime | None, limit: int
) -> tuple[dict[int, datetime], int]:
    kept = {i: t for i, t in seen.items() if floor is None or t >= floor}
    if len(kept) <= limit:
        return kept, 0
    newest = sorted(kept.items(), key=lambda item: (item[1], item[0]))[len(kept) - limit :]
    return dict(newest), len(kept) - limit


def asset_event_pass(
    client: EventSource,
    memory: EventMemory,
    *,
    now: datetime,
    lookback: timedelta,
    overlap: timedelta,
    known_uris: Collection[str],
    max_events: int = MAX_EVENTS_PER_TICK,
    max_remembered: int = MAX_REMEMBERED_EVENTS,
) -> EventPassResult:
    """One pass; events of URIs not in ``known_uris`` are remembered (so they are looked
    at once) but not returned. Raises ``AirflowApiError`` untouched."""
    from airlift_component.airflow_state.sensor_cursor import CLOCK_TOLERANCE

    limits: list[str] = []
    if memory.high_water is not None and memory.high_water - now > CLOCK_TOLERANCE:
        # Not pulled back as the runs' mark is: event ids are kept for the window only,
        # so reading from an earlier start would record again events already recorded.
        limits.append(
            f"the Airflow asset events' high-water mark {memory.high_water.isoformat()} is "
            f"ahead of this tick's clock {now.isoformat()} (a clock that ran ahead and went "
            "back, or a cursor from another deployment): events Airflow records before "
            "this clock reaches it minus the overlap are not recorded; reset the sensor's "
            "cursor to start again from lookback_hours"
        )
    since = memory.window_start(now, lookback, overlap)
    listing = client.asset_events(since=since)
    seen = dict(memory.seen)
    new: list[AirflowAssetEvent] = []
    unknown: set[str] = set()
    budget_hit = False
    for event in listing:
        if event.event_id in seen or event.timestamp < since:
            continue
        seen[event.event_id] = event.timestamp
        if event.uri not in known_uris:
            unknown.add(event.uri)
            continue
        new.append(event)
        if len(new) >= max_events:
            budget_hit = True
            break
    high_water = memory.high_water
    if listing.complete and not budget_hit:
        high_water = now if high_water is None else max(high_water, now)
    elif budget_hit:
        limits.append(
            f"more than {max_events} new Airflow asset events: the rest are recorded on the "
            "next ticks (the window is read again; recorded events are skipped)"
        )
    elif listing.problem:
        limits.append(listing.problem)
    floor = high_water - overlap if high_water is not None else None
    kept, dropped = _trim(seen, floor, max_remembered)
    if dropped:
        limits.append(
            f"{dropped} Airflow asset event id(s) left the cursor (it keeps {max_remembered}); "
            "if Airflow lists one of them again it is recorded again"
        )
    new.sort(key=lambda event: (event.timestamp, event.event_id))
    return EventPassResult(new, EventMemory(high_water, kept), sorted(unknown), limits)


def redacted_extra(extra: Any, depth: int = 0) -> Any:
    """An event's ``extra`` fit for metadata: values under keys that look like secrets
    are replaced, nesting is cut at 5 levels."""
    if depth > 5:
        return "…"
    if isinstance(extra, dict):
        return {
            str(k): "<redacted>" if _secret_key(str(k)) else redacted_extra(v, depth + 1)
            for k, v in extra.items()
        }
    if isinstance(extra, list):
        return [redacted_extra(v, depth + 1) for v in extra]
    return scrub_userinfo(extra) if isinstance(extra, str) else extra


_SECRET_WORDS = ("password", "passwd", "secret", "token", "credential", "apikey", "api_key", "auth")


def _secret_key(key: str) -> bool:
    lowered = key.lower().replace("-", "_")
    return any(word in lowered for word in _SECRET_WORDS)
