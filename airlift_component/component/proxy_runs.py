"""The Dagster runs that proxied Airflow tasks launched, found in the sensor's own instance.

A proxy operator tags the run it launches with the Airflow task it stands for
(the tags below, set in ``airflow_side/_dagster_run.py``). The sensor asks its
Dagster instance for the runs tagged with the Airflow runs it is about to
record: a try whose assets a Dagster run made is not recorded again, whatever
operator Airflow wrote on the task instance (Airflow 3 writes it when the run
is created, so a flip while a run is in flight shows only here).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import dagster as dg

from airlift_component.airflow_api.types import DagRun
from airlift_component.airflow_state.run_ledger import Launched

#: The run tags of a proxy's Dagster run (the Airflow side's contract).
INSTANCE_TAG = "airlift/airflow_instance"
DAG_TAG = "airlift/airflow_dag_id"
RUN_TAG = "airlift/airflow_run_id"
TASK_TAG = "airlift/airflow_task_id"
TRY_TAG = "airlift/airflow_try_number"
#: Airflow run ids per Dagster query.
CHUNK = 200


def launched_runs(
    instance: dg.DagsterInstance, airlift_instance: str
) -> Callable[[Sequence[DagRun]], Launched]:
    """A finder of the proxies' Dagster runs for some Airflow runs of ``airlift_instance``."""

    def find(runs: Sequence[DagRun]) -> Launched:
        found: dict[tuple[str, str, str], set[int]] = defaultdict(set)
        ids = sorted({run.run_id for run in runs})
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for run in instance.get_runs(filters=dg.RunsFilter(tags={RUN_TAG: chunk})):
                tags = run.tags
                if tags.get(INSTANCE_TAG, airlift_instance) != airlift_instance:
                    continue
                try:
                    number = int(tags.get(TRY_TAG, ""))
                except ValueError:
                    continue
                key = (tags.get(DAG_TAG, ""), tags.get(RUN_TAG, ""), tags.get(TASK_TAG, ""))
                found[key].add(number)
        return {key: frozenset(numbers) for key, numbers in found.items()}

    return find
