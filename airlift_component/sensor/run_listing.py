"""Which runs of a tick's listings are new to the sensor, read with a budget.

A :class:`ChangedRuns` takes the runs of one or two listings (the window, and
the look back for DAGs new to the cursor): a run listed in the state the
cursor remembers only has its ``seen`` moved; a run of a DAG the definitions do
not know is noted to warn about and *not* remembered (so it is recorded once
its DAG is known); any other is changed, once per state. It stops at
``max_runs`` changed runs, or once half the tick's time budget is gone, to
leave time for the task instances; the rest come on the next tick.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from airlift_component.airflow_api.time_budget import TimeBudget
from airlift_component.airflow_api.types import DagRun
from airlift_component.sensor.run_memory import RunKey, RunMemory, RunVersion, run_version


@dataclass
class ChangedRuns:
    """The runs a tick listed whose state the cursor has not settled (see the module
    docstring); ``memory`` starts as the cursor's and moves ``seen`` to ``now``."""

    now: datetime
    #: The DAGs of the definitions.
    known_dags: Collection[str]
    memory: dict[RunKey, RunMemory]
    max_runs: int
    budget: TimeBudget | None = None
    changed: list[DagRun] = field(default_factory=list)
    unknown_dags: set[str] = field(default_factory=set)
    #: Why the listing stopped before its end: ``"runs"`` (``max_runs``) or ``"time"``
    #: (half the budget); ``None`` while it has not.
    stopped: str | None = None
    _taken: set[tuple[RunKey, RunVersion]] = field(default_factory=set, repr=False)

    def read(self, listing: Iterable[DagRun], only: Collection[str] | None = None) -> bool:
        """Take the runs of ``listing`` (of the DAGs ``only``, if given); False when a
        budget ran out and the listing was left unfinished."""
        for run in listing:
            if only is not None and run.dag_id not in only:
                continue
            if self._take(run) and self._spent():
                return False
        return True

    def _take(self, run: DagRun) -> bool:
        """Note ``run``; True when it is changed."""
        key = (run.dag_id, run.run_id)
        version = run_version(run)
        memory = self.memory.get(key)
        if memory is not None and memory.version == version:
            self.memory[key] = replace(memory, seen=self.now)
            return False
        if run.dag_id not in self.known_dags:
            self.unknown_dags.add(run.dag_id)
            return False
        if (key, version) in self._taken:
            return False
        self._taken.add((key, version))
        self.changed.append(run)
        return True

    def _spent(self) -> bool:
        if len(self.changed) >= self.max_runs:
            self.stopped = "runs"
        elif (
            self.budget is not None
            and self.budget.deadline.remaining < self.budget.deadline.seconds / 2
        ):
            self.stopped = "time"
        return self.stopped is not None
