"""Task instances of many runs: the batch endpoint is read page by page on both APIs.

Airflow 2.10's ``POST /api/v1/dags/~/dagRuns/~/taskInstances/list`` answers at most
100 task instances a page (``page_limit`` defaults to 100, capped at
``maximum_page_limit``), like Airflow 3's. Measured on a real Airflow 2.10 with 30
runs of 10 tasks: reading one page lost 200 of 300 task instances.
"""

from __future__ import annotations

import pytest

from airlift_component.airflow_api.types import DagRun
from tests.harness.fake_airflow import FakeAirflow


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_every_task_instance_of_a_batch_over_one_page_is_read(api: str) -> None:
    with FakeAirflow(api) as fake:
        tasks = {f"t{i}": [] for i in range(10)}
        fake.add_dag("wide", tasks)
        for n in range(30):
            fake.add_finished_run("wide", f"run_{n:02d}")
        runs = [DagRun("wide", f"run_{n:02d}", "success") for n in range(30)]
        with fake.client(api=api) as client:
            tis = client.list_task_instances(runs)
        batch_calls = fake.api_requests("taskInstances/list")
    assert len(tis) == 300
    assert len({(ti.run_id, ti.task_id) for ti in tis}) == 300
    assert len(batch_calls) == 3
