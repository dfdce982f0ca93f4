"""Write sensor cursors with an *earlier* version's own code (run by
``devtools/make_cursor_fixtures.py``, never imported by the project).

This script is copied into a folder that holds the ``airlift_component``
package as it was at one commit (``git archive``) and run there, so
``import airlift_component`` is that old code. It plays a seeded Airflow
history (runs start and finish with successful, failed and proxied tries;
cleared and re-run, except for format 1, whose sensor had no notion of a
clear) and ticks that version's sensor over it, as that version's sensor did:

* format 1 (one commit's ``SensorCursor`` with ``query_start``, ``new_runs``
  and ``advance``): each finished run listed by end date is recorded whole:
  the successful tries of its mapped tasks that are not proxied, and its
  completion when it succeeded (the rule of that version's ``sensor_tick``,
  which needs Dagster and is restated here);
* format 2 (``airflow_state.sensor_pass.sensor_pass`` of that commit, with
  its own ``RunStream`` paging): whatever the pass returned as outcomes.

It prints one JSON document: the cursor that version stored after its last
tick, the Airflow history at that moment, and every try and completion that
version's sensor recorded (with counts). Usage::

    python cursor_fixture_driver.py <format> <seed> <steps>
"""

from __future__ import annotations

import importlib
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from airlift_component.airflow_api.types import DagRun, TaskInstance  # the old code

#: Format 1's TaskInstance had no operator field (its sensor read proxied-state files).
_HAS_OPERATOR = "operator" in {f.name for f in fields(TaskInstance)}
T0 = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
TICK = timedelta(milliseconds=1)
DAGS: dict[str, list[tuple[str, int]]] = {
    "d0": [("a", -1), ("b", -1), ("m", 0), ("m", 1), ("u", -1)],
    "d1": [("a", -1), ("u", -1)],
}
MAPPED = {"d0": frozenset({"a", "b", "m"}), "d1": frozenset({"a"})}
PYTHON = "PythonOperator"
TASK_PROXY = "DefaultProxyTaskToDagsterOperator"
LOOKBACK = timedelta(hours=48)
OVERLAP = timedelta(minutes=10)


@dataclass
class Task:
    state: str | None = None
    try_number: int = 0
    start: datetime | None = None
    end: datetime | None = None
    operator: str = PYTHON


@dataclass
class Run:
    dag_id: str
    run_id: str
    state: str
    start: datetime
    end: datetime | None
    updated_at: datetime
    tasks: dict[tuple[str, int], Task] = field(default_factory=dict)

    def dag_run(self) -> DagRun:
        return DagRun(
            self.dag_id, self.run_id, self.state, start_date=self.start, end_date=self.end
        )


class History:
    """A seeded Airflow: see the module docstring."""

    def __init__(self, seed: int, clears: bool) -> None:
        self.random = random.Random(seed)
        self.clears = clears
        self.now = T0
        self.runs: dict[tuple[str, str], Run] = {}
        self.count = 0

    def step(self) -> None:
        self.now += timedelta(seconds=self.random.uniform(60, 900))
        choice = self.random.random()
        running = [r for r in self.runs.values() if r.end is None]
        finished = [r for r in self.runs.values() if r.end is not None]
        if choice < 0.35 or not self.runs:
            self.start(self.random.choice(sorted(DAGS)))
        elif choice < 0.75 and running:
            self.finish(self.random.choice(sorted(running, key=lambda r: r.run_id)))
        elif self.clears and finished:
            self.clear(self.random.choice(sorted(finished, key=lambda r: r.run_id)))

    def start(self, dag_id: str) -> None:
        self.count += 1
        run_id = f"manual__{self.count:04d}"
        tasks = {key: Task() for key in DAGS[dag_id]}
        self.runs[(dag_id, run_id)] = Run(
            dag_id, run_id, "running", self.now, None, self.now, tasks
        )

    def finish(self, run: Run) -> None:
        for key, task in run.tasks.items():
            if task.state is not None:
                continue
            ok = self.random.random() < 0.8
            proxied = self.random.random() < 0.15
            started = max(run.start, self.now - timedelta(seconds=30))
            run.tasks[key] = Task(
                "success" if ok else "failed",
                task.try_number + 1,
                started,
                self.now - timedelta(seconds=self.random.uniform(1, 20)),
                TASK_PROXY if proxied else PYTHON,
            )
        ok = all(t.state == "success" for t in run.tasks.values())
        run.state = "success" if ok else "failed"
        run.end = self.now
        run.updated_at = self.now

    def clear(self, run: Run) -> None:
        keys = [k for k in run.tasks if self.random.random() < 0.5] or [next(iter(run.tasks))]
        for key in keys:
            run.tasks[key] = replace(run.tasks[key], state=None)
        run.state = "queued"
        run.start = max(self.now, (run.end or self.now) + TICK)
        run.end = None
        run.updated_at = self.now

    def task_instances(self, runs: list[DagRun]) -> list[TaskInstance]:
        found = []
        for wanted in runs:
            run = self.runs.get((wanted.dag_id, wanted.run_id))
            if run is None:
                continue
            for (task_id, index), task in sorted(run.tasks.items()):
                found.append(
                    TaskInstance(
                        run.dag_id,
                        run.run_id,
                        task_id,
                        task.state,
                        start_date=task.start,
                        end_date=task.end,
                        try_number=task.try_number,
                        map_index=index,
                        **({"operator": task.operator} if _HAS_OPERATOR else {}),
                    )
                )
        return found

    def operator(self, ti: TaskInstance) -> str:
        """The operator a try ran (what format 1 read from the proxied-state files)."""
        return self.runs[(ti.dag_id, ti.run_id)].tasks[(ti.task_id, ti.map_index)].operator

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "dag_id": r.dag_id,
                "run_id": r.run_id,
                "state": r.state,
                "start": _iso(r.start),
                "end": _iso(r.end),
                "updated_at": _iso(r.updated_at),
                "tasks": [
                    [
                        t,
                        i,
                        task.state,
                        task.try_number,
                        _iso(task.start),
                        _iso(task.end),
                        task.operator,
                    ]
                    for (t, i), task in sorted(r.tasks.items())
                ],
            }
            for _, r in sorted(self.runs.items())
        ]


class Recorded:
    def __init__(self) -> None:
        self.tries: Counter[tuple[str, str, str, int, int]] = Counter()
        self.completions: Counter[tuple[str, str, str]] = Counter()

    def try_(self, ti: TaskInstance) -> None:
        self.tries[(ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number)] += 1

    def completion(self, run: DagRun) -> None:
        assert run.end_date is not None
        self.completions[(run.dag_id, run.run_id, run.end_date.isoformat())] += 1


class Format1Sensor:
    """The format-1 sensor: runs listed by end date, each recorded whole once."""

    def __init__(self, history: History) -> None:
        old = importlib.import_module("airlift_component.component.sensor_cursor")

        self.history = history
        self.cursor = old.SensorCursor()

    def tick(self, recorded: Recorded) -> str:
        now = self.history.now
        start = self.cursor.query_start(now, LOOKBACK, OVERLAP)
        listed = [
            r.dag_run() for r in self.history.runs.values() if r.end is not None and r.end >= start
        ]
        runs = self.cursor.new_runs(listed, 2000)
        by_task: dict[tuple[str, str, str], list[TaskInstance]] = {}
        for ti in self.history.task_instances(runs):
            by_task.setdefault((ti.dag_id, ti.run_id, ti.task_id), []).append(ti)
        for run in runs:
            for task_id in sorted(MAPPED[run.dag_id]):
                tis = by_task.get((run.dag_id, run.run_id, task_id), [])
                if tis and all(ti.state == "success" for ti in tis):
                    for ti in tis:
                        if self.history.operator(ti) != TASK_PROXY:
                            recorded.try_(ti)
            if run.state == "success":
                recorded.completion(run)
        self.cursor = self.cursor.advance(runs, OVERLAP)
        return self.cursor.to_json()


class Format2Sensor:
    """A format-2 sensor: that commit's ``sensor_pass`` and ``RunStream``."""

    def __init__(self, history: History, page_size: int) -> None:
        # That commit's module (no longer in the tree: imported by name).
        self.module: Any = importlib.import_module("airlift_component.airflow_state.sensor_cursor")
        self.history = history
        self.page_size = page_size
        self.text: str | None = None

    def changed_dag_runs(self, *, updated_at_gte: datetime) -> Any:
        from airlift_component.airflow_api.changed_runs import RunStream

        def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
            rows = sorted(
                (
                    r
                    for r in self.history.runs.values()
                    if r.state in ("success", "failed") and r.updated_at >= updated_at_gte
                ),
                key=lambda r: (r.updated_at, r.dag_id, r.run_id),
            )
            return [r.dag_run() for r in rows[offset : offset + limit]], len(rows)

        return RunStream(fetch, self.page_size)

    def list_task_instances(self, runs: Any) -> list[TaskInstance]:
        return self.history.task_instances(list(runs))

    def tick(self, recorded: Recorded) -> str:
        passes = importlib.import_module("airlift_component.airflow_state.sensor_pass")

        from airlift_component.airflow_state.proxied import ProxiedLookup

        cursor = self.module.SensorCursor.from_json(self.text)
        result = passes.sensor_pass(
            self,
            cursor,
            now=self.history.now,
            settings=passes.PassSettings(
                lookback=LOOKBACK, overlap=OVERLAP, max_runs=2000, batch_size=7
            ),
            mapped_tasks=MAPPED,
            needs_tasks=set(MAPPED),
            fallback=ProxiedLookup(),
        )
        for outcome in result.outcomes:
            for ti in outcome.tries:
                recorded.try_(ti)
            if outcome.completed:
                recorded.completion(outcome.run)
        cursor = result.cursor
        if hasattr(cursor, "asset_events"):
            cursor = replace(cursor, asset_events=_asset_events(cursor.asset_events, self.history))
        self.text = cursor.to_json()
        return self.text


def _asset_events(memory: Any, history: History) -> Any:
    """That version's event memory, holding a few event ids near the tick clock."""
    seen = {
        index: history.now - timedelta(minutes=index) for index in range(1, history.count % 5 + 2)
    }
    return type(memory)(high_water=history.now, seen=seen)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def main(form: str, seed: int, steps: int) -> None:
    rng = random.Random(seed * 7919)
    history = History(seed, clears=form != "1")
    sensor: Format1Sensor | Format2Sensor = (
        Format1Sensor(history) if form == "1" else Format2Sensor(history, rng.choice([2, 3, 50]))
    )
    recorded = Recorded()
    first_tick: datetime | None = None
    text = ""
    # 80 steps are about 11 hours: runs leave the full memory of every version.
    for _ in range(steps):
        history.step()
        if rng.random() < 0.5:
            first_tick = first_tick or history.now
            text = sensor.tick(recorded)
    first_tick = first_tick or history.now
    text = sensor.tick(recorded)
    json.dump(
        {
            "now": history.now.isoformat(),
            "first_tick": first_tick.isoformat(),
            "lookback_hours": LOOKBACK / timedelta(hours=1),
            "mapped": {dag: sorted(tasks) for dag, tasks in MAPPED.items()},
            "dags": {dag: [list(key) for key in keys] for dag, keys in DAGS.items()},
            "cursor": text,
            "runs": history.to_json(),
            "recorded_tries": [[*key, n] for key, n in sorted(recorded.tries.items())],
            "recorded_completions": [[*key, n] for key, n in sorted(recorded.completions.items())],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
