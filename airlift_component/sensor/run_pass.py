"""One pass of the sensor over Airflow, without Dagster: changed runs in, new task
tries and completions and the next cursor out.

1. Take the tick clock ``now`` first; list the finished runs Airflow changed
   since the cursor's window start (:meth:`AirflowClient.changed_dag_runs`).
2. Skip runs whose state the cursor remembers, and runs of DAGs the definitions
   do not know (returned to warn about, and *not* remembered, so they are
   recorded once the definitions know their DAG); stop at ``max_runs`` changed
   runs (the rest come on the next tick). :class:`~.run_listing.ChangedRuns`
   does this.
3. Catch up on DAGs new to the cursor: when the definitions know DAGs that the
   cursor's ``dags`` does not (a DAG added in Airflow and picked up by a
   refresh), list again from ``lookback`` before the window start, keeping
   only the runs of those DAGs. Other DAGs' runs in that listing are left
   alone: their window is unchanged.
4. Fetch the task instances of the changed runs in batches and settle each run
   (:func:`~.run_ledger.settle_run`). A run of a decommissioned DAG whose
   interval is Dagster's (:mod:`~.decommissioned`) is settled and remembered
   but not recorded; when it had something new, it is returned to warn about.
5. Move the high-water mark to ``now``, and count the new DAGs as covered, only
   when both listings were read to their end without a shift or the budget
   running out; otherwise keep both, so the next tick reads the same windows
   again (remembered runs cost nothing then).

With a time budget (a sensor tick's
:class:`~airlift_component.airflow_api.time_budget.TimeBudget`), the listing
stops once half of it is gone, like the ``max_runs`` budget, to leave time for
the task instances; when it runs out (:class:`OutOfTime`), the runs whose task
instances arrived are settled, the others are left for the next tick, which
reads the same window again.

Everything the pass cannot guarantee is returned as a warning for the log and
the tick's reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from airlift_component.airflow_api.changed_runs import RunStream
from airlift_component.airflow_api.time_budget import OutOfTime, TimeBudget
from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.config.short_list import short_list
from airlift_component.sensor.cursor import (
    DEFAULT_RETENTION,
    MAX_FORGOTTEN_RUNS,
    MAX_REMEMBERED_RUNS,
    RunKey,
    RunMemory,
    SensorCursor,
)
from airlift_component.sensor.decommissioned import dagster_owns, skipped_warning
from airlift_component.sensor.run_ledger import Launched, RunOutcome, settle_run
from airlift_component.sensor.run_listing import ChangedRuns

#: The rest of the tick is left for these, after the listing.
_AGAIN = "the window is read again; recorded runs are skipped"


class RunSource(Protocol):
    """What the pass needs of an Airflow client."""

    def changed_dag_runs(self, *, updated_at_gte: datetime) -> RunStream: ...

    def list_task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]: ...


@dataclass(frozen=True)
class PassSettings:
    """Limits of one pass."""

    lookback: timedelta
    overlap: timedelta
    max_runs: int
    batch_size: int
    retention: timedelta = DEFAULT_RETENTION
    max_remembered: int = MAX_REMEMBERED_RUNS
    max_forgotten: int = MAX_FORGOTTEN_RUNS


@dataclass
class PassResult:
    """The runs with something new, the next cursor, and what to warn about."""

    outcomes: list[RunOutcome]
    cursor: SensorCursor
    changed_runs: int = 0
    unknown_dags: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    #: Why the pass stopped for lack of time (also in ``limits``), if it did.
    out_of_time: str | None = None
    #: Why each run of a decommissioned DAG's Dagster interval was not recorded.
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Window:
    """Where one pass reads, and which DAGs it covers."""

    #: The earliest ``updated_at`` listed.
    since: datetime
    #: Where the sensor's coverage starts for this pass: a run it never saw counts as
    #: handled up to it.
    coverage: datetime | None
    #: The DAGs of the definitions, those the cursor covers, and those it does not yet.
    defined: frozenset[str]
    covered: frozenset[str]
    new_dags: frozenset[str]


def plan_window(
    cursor: SensorCursor, now: datetime, settings: PassSettings, defined: frozenset[str]
) -> Window:
    """The window of a pass at ``now`` over the DAGs ``defined``."""
    since = cursor.query_start(now, settings.lookback, settings.overlap)
    coverage = cursor.horizon
    if cursor.clock_ahead(now) and coverage is not None and coverage > since:
        # The window starts lookback before this clock (query_start); a horizon after
        # that was set by a clock ahead, and nothing before it was read.
        coverage = since
    # A first window reads lookback for every DAG; an older cursor (no ``dags``) is
    # upgraded with the DAGs of the definitions covered.
    known = cursor.dags if cursor.high_water is not None else None
    covered = defined if known is None else known & defined
    return Window(since, coverage, defined, covered, defined - covered)


@dataclass(frozen=True)
class _Pass:
    """The inputs of one pass (see :func:`sensor_pass`)."""

    client: RunSource
    cursor: SensorCursor
    now: datetime
    settings: PassSettings
    mapped_tasks: Mapping[str, Collection[str]]
    needs_tasks: Collection[str]
    fallback: ProxiedLookup
    launched: Callable[[Sequence[DagRun]], Launched] | None
    budget: TimeBudget | None
    #: The first Dagster tick of each decommissioned DAG.
    boundaries: Mapping[str, datetime]


@dataclass
class _Listings:
    """The listings a pass read, and why it stopped for lack of time, if it did."""

    main: RunStream | None = None
    catch_up: RunStream | None = None
    out_of_time: str | None = None


@dataclass
class _Fetched:
    """The task instances that arrived, by run, and the Dagster runs of those runs."""

    by_run: dict[RunKey, list[TaskInstance]] = field(default_factory=lambda: defaultdict(list))
    arrived: set[RunKey] = field(default_factory=set)
    out_of_time: str | None = None
    launched: Launched | None = None


def sensor_pass(
    client: RunSource,
    cursor: SensorCursor,
    *,
    now: datetime,
    settings: PassSettings,
    mapped_tasks: Mapping[str, Collection[str]],
    needs_tasks: Collection[str],
    fallback: ProxiedLookup,
    launched: Callable[[Sequence[DagRun]], Launched] | None = None,
    budget: TimeBudget | None = None,
    boundaries: Mapping[str, datetime] | None = None,
) -> PassResult:
    """One pass; ``mapped_tasks`` maps each DAG of the definitions to its mapped task
    ids, ``needs_tasks`` names the DAGs whose runs need their task instances (mapped
    tasks or DAG-level assets); ``launched`` finds the Dagster runs proxies launched for
    those runs (see :func:`~.run_ledger.settle_run`); ``budget`` is the time budget
    the requests share (see the module docstring); ``boundaries`` holds the first
    Dagster tick of each decommissioned DAG (see :mod:`~.decommissioned`). Raises
    ``AirflowApiError`` untouched, but for :class:`OutOfTime`."""
    p = _Pass(
        client,
        cursor,
        now,
        settings,
        mapped_tasks,
        needs_tasks,
        fallback,
        launched,
        budget,
        boundaries or {},
    )
    window = plan_window(cursor, now, settings, frozenset(mapped_tasks))
    limits = [_clock_ahead(cursor, now, settings)] if cursor.clock_ahead(now) else []
    runs = ChangedRuns(now, mapped_tasks, dict(cursor.runs), settings.max_runs, budget)
    listings = _list(p, window, runs)
    fetched = _task_instances(p, runs.changed) if listings.out_of_time is None else _Fetched()
    out_of_time = listings.out_of_time or fetched.out_of_time
    skipped: list[str] = []
    outcomes = _settle(p, window, runs, fetched, skipped)
    high_water, dags, incomplete = _next_mark(p, window, runs, listings, out_of_time)
    next_cursor, dropped = _next_cursor(p, window, runs.memory, high_water, dags)
    return PassResult(
        outcomes,
        next_cursor,
        len(runs.changed),
        sorted(runs.unknown_dags),
        limits + incomplete + dropped,
        out_of_time=out_of_time,
        skipped=skipped,
    )


def _list(p: _Pass, window: Window, runs: ChangedRuns) -> _Listings:
    """Read the window, then the look back for the DAGs new to the cursor."""
    listings = _Listings()
    try:
        listings.main = p.client.changed_dag_runs(updated_at_gte=window.since)
        if runs.read(listings.main) and window.new_dags:
            start = window.since - p.settings.lookback
            listings.catch_up = p.client.changed_dag_runs(updated_at_gte=start)
            runs.read(listings.catch_up, window.new_dags)
    except OutOfTime as exc:
        listings.out_of_time = str(exc)
    return listings


def _task_instances(p: _Pass, changed: Sequence[DagRun]) -> _Fetched:
    """The task instances of the changed runs that need them, batch by batch, until
    the time budget runs out; and the Dagster runs launched for the runs that arrived."""
    wanted = [run for run in changed if run.dag_id in p.needs_tasks]
    fetched = _Fetched()
    size = p.settings.batch_size
    for batch in (wanted[start : start + size] for start in range(0, len(wanted), size)):
        try:
            tis = p.client.list_task_instances(batch)
        except OutOfTime as exc:
            fetched.out_of_time = str(exc)
            break
        for ti in tis:
            fetched.by_run[(ti.dag_id, ti.run_id)].append(ti)
        fetched.arrived.update((run.dag_id, run.run_id) for run in batch)
    arrived = [run for run in wanted if (run.dag_id, run.run_id) in fetched.arrived]
    if p.launched is not None and arrived:
        fetched.launched = p.launched(arrived)
    return fetched


def _settle(
    p: _Pass, window: Window, runs: ChangedRuns, fetched: _Fetched, skipped: list[str]
) -> list[RunOutcome]:
    """Settle each changed run whose task instances arrived (or that needs none),
    remembering it in ``runs.memory``; the runs with something new. A run of a
    decommissioned DAG's Dagster interval is remembered as settled, not returned:
    why goes in ``skipped``."""
    outcomes: list[RunOutcome] = []
    for run in runs.changed:
        key = (run.dag_id, run.run_id)
        if run.dag_id in p.needs_tasks and key not in fetched.arrived:
            continue  # its task instances did not arrive in time: the next tick settles it
        outcome = settle_run(
            run,
            fetched.by_run.get(key, []),
            runs.memory.get(key),
            forgotten=p.cursor.forgotten_run(key) if key not in runs.memory else None,
            horizon=window.coverage,
            mapped_tasks=p.mapped_tasks[run.dag_id],
            fallback=p.fallback,
            seen=p.now,
            launched=fetched.launched,
        )
        assert outcome.memory is not None
        runs.memory[key] = outcome.memory
        first = dagster_owns(run, p.boundaries)
        if first is not None:
            if outcome.tries or outcome.completed:  # warned once: it is settled now
                skipped.append(skipped_warning(run, first))
            continue
        if outcome.tries or outcome.completed:
            outcomes.append(outcome)
    return outcomes


def _next_mark(
    p: _Pass, window: Window, runs: ChangedRuns, listings: _Listings, out_of_time: str | None
) -> tuple[datetime, frozenset[str], list[str]]:
    """The next high-water mark and covered DAGs, and the limits met: ``now`` and every
    DAG of the definitions only when both listings were read to their end."""
    stopped = runs.stopped is not None or out_of_time is not None
    catch_up = listings.catch_up
    caught_up = not window.new_dags or (catch_up is not None and catch_up.complete and not stopped)
    if listings.main is not None and listings.main.complete and not stopped and caught_up:
        return p.now, window.defined, []
    limits = _why_incomplete(p, runs, out_of_time)
    limits += [s.problem for s in (listings.main, catch_up) if s is not None and s.problem]
    if not caught_up:
        shown = short_list(sorted(window.new_dags), 3, quoted=True)
        limits.append(
            f"{len(window.new_dags)} DAG(s) new to the sensor ({shown}): their runs of the "
            f"{_hours(p.settings)} hour(s) before the window are still being caught up on; "
            "the next tick goes on"
        )
    return window.since + p.settings.overlap, window.covered, limits  # the same window again


def _why_incomplete(p: _Pass, runs: ChangedRuns, out_of_time: str | None) -> list[str]:
    if out_of_time is not None:
        return [
            f"{out_of_time}; the runs settled before are recorded, the rest on the next ticks ({_AGAIN})"
        ]
    if runs.stopped == "time":
        assert p.budget is not None
        return [
            f"half of the tick's {p.budget.deadline.seconds:g} s went on listing changed runs: "
            f"{len(runs.changed)} were settled, the rest are recorded on the next ticks ({_AGAIN})"
        ]
    if runs.stopped == "runs":
        return [
            f"more than {p.settings.max_runs} changed runs: the rest are recorded on the next "
            f"ticks ({_AGAIN})"
        ]
    return []


def _next_cursor(
    p: _Pass,
    window: Window,
    memory: dict[RunKey, RunMemory],
    high_water: datetime,
    dags: frozenset[str],
) -> tuple[SensorCursor, list[str]]:
    """The cursor to store, with the runs not listed lately moved to the compact record;
    and the limit met when the compact record overflowed."""
    horizon = window.coverage if p.cursor.high_water is not None else window.since
    cursor = SensorCursor(high_water, horizon, memory, p.cursor.forgotten, dags=dags)
    s = p.settings
    cursor, _ = cursor.forget_old(s.overlap, s.retention, s.max_remembered, s.max_forgotten)
    if not cursor.dropped:
        return cursor, []
    return cursor, [
        f"{cursor.dropped} long-forgotten run(s) left the compact record (it keeps "
        f"{s.max_forgotten}); if one of them is cleared and runs again, its tasks "
        "that did not re-run are recorded again"
    ]


def _clock_ahead(cursor: SensorCursor, now: datetime, settings: PassSettings) -> str:
    assert cursor.high_water is not None
    return (
        f"the cursor's high-water mark {cursor.high_water.isoformat()} is ahead of this "
        f"tick's clock {now.isoformat()} by {_duration(cursor.high_water - now)} (a clock "
        "that ran ahead and went back, or a cursor from another deployment): the runs "
        f"Airflow changed in the last {_hours(settings)} hour(s) are read again (those "
        "recorded are skipped) and the mark is set from this clock; a change made earlier "
        "while the clock was ahead is not recorded"
    )


def _hours(settings: PassSettings) -> str:
    return f"{settings.lookback / timedelta(hours=1):g}"


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"
