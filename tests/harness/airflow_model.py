"""A model of a busy Airflow for model-based tests of the sensor, in process.

:class:`World` holds DAG runs and their task instances on a simulated clock and
changes them the way Airflow does: runs start and finish (with per-task tries
and the operator each try ran), finished runs are cleared (a new run start,
the cleared tasks get a new try when the run finishes again) or deleted, and a
change may become visible late (committed after it was stamped). It also keeps
the ground truth a test checks the sensor against: every successful try and
every successful completion that was ever visible, and which still are.

:class:`ModelClient` answers the sensor's two questions (changed runs, task
instances) from the world through the real paging code
(:class:`~airlift_component.airflow_api.changed_runs.RunStream`), calling
``interfere`` before every page so a test can change the world between pages.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from airlift_component.airflow_api.changed_runs import RunStream
from airlift_component.airflow_api.transport import OutOfTime
from airlift_component.airflow_api.types import DagRun, TaskInstance
from airlift_component.errors import AirflowApiError

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
#: The smallest step of Airflow's clock in the model (a run's dates never repeat).
TICK = timedelta(milliseconds=1)
PYTHON = "PythonOperator"
TASK_PROXY = "DefaultProxyTaskToDagsterOperator"
DAG_PROXY = "DefaultProxyDAGToDagsterOperator"

TaskKey = tuple[str, int]
RunKey = tuple[str, str]
#: (dag_id, run_id, task_id, map_index, try_number)
TryKey = tuple[str, str, str, int, int]
#: (dag_id, run_id, end_date)
CompletionKey = tuple[str, str, datetime]


@dataclass(frozen=True)
class ModelTask:
    state: str | None
    try_number: int
    start: datetime | None
    end: datetime | None
    operator: str


@dataclass(frozen=True)
class ModelRun:
    dag_id: str
    run_id: str
    state: str
    start: datetime | None
    end: datetime | None
    updated_at: datetime
    tasks: dict[TaskKey, ModelTask]


@dataclass
class World:
    """Runs on a simulated clock; see the module docstring."""

    #: DAG id → its task keys (task id, map index) when it runs normally.
    dags: dict[str, list[TaskKey]]
    now: datetime = T0
    runs: dict[RunKey, ModelRun] = field(default_factory=dict)
    #: Changes stamped earlier, visible from the given time: (visible_at, key, new state).
    pending: list[tuple[datetime, RunKey, ModelRun | None]] = field(default_factory=list)
    ever_tries: set[TryKey] = field(default_factory=set)
    ever_proxied: set[TryKey] = field(default_factory=set)
    ever_completions: set[CompletionKey] = field(default_factory=set)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    # --- what is visible -----------------------------------------------------------

    def _publish(self, key: RunKey, run: ModelRun | None) -> None:
        if run is None:
            self.runs.pop(key, None)
            return
        self.runs[key] = run
        for (task_id, index), task in run.tasks.items():
            if task.state == "success":
                try_key = (run.dag_id, run.run_id, task_id, index, task.try_number)
                if task.operator in (TASK_PROXY, DAG_PROXY):
                    self.ever_proxied.add(try_key)
                else:
                    self.ever_tries.add(try_key)
        if run.state == "success" and run.end is not None:
            self.ever_completions.add((run.dag_id, run.run_id, run.end))

    def advance(self, seconds: float) -> None:
        """Move the clock and make the changes due by then visible."""
        self.now += timedelta(seconds=seconds)
        due = [item for item in self.pending if item[0] <= self.now]
        self.pending = [item for item in self.pending if item[0] > self.now]
        for _, key, run in sorted(due, key=lambda item: item[0]):
            self._publish(key, run)

    def flush(self) -> None:
        """Make every pending change visible (the end of a sequence)."""
        for _, key, run in sorted(self.pending, key=lambda item: item[0]):
            self._publish(key, run)
        self.pending = []

    def _busy(self, key: RunKey) -> bool:
        return any(item[1] == key for item in self.pending)

    def _change(self, key: RunKey, run: ModelRun | None, late: float) -> None:
        if late > 0:
            self.pending.append((self.now + timedelta(seconds=late), key, run))
        else:
            self._publish(key, run)

    # --- changes -------------------------------------------------------------------

    def running(self) -> list[RunKey]:
        return sorted(k for k, r in self.runs.items() if r.end is None and not self._busy(k))

    def finished(self) -> list[RunKey]:
        return sorted(k for k, r in self.runs.items() if r.end is not None and not self._busy(k))

    def start_run(self, dag_id: str) -> RunKey:
        run_id = f"r{next(self._ids)}"
        tasks = {key: ModelTask(None, 0, None, None, PYTHON) for key in self.dags[dag_id]}
        run = ModelRun(dag_id, run_id, "running", self.now, None, self.now, tasks)
        self._publish((dag_id, run_id), run)
        return (dag_id, run_id)

    def finish_run(
        self,
        key: RunKey,
        outcome: Callable[[TaskKey], tuple[bool, str]],
        *,
        late: float = 0.0,
        end_offset: float = 0.0,
        whole_dag_proxy: bool = False,
    ) -> None:
        """Finish a running run: every task not yet done gets a new try whose success
        and operator ``outcome`` decides; ``end_offset`` skews the run's end date."""
        run = self.runs[key]
        tasks = dict(run.tasks)
        if whole_dag_proxy:
            tasks = {
                (f"DAGSTER_OVERRIDE_DAG_{run.dag_id}", -1): ModelTask(
                    None,
                    run.tasks.get(
                        (f"DAGSTER_OVERRIDE_DAG_{run.dag_id}", -1),
                        ModelTask(None, 0, None, None, DAG_PROXY),
                    ).try_number,
                    None,
                    None,
                    DAG_PROXY,
                )
            }
        for task_key, task in tasks.items():
            if task.state is not None:
                continue
            ok, operator = outcome(task_key)
            if whole_dag_proxy:
                operator = DAG_PROXY
            start = run.start or self.now
            tasks[task_key] = ModelTask(
                "success" if ok else "failed", task.try_number + 1, start, start + TICK, operator
            )
        state = "success" if all(t.state == "success" for t in tasks.values()) else "failed"
        end = max(self.now, (run.start or self.now) + TICK) + timedelta(seconds=end_offset)
        self._change(
            key, replace(run, state=state, end=end, updated_at=self.now, tasks=tasks), late
        )

    def clear(self, key: RunKey, task_keys: Sequence[TaskKey], *, late: float = 0.0) -> None:
        """Clear tasks of a finished run: the run starts again now."""
        run = self.runs[key]
        tasks = {k: (replace(t, state=None) if k in task_keys else t) for k, t in run.tasks.items()}
        # Airflow's clock ticks in microseconds: a clear starts the run after it ended.
        start = max(self.now, (run.end or self.now) + TICK)
        cleared = replace(
            run, state="queued", start=start, end=None, updated_at=self.now, tasks=tasks
        )
        self._change(key, cleared, late)

    def deletable(self) -> list[RunKey]:
        return sorted(k for k in self.runs if not self._busy(k))

    def delete(self, key: RunKey) -> None:
        self._change(key, None, 0.0)

    # --- ground truth --------------------------------------------------------------

    def visible_tries(self, since: datetime | None = None) -> set[TryKey]:
        """Successful, not proxied tries that Airflow shows now (with ``since``: those
        that ended at or after it, in runs last changed at or after it)."""
        return {
            (run.dag_id, run.run_id, task_id, index, task.try_number)
            for run in self.runs.values()
            if since is None or run.updated_at >= since
            for (task_id, index), task in run.tasks.items()
            if task.state == "success" and task.operator not in (TASK_PROXY, DAG_PROXY)
            if since is None or (task.end is not None and task.end >= since)
        }

    def visible_completions(self, since: datetime | None = None) -> set[CompletionKey]:
        """Successful completions Airflow shows now (with ``since``: of runs last changed
        at or after it)."""
        return {
            (run.dag_id, run.run_id, run.end)
            for run in self.runs.values()
            if run.state == "success" and run.end is not None
            if since is None or run.updated_at >= since
        }

    # --- API answers ---------------------------------------------------------------

    def dag_run(self, run: ModelRun) -> DagRun:
        return DagRun(run.dag_id, run.run_id, run.state, start_date=run.start, end_date=run.end)

    def task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]:
        result = []
        for wanted in runs:
            run = self.runs.get((wanted.dag_id, wanted.run_id))
            if run is None:
                continue
            for (task_id, index), task in sorted(run.tasks.items()):
                result.append(
                    TaskInstance(
                        run.dag_id,
                        run.run_id,
                        task_id,
                        task.state,
                        start_date=task.start,
                        end_date=task.end,
                        try_number=task.try_number,
                        map_index=index,
                        operator=task.operator,
                    )
                )
        return result


class ModelClient:
    """The sensor's view of a :class:`World` (see the module docstring)."""

    def __init__(
        self, world: World, page_size: int, interfere: Callable[[], None] = lambda: None
    ) -> None:
        self.world = world
        self.page_size = page_size
        self.interfere = interfere
        self.down = False
        #: Requests answered before the tick's time budget runs out (None: no limit).
        self.slow_after: int | None = None
        self.calls = 0

    def _check(self) -> None:
        self.interfere()
        if self.down:
            raise AirflowApiError("model Airflow is down", instance="model")
        self.calls += 1
        if self.slow_after is not None and self.calls > self.slow_after:
            raise OutOfTime("model Airflow is too slow for the tick's budget", instance="model")

    def changed_dag_runs(self, *, updated_at_gte: datetime) -> RunStream:
        def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
            self._check()
            rows = sorted(
                (
                    r
                    for r in self.world.runs.values()
                    if r.state in ("success", "failed") and r.updated_at >= updated_at_gte
                ),
                key=lambda r: (r.updated_at, r.dag_id, r.run_id),
            )
            return [self.world.dag_run(r) for r in rows[offset : offset + limit]], len(rows)

        return RunStream(fetch, self.page_size)

    def list_task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]:
        self._check()
        return self.world.task_instances(runs)
