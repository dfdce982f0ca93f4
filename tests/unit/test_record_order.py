"""A tick stores its materializations in the order Airflow produced them, whatever
order Airflow's answers come in (docs/exactly-once.md, "The order of a tick").

Hypothesis draws a DAG (a random task graph, some tasks mapped to assets, some
dynamic with several map indexes), a few finished runs of it whose tasks end at
times drawn from a handful of values (so that ties are common), and answers
the sensor's two requests (changed runs, task instances) in a shuffled order.
The tick goes through the real ledger (``sensor_pass``) and the real
materializations (``materialize``). In what it stores:

* the end times never go back (a try at its task's end date, a completion at
  its run's end date);
* among records with the same end time in one run, a task comes before every
  task downstream of it in the graph, and the run's completion after its tries;
* every try and completion is stored once (shuffling loses nothing).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import dagster as dg
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.airflow_api.changed_runs import RunStream
from airlift_component.airflow_api.types import AirflowTask, DagRun, TaskInstance
from airlift_component.airflow_state.proxied import ProxiedLookup
from airlift_component.component.asset_specs import InstanceIndex, MappedDag
from airlift_component.component.materializations import materialize
from airlift_component.sensor.cursor import SensorCursor
from airlift_component.sensor.record_order import TaskOrder, task_ranks
from airlift_component.sensor.run_pass import PassSettings, sensor_pass
from airlift_component.sensor.tick import TickDecisions

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)
DAG = "shuffled"
DAG_KEY = dg.AssetKey(["m", "dag", DAG])


class ShuffledAirflow:
    """Answers with the runs and task instances in the order ``shuffle`` gives."""

    def __init__(self, runs: list[DagRun], tis: list[TaskInstance], shuffle: random.Random):
        self.runs = runs
        self.tis = tis
        self.shuffle = shuffle

    def changed_dag_runs(self, *, updated_at_gte: datetime) -> RunStream:
        rows = list(self.runs)
        self.shuffle.shuffle(rows)

        def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
            return rows[offset : offset + limit], len(rows)

        return RunStream(fetch, 100)

    def list_task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]:
        wanted = {run.run_id for run in runs}
        tis = [ti for ti in self.tis if ti.run_id in wanted]
        self.shuffle.shuffle(tis)
        return tis

    def run_ui_url(self, dag_id: str, run_id: str) -> str:
        return f"http://airflow.test/dags/{dag_id}/runs/{run_id}"


@st.composite
def graphs(draw: st.DrawFn) -> list[AirflowTask]:
    """A DAG of 2 to 8 tasks with ids in random order (so id order is no hint)."""
    size = draw(st.integers(2, 8))
    ids = draw(st.permutations([f"t{i}" for i in range(size)]))
    edges = {
        (a, b)
        for a in range(size)
        for b in range(a + 1, size)
        if draw(st.booleans()) and draw(st.booleans())
    }
    return [
        AirflowTask(ids[a], tuple(ids[b] for b in range(size) if (a, b) in edges))
        for a in range(size)
    ]


def _ancestors(tasks: list[AirflowTask]) -> dict[str, set[str]]:
    ups: dict[str, set[str]] = {task.task_id: set() for task in tasks}
    for task in tasks:
        for down in task.downstream_task_ids:
            ups[down].add(task.task_id)
    found: dict[str, set[str]] = {}

    def walk(task_id: str) -> set[str]:
        if task_id not in found:
            found[task_id] = set()
            for up in ups[task_id]:
                found[task_id] |= {up} | walk(up)
        return found[task_id]

    return {task_id: walk(task_id) for task_id in ups}


@settings(max_examples=150, deadline=None)
@given(tasks=graphs(), data=st.data())
def test_stored_order_is_end_time_then_the_task_graph(
    tasks: list[AirflowTask], data: st.DataObject
) -> None:
    ids = [task.task_id for task in tasks]
    mapped = data.draw(st.sets(st.sampled_from(ids), min_size=1))
    dynamic = data.draw(st.sets(st.sampled_from(sorted(mapped))))
    times = [T0 + timedelta(seconds=s) for s in range(3)]
    runs: list[DagRun] = []
    tis: list[TaskInstance] = []
    for number in range(data.draw(st.integers(1, 3))):
        run_id = f"run{number}"
        ends = {task_id: data.draw(st.sampled_from(times)) for task_id in ids}
        end = data.draw(st.sampled_from([t for t in times if t >= max(ends.values())]))
        runs.append(
            DagRun(
                DAG,
                run_id,
                "success",
                start_date=T0 - timedelta(minutes=1),
                end_date=end,
                updated_at=end,
            )
        )
        for task_id in ids:
            for index in [0, 1, 2] if task_id in dynamic else [-1]:
                tis.append(
                    TaskInstance(
                        DAG,
                        run_id,
                        task_id,
                        "success",
                        start_date=T0 - timedelta(minutes=1),
                        end_date=ends[task_id],
                        try_number=1,
                        map_index=index,
                        operator="PythonOperator",
                    )
                )
    client = ShuffledAirflow(runs, tis, random.Random(data.draw(st.integers(0, 2**32))))
    entry = MappedDag(DAG, DAG_KEY, task_keys={t: [dg.AssetKey(["m", t])] for t in sorted(mapped)})
    index = InstanceIndex("m", {DAG: entry})
    passed = sensor_pass(
        client,
        SensorCursor(),
        now=T0 + timedelta(minutes=5),
        settings=PassSettings(timedelta(hours=1), timedelta(minutes=10), 100, 50),
        mapped_tasks={DAG: mapped},
        needs_tasks={DAG},
        fallback=ProxiedLookup(),
    )
    decisions = TickDecisions(passed.outcomes, [], passed.cursor, passed.changed_runs, [], [])
    order = TaskOrder(lambda _dag: tasks)
    result = materialize(decisions, client, "m", index, None, order)  # type: ignore[arg-type]

    stored = []
    for event in result.events:
        md = event.metadata
        task = md.get("airflow/task_id")
        end_text = md["airflow/task_end_date"] if task is not None else md["airflow/end_date"]
        stored.append(
            (
                datetime.fromisoformat(str(end_text.value)),  # type: ignore[attr-defined]
                str(md["airflow/run_id"].value),  # type: ignore[attr-defined]
                str(task.value) if task is not None else None,  # type: ignore[attr-defined]
                int(md["airflow/map_index"].value) if task is not None else None,  # type: ignore[attr-defined,arg-type]
            )
        )
    expected = {
        (ti.end_date, ti.run_id, ti.task_id, ti.map_index) for ti in tis if ti.task_id in mapped
    }
    expected |= {(run.end_date, run.run_id, None, None) for run in runs}
    assert sorted(stored, key=repr) == sorted(expected, key=repr), "a record was lost or doubled"
    assert [s[0] for s in stored] == sorted(s[0] for s in stored), "end times went back"
    ancestors = _ancestors(tasks)
    for i, (time, run_id, task, _) in enumerate(stored):
        for later_time, later_run, later_task, _ in stored[i + 1 :]:
            if later_time != time or later_run != run_id:
                continue
            assert task is not None, f"{run_id}: the completion came before its try {later_task}"
            if later_task is not None:
                assert later_task not in ancestors[task], (
                    f"{run_id}: {later_task} stored after its downstream {task} at {time}"
                )


def test_task_ranks_follow_the_graph_not_the_ids() -> None:
    tasks = [
        AirflowTask("customers", ()),
        AirflowTask("raw_customers", ("stg_customers",)),
        AirflowTask("stg_customers", ("customers",)),
    ]
    ranks = task_ranks(tasks)
    assert sorted(ranks, key=ranks.__getitem__) == ["raw_customers", "stg_customers", "customers"]


def test_task_ranks_survive_a_cycle() -> None:
    """Malformed input (Airflow never sends a cycle): every task still gets a rank."""
    tasks = [AirflowTask("a", ("b",)), AirflowTask("b", ("a",)), AirflowTask("c", ())]
    assert sorted(task_ranks(tasks).values()) == [0, 1, 2]
