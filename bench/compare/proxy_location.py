"""A Dagster code location with 5,000 executable assets (500 DAGs x 10 tasks), for the
proxy-operator benchmark. Each task asset carries both projects' mapping: our
``airlift/*`` tags and metadata, and dagster-airlift's ``dagster-airlift/task-mapping``
metadata; each DAG also has our DAG asset ``bench/dag/<dag_id>`` (a spec) depending
on its last task's asset and carrying the ``airlift/task_assets`` index of its tasks'
asset keys, as our component builds it (our proxy reads that index: two lookups)."""

from __future__ import annotations

import dagster as dg

from airlift_component.mapping_tags import TASK_ASSETS_METADATA, task_assets_index

DAGS, TASKS, INSTANCE = 500, 10, "bench"


def _task_asset(i: int, j: int) -> dg.AssetsDefinition:
    dag_id, task_id = f"dag_{i:05d}", f"task_{j:02d}"

    @dg.asset(
        key=[INSTANCE, dag_id, task_id],
        deps=[[INSTANCE, dag_id, f"task_{j - 1:02d}"]] if j else [],
        tags={
            "airlift/instance": INSTANCE,
            "airlift/dag": f"{INSTANCE}.{dag_id}",
            "airlift/task": f"{INSTANCE}.{dag_id}.{task_id}",
        },
        metadata={
            "airlift/instance": INSTANCE,
            "airlift/dag_id": dag_id,
            "airlift/task_id": task_id,
            "dagster-airlift/task-mapping": [{"dag_id": dag_id, "task_id": task_id}],
        },
    )
    def _compute() -> None:
        return None

    return _compute


def _dag_asset(i: int) -> dg.AssetSpec:
    dag_id = f"dag_{i:05d}"
    tasks = {f"task_{j:02d}": [[INSTANCE, dag_id, f"task_{j:02d}"]] for j in range(TASKS)}
    return dg.AssetSpec(
        [INSTANCE, "dag", dag_id],
        deps=[[INSTANCE, dag_id, f"task_{TASKS - 1:02d}"]],
        tags={"airlift/instance": INSTANCE, "airlift/dag": f"{INSTANCE}.{dag_id}"},
        metadata={
            "airlift/instance": INSTANCE,
            "airlift/dag_id": dag_id,
            TASK_ASSETS_METADATA: dg.MetadataValue.json(task_assets_index(tasks, [])),
        },
    )


defs = dg.Definitions(
    assets=[_task_asset(i, j) for i in range(DAGS) for j in range(TASKS)]
    + [_dag_asset(i) for i in range(DAGS)]
)
