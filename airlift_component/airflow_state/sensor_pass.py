"""One pass of the sensor over Airflow, without Dagster: changed runs in, new task
tries and completions and the next cursor out.

1. Take the tick clock ``now`` first; list the finished runs Airflow changed
   since the cursor's window start (:meth:`AirflowClient.changed_dag_runs`).
2. Skip runs whose state the cursor remembers; stop at ``max_runs`` changed
   runs (the rest come on the next tick).
3. Fetch the task instances of the changed runs in batches and settle each run
   (:func:`~airlift_component.airflow_state.run_ledger.settle_run`).
4. Move the high-water mark to ``now`` only when the listing was read to its
   end without a shift; otherwise keep it, so the next tick reads the same
   window again (remembered runs cost nothing then).

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
from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.airflow_state.run_ledger import Launched, RunOutcome, settle_run
from airlift_component.airflow_state.sensor_cursor import (
    DEFAULT_RETENTION,
    MAX_FORGOTTEN_RUNS,
    MAX_REMEMBERED_RUNS,
    RunKey,
    RunMemory,
    SensorCursor,
    run_version,
)


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


def _task_instances(
    client: RunSource, runs: Sequence[DagRun], batch_size: int
) -> dict[RunKey, list[TaskInstance]]:
    by_run: dict[RunKey, list[TaskInstance]] = defaultdict(list)
    for start in range(0, len(runs), batch_size):
        for ti in client.list_task_instances(runs[start : start + batch_size]):
            by_run[(ti.dag_id, ti.run_id)].append(ti)
    return by_run


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
) -> PassResult:
    """One pass; ``mapped_tasks`` maps each DAG of the definitions to its mapped task
    ids, ``needs_tasks`` names the DAGs whose runs need their task instances (mapped
    tasks or DAG-level assets); ``launched`` finds the Dagster runs proxies launched for
    those runs (see :func:`~airlift_component.airflow_state.run_ledger.settle_run`).
    Raises ``AirflowApiError`` untouched."""
    since = cursor.query_start(now, settings.lookback, settings.overlap)
    stream = client.changed_dag_runs(updated_at_gte=since)
    runs = dict(cursor.runs)
    changed: list[DagRun] = []
    unknown: set[str] = set()
    budget_hit = False
    for run in stream:
        key = (run.dag_id, run.run_id)
        memory = runs.get(key)
        if memory is not None and memory.version == run_version(run):
            runs[key] = replace(memory, seen=now)
            continue
        if run.dag_id not in mapped_tasks:
            unknown.add(run.dag_id)
            runs[key] = RunMemory(run_version(run), run.end_date, None, {}, now)
            continue
        changed.append(run)
        if len(changed) >= settings.max_runs:
            budget_hit = True
            break
    fetch = [run for run in changed if run.dag_id in needs_tasks]
    tis = _task_instances(client, fetch, settings.batch_size) if fetch else {}
    dagster_runs = launched(fetch) if launched is not None and fetch else None
    outcomes: list[RunOutcome] = []
    for run in changed:
        key = (run.dag_id, run.run_id)
        outcome = settle_run(
            run,
            tis.get(key, []),
            runs.get(key),
            forgotten=cursor.forgotten_run(key) if key not in runs else None,
            horizon=cursor.horizon,
            mapped_tasks=mapped_tasks[run.dag_id],
            fallback=fallback,
            seen=now,
            launched=dagster_runs,
        )
        assert outcome.memory is not None
        runs[key] = outcome.memory
        if outcome.tries or outcome.completed:
            outcomes.append(outcome)
    limits: list[str] = []
    if stream.complete and not budget_hit:
        high_water = now if cursor.high_water is None else max(cursor.high_water, now)
    else:
        high_water = cursor.high_water or since + settings.overlap
        if budget_hit:
            limits.append(
                f"more than {settings.max_runs} changed runs: the rest are recorded on "
                "the next ticks (the window is read again; recorded runs are skipped)"
            )
        if stream.problem:
            limits.append(stream.problem)
    horizon = cursor.horizon if cursor.high_water is not None else since
    next_cursor = SensorCursor(high_water, horizon, runs, cursor.forgotten)
    next_cursor, _ = next_cursor.forget_old(
        settings.overlap, settings.retention, settings.max_remembered, settings.max_forgotten
    )
    if next_cursor.dropped:
        limits.append(
            f"{next_cursor.dropped} long-forgotten run(s) left the compact record (it keeps "
            f"{settings.max_forgotten}); if one of them is cleared and runs again, its tasks "
            "that did not re-run are recorded again"
        )
    return PassResult(outcomes, next_cursor, len(changed), sorted(unknown), limits)
