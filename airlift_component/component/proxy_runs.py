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
from airlift_component.mapping_tags import AIRFLOW_DAG_TAG as DAG_TAG
from airlift_component.mapping_tags import AIRFLOW_INSTANCE_TAG as INSTANCE_TAG
from airlift_component.mapping_tags import AIRFLOW_RUN_TAG as RUN_TAG
from airlift_component.mapping_tags import AIRFLOW_TASK_TAG as TASK_TAG
from airlift_component.mapping_tags import AIRFLOW_TRY_TAG as TRY_TAG
from airlift_component.sensor.run_ledger import Launched

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
