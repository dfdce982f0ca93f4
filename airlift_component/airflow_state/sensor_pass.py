"""One pass of the sensor over Airflow, without Dagster: changed runs in, new task
tries and completions and the next cursor out.

1. Take the tick clock ``now`` first; list the finished runs Airflow changed
   since the cursor's window start (:meth:`AirflowClient.changed_dag_runs`).
2. Skip runs whose state the cursor remembers, and runs of DAGs the definitions
   do not know (returned to warn about, and *not* remembered, so they are
   recorded once the definitions know their DAG); stop at ``max_runs`` changed
   runs (the rest come on the next tick).
3. Catch up on DAGs new to the cursor: when the definitions know DAGs that the
   cursor's ``dags`` does not (a DAG added in Airflow and picked up by a
   refresh), list again from ``lookback`` before the window start, keeping
   only the runs of those DAGs. Other DAGs' runs in that listing are left
   alone: their window is unchanged.
4. Fetch the task instances of the changed runs in batches and settle each run
   (:func:`~airlift_component.airflow_state.run_ledger.settle_run`).
5. Move the high-water mark to ``now``, and count the new DAGs as covered, only
   when both listings were read to their end without a shift or the budget
   running out; otherwise keep both, so the next tick reads the same windows
   again (remembered runs cost nothing then).

With a time budget (a sensor tick's, see
:func:`~airlift_component.airflow_api.transport.time_budget`), the listing
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
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from airlift_component.airflow_api.changed_runs import RunStream
from airlift_component.airflow_api.retry import Deadline
from airlift_component.airflow_api.transport import OutOfTime
from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.airflow_state.run_ledger import Launched, RunOutcome, settle_run
from airlift_component.airflow_state.sensor_cursor import (
    CLOCK_TOLERANCE,
    DEFAULT_RETENTION,
    MAX_FORGOTTEN_RUNS,
    MAX_REMEMBERED_RUNS,
    RunKey,
    RunVersion,
    SensorCursor,
    run_version,
)
from airlift_component.config.short_list import short_list


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours} h {rest // 60} min" if hours else f"{rest // 60} min {rest % 60} s"


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


def _task_instances(
    client: RunSource, runs: Sequence[DagRun], batch_size: int
) -> tuple[dict[RunKey, list[TaskInstance]], set[RunKey], str | None]:
    """The task instances of ``runs`` by run, the runs whose batch arrived, and why the
    others did not (the time budget ran out)."""
    by_run: dict[RunKey, list[TaskInstance]] = defaultdict(list)
    arrived: set[RunKey] = set()
    for start in range(0, len(runs), batch_size):
        batch = runs[start : start + batch_size]
        try:
            tis = client.list_task_instances(batch)
        except OutOfTime as exc:
            return by_run, arrived, str(exc)
        for ti in tis:
            by_run[(ti.dag_id, ti.run_id)].append(ti)
        arrived.update((run.dag_id, run.run_id) for run in batch)
    return by_run, arrived, None


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
    budget: Deadline | None = None,
) -> PassResult:
    """One pass; ``mapped_tasks`` maps each DAG of the definitions to its mapped task
    ids, ``needs_tasks`` names the DAGs whose runs need their task instances (mapped
    tasks or DAG-level assets); ``launched`` finds the Dagster runs proxies launched for
    those runs (see :func:`~airlift_component.airflow_state.run_ledger.settle_run`);
    ``budget`` is the time budget the requests share (see the module docstring).
    Raises ``AirflowApiError`` untouched, but for :class:`OutOfTime`."""
    since = cursor.query_start(now, settings.lookback, settings.overlap)
    limits: list[str] = []
    coverage = cursor.horizon  # where the sensor's coverage starts, for this pass
    if cursor.high_water is not None and cursor.high_water - now > CLOCK_TOLERANCE:
        # The window starts lookback before this clock (query_start); a horizon after
        # that was set by a clock ahead, and nothing before it was read.
        if coverage is not None and coverage > since:
            coverage = since
        hours = settings.lookback / timedelta(hours=1)
        limits.append(
            f"the cursor's high-water mark {cursor.high_water.isoformat()} is ahead of this "
            f"tick's clock {now.isoformat()} by {_duration(cursor.high_water - now)} (a clock "
            "that ran ahead and went back, or a cursor from another deployment): the runs "
            f"Airflow changed in the last {hours:g} hour(s) are read again (those recorded "
            "are skipped) and the mark is set from this clock; a change made earlier while "
            "the clock was ahead is not recorded"
        )
    defined = frozenset(mapped_tasks)
    # A first window reads lookback for every DAG; an older cursor (no ``dags``) is
    # upgraded with the DAGs of the definitions covered.
    known = cursor.dags if cursor.high_water is not None else None
    covered = defined if known is None else known & defined
    new_dags = defined - covered
    runs = dict(cursor.runs)
    changed: list[DagRun] = []
    taken: set[tuple[RunKey, RunVersion]] = set()
    unknown: set[str] = set()

    halfway = False  # the listing stopped at half the time budget

    def read(stream: RunStream, only: frozenset[str] | None) -> bool:
        """Collect the changed runs of ``stream`` (of the DAGs ``only``); False when the
        budget (of runs, or half the time) ran out."""
        nonlocal halfway
        for run in stream:
            if only is not None and run.dag_id not in only:
                continue
            key = (run.dag_id, run.run_id)
            version = run_version(run)
            memory = runs.get(key)
            if memory is not None and memory.version == version:
                runs[key] = replace(memory, seen=now)
                continue
            if run.dag_id not in mapped_tasks:
                unknown.add(run.dag_id)  # not remembered: recorded once its DAG is known
                continue
            if (key, version) in taken:
                continue
            taken.add((key, version))
            changed.append(run)
            if len(changed) >= settings.max_runs:
                return False
            if budget is not None and budget.remaining < budget.seconds / 2:
                halfway = True
                return False
        return True

    out_of_time: str | None = None
    budget_hit = False
    stream: RunStream | None = None
    catch_up: RunStream | None = None
    try:
        stream = client.changed_dag_runs(updated_at_gte=since)
        budget_hit = not read(stream, None)
        if new_dags and not budget_hit:
            catch_up = client.changed_dag_runs(updated_at_gte=since - settings.lookback)
            budget_hit = not read(catch_up, new_dags)
    except OutOfTime as exc:
        out_of_time = str(exc)
    fetch = [run for run in changed if run.dag_id in needs_tasks]
    tis: dict[RunKey, list[TaskInstance]] = {}
    arrived: set[RunKey] = set()
    if fetch and out_of_time is None:
        tis, arrived, out_of_time = _task_instances(client, fetch, settings.batch_size)
    fetched = [run for run in fetch if (run.dag_id, run.run_id) in arrived]
    dagster_runs = launched(fetched) if launched is not None and fetched else None
    outcomes: list[RunOutcome] = []
    for run in changed:
        key = (run.dag_id, run.run_id)
        if run.dag_id in needs_tasks and key not in arrived:
            continue  # its task instances did not arrive in time: the next tick settles it
        outcome = settle_run(
            run,
            tis.get(key, []),
            runs.get(key),
            forgotten=cursor.forgotten_run(key) if key not in runs else None,
            horizon=coverage,
            mapped_tasks=mapped_tasks[run.dag_id],
            fallback=fallback,
            seen=now,
            launched=dagster_runs,
        )
        assert outcome.memory is not None
        runs[key] = outcome.memory
        if outcome.tries or outcome.completed:
            outcomes.append(outcome)
    budget_hit = budget_hit or out_of_time is not None
    caught_up = not new_dags or (catch_up is not None and catch_up.complete and not budget_hit)
    if stream is not None and stream.complete and not budget_hit and caught_up:
        high_water = now
        dags = defined
    else:
        high_water = since + settings.overlap  # the same window again
        dags = covered
        if out_of_time is not None:
            limits.append(
                f"{out_of_time}; the runs settled before are recorded, the rest on the next "
                "ticks (the window is read again; recorded runs are skipped)"
            )
        elif halfway:
            assert budget is not None
            limits.append(
                f"half of the tick's {budget.seconds:g} s went on listing changed runs: "
                f"{len(changed)} were settled, the rest are recorded on the next ticks (the "
                "window is read again; recorded runs are skipped)"
            )
        elif budget_hit:
            limits.append(
                f"more than {settings.max_runs} changed runs: the rest are recorded on "
                "the next ticks (the window is read again; recorded runs are skipped)"
            )
        for listing in (stream, catch_up):
            if listing is not None and listing.problem:
                limits.append(listing.problem)
    if new_dags and not caught_up:
        shown = short_list(sorted(new_dags), 3, quoted=True)
        hours = settings.lookback / timedelta(hours=1)
        limits.append(
            f"{len(new_dags)} DAG(s) new to the sensor ({shown}): their runs of the {hours:g} "
            "hour(s) before the window are still being caught up on; the next tick goes on"
        )
    horizon = coverage if cursor.high_water is not None else since
    next_cursor = SensorCursor(high_water, horizon, runs, cursor.forgotten, dags=dags)
    next_cursor, _ = next_cursor.forget_old(
        settings.overlap, settings.retention, settings.max_remembered, settings.max_forgotten
    )
    if next_cursor.dropped:
        limits.append(
            f"{next_cursor.dropped} long-forgotten run(s) left the compact record (it keeps "
            f"{settings.max_forgotten}); if one of them is cleared and runs again, its tasks "
            "that did not re-run are recorded again"
        )
    return PassResult(
        outcomes, next_cursor, len(changed), sorted(unknown), limits, out_of_time=out_of_time
    )
