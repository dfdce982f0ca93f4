"""The order a tick records in: the order Airflow produced what it records.

Airflow lists a run's task instances in its own order (by task id, map index),
which puts ``customers`` before the ``raw_customers`` it reads. Dagster's
staleness and automation conditions read the stored order, so a tick records
upstream first: each record is placed by the time Airflow finished it (a try's
end date; a run's completion when the run ended, never before its own tries),
and records finished at the same time by the task graph (a task before every
task downstream of it; a run's completion after its tries). Records that tie
on both keep the order the runs were listed in. Imports no Dagster.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from airlift_component.airflow_api.types import AirflowTask, TaskInstance
from airlift_component.sensor.run_ledger import RunOutcome

#: When Airflow sent no date at all (not seen for a finished try; kept deterministic).
_NO_TIME = datetime(1970, 1, 1, tzinfo=timezone.utc)


def task_ranks(tasks: Iterable[AirflowTask]) -> dict[str, int]:
    """Each task's place in one topological order of the task graph: a task ranks
    before every task downstream of it. Tasks that nothing orders are ranked by id
    (only to be deterministic); tasks in a cycle (malformed input) come last."""
    tasks = list(tasks)
    downstream = {task.task_id: set(task.downstream_task_ids) for task in tasks}
    for targets in list(downstream.values()):
        for target in targets:
            downstream.setdefault(target, set())
    waiting = dict.fromkeys(downstream, 0)
    for targets in downstream.values():
        for target in targets:
            waiting[target] += 1
    ready = [task_id for task_id, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ranks: dict[str, int] = {}
    while ready:
        task_id = heapq.heappop(ready)
        ranks[task_id] = len(ranks)
        for target in downstream[task_id]:
            waiting[target] -= 1
            if waiting[target] == 0:
                heapq.heappush(ready, target)
    for task_id in sorted(set(downstream) - set(ranks)):
        ranks[task_id] = len(ranks)
    return ranks


class TaskOrder:
    """Task ranks per DAG, computed once per DAG from ``tasks_of(dag_id)`` (the task
    graph fetched with the Airflow state). A task the graph lacks ranks after all
    the tasks it has."""

    def __init__(self, tasks_of: Callable[[str], Iterable[AirflowTask]]) -> None:
        self._tasks_of = tasks_of
        self._ranks: dict[str, dict[str, int]] = {}

    def rank(self, dag_id: str, task_id: str) -> int:
        ranks = self._ranks.get(dag_id)
        if ranks is None:
            ranks = self._ranks[dag_id] = task_ranks(self._tasks_of(dag_id))
        return ranks.get(task_id, len(ranks))


@dataclass(frozen=True)
class Record:
    """One thing a tick records: a task try of a run, or (``ti`` is ``None``) the
    run's completion."""

    outcome: RunOutcome
    ti: TaskInstance | None


def record_time(outcome: RunOutcome, ti: TaskInstance | None) -> datetime:
    """When Airflow finished what ``ti`` (or the completion, for ``None``) records."""
    run = outcome.run
    fallback = run.end_date or run.start_date or _NO_TIME
    if ti is not None:
        return ti.end_date or fallback
    ends = [t.end_date or fallback for t in outcome.tries]
    return max([run.end_date or fallback, *ends])


def ordered_records(outcomes: Sequence[RunOutcome], order: TaskOrder) -> list[Record]:
    """The tries and completions of ``outcomes`` in the order to record them (see the
    module docstring)."""
    keyed: list[tuple[datetime, int, int, int, int, Record]] = []
    for position, outcome in enumerate(outcomes):
        dag_id = outcome.run.dag_id
        last = 0
        for ti in outcome.tries:
            rank = order.rank(dag_id, ti.task_id)
            last = max(last, rank + 1)
            key = (record_time(outcome, ti), position, rank, ti.map_index)
            keyed.append((*key, len(keyed), Record(outcome, ti)))
        if outcome.completed:  # after its tries, ranked past every one of them
            key = (record_time(outcome, None), position, last, 0)
            keyed.append((*key, len(keyed), Record(outcome, None)))
    keyed.sort(key=lambda item: item[:5])
    return [item[5] for item in keyed]
