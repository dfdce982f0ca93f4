"""What one changed run has that was not recorded yet: task tries and a completion.

The unit of record is a task try, ``(dag_id, run_id, task_id, map_index,
try_number)`` of one instance: a successful try is recorded once. A run's
*completion* (the DAG asset and the DAG-level assets) is keyed by the end date
of a successful finish: a run cleared and finishing successfully again is a new
completion; a run re-listed without re-running is not.

Proxied or not is what Airflow recorded on the task instance (see
:func:`airlift_component.airflow_state.proxied.recorded_proxy`), never today's
files: a proxied try's assets were materialized by the Dagster run it launched,
so it is settled without an event; in a run proxied as a whole no task try is
recorded (the Dagster run materialized every asset of the DAG), only the
completion's DAG asset.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.airflow_state.proxied import ProxiedLookup, ProxyKind, recorded_proxy
from airlift_component.sensor.run_memory import (
    ForgottenRun,
    RunMemory,
    TaskKey,
    iso,
    run_version,
)


@dataclass
class RunOutcome:
    """The new tries and completion of one run, and what to remember of it."""

    run: DagRun
    tries: list[TaskInstance] = field(default_factory=list)
    completed: bool = False
    dag_proxied: bool = False
    memory: RunMemory | None = None
    #: Task ids Airflow listed for the run (to warn about mapped tasks that did not run).
    task_ids: frozenset[str] = frozenset()


def _handled_before(ti: TaskInstance, run: DagRun, memory: RunMemory) -> bool:
    """Whether a successful try was already settled (recorded or proxied)."""
    key: TaskKey = (ti.task_id, ti.map_index)
    if key in memory.tries:
        return ti.try_number <= memory.tries[key]
    covered = memory.covered
    if covered is None or ti.end_date is None or ti.end_date > covered:
        return False
    if memory.version is None and run.end_date is not None and run.end_date <= covered:
        # Not read in any state (a run of a format-1 cursor, or one that ended before
        # the sensor's coverage began) and not run again since: all of it was handled.
        return True
    forgotten = memory.version is not None and memory.version[0] == "?"
    if forgotten and memory.version is not None and memory.version[1] == iso(run.start_date):
        return True  # not started again since: every try that ended by then was handled
    # Started again since (a clear): a try that ended before the new start belongs to
    # the completion handled before.
    started = run.start_date
    return started is not None and ti.end_date < started


def _stand_in(
    run: DagRun, forgotten: ForgottenRun | None, horizon: datetime | None
) -> RunMemory | None:
    """A memory for a run the cursor does not remember in full."""
    if forgotten is not None:
        same = forgotten.same_start(run)
        start = iso(run.start_date) if same else "?"
        completion = forgotten.covered if forgotten.completed else None
        if same and forgotten.start_hash is None:
            completion = run.end_date  # the end it was handled to, completed or not
        return RunMemory(("?", start, "?"), forgotten.covered, completion)
    if horizon is not None:
        return RunMemory(None, horizon, horizon)
    return None


#: Try numbers of the Dagster runs launched per (dag_id, run_id, task_id), when known.
Launched = Mapping[tuple[str, str, str], frozenset[int]]


def _proxied_try(ti: TaskInstance, kind: ProxyKind | None, launched: Launched | None) -> bool:
    """Whether this try's assets were made by a Dagster run the proxy launched.

    With ``launched`` (the Dagster runs tagged with this Airflow task), the runs
    decide: one tagged with this try, or with an earlier try that a proxy try
    reused. Without it, the operator Airflow recorded decides. (Airflow 3 records
    the operator when the run is created, so a flip while the run is in flight is
    only seen through the Dagster runs.)"""
    if launched is None:
        return kind is not None
    tries = launched.get((ti.dag_id, ti.run_id, ti.task_id), frozenset())
    if ti.try_number in tries:
        return True
    return kind is not None and any(number <= ti.try_number for number in tries)


def settle_run(
    run: DagRun,
    tis: Sequence[TaskInstance],
    memory: RunMemory | None,
    *,
    forgotten: ForgottenRun | None = None,
    horizon: datetime | None = None,
    mapped_tasks: Collection[str],
    fallback: ProxiedLookup,
    seen: datetime,
    launched: Launched | None = None,
) -> RunOutcome:
    """Decide what of ``run`` (with its task instances ``tis``) is new. ``memory`` is
    what the cursor remembers of it; a run it does not remember in full is judged by
    its ``forgotten`` record, or else as handled up to the ``horizon``."""
    outcome = RunOutcome(run)
    end = run.end_date
    known = memory or _stand_in(run, forgotten, horizon)
    tries = dict(memory.tries) if memory is not None else {}
    kinds = {(ti.task_id, ti.map_index): recorded_proxy(ti, fallback) for ti in tis}
    outcome.dag_proxied = "dag" in kinds.values() or (
        not any(ti.operator for ti in tis) and fallback.dag_proxied(run.dag_id)
    )
    outcome.task_ids = frozenset(ti.task_id for ti in tis)
    for ti in tis:
        if ti.task_id not in mapped_tasks or ti.state != "success":
            continue
        key: TaskKey = (ti.task_id, ti.map_index)
        proxied = outcome.dag_proxied or _proxied_try(ti, kinds[key], launched)
        if not proxied and (known is None or not _handled_before(ti, run, known)):
            outcome.tries.append(ti)
        tries[key] = max(tries.get(key, 0), ti.try_number)
    last = known.completion if known is not None else None
    if run.state == "success" and end is not None:
        outcome.completed = last is None or end != last
        if memory is None and forgotten is None and horizon is not None and end <= horizon:
            outcome.completed = False  # finished before the sensor's coverage began
    completion = end if run.state == "success" else last
    outcome.memory = RunMemory(run_version(run), end, completion, tries, seen)
    return outcome
