"""A generated asset run by a decommissioned DAG's Dagster schedule renders the dates
Airflow would have given the same run: the schedule's tags, read by the generated
code's ``airflow_run``, in a real (in-process) Dagster."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from airlift_component.component.decommission_schedule import decommission_schedule
from airlift_component.decommission.yaml_block import DecommissionRecord
from airlift_component.generate.runtime import airflow_run
from airlift_component.generate.runtime.airflow_run import AirflowRunError
from airlift_component.mapping_tags import (
    DATA_INTERVAL_END_TAG,
    DATA_INTERVAL_START_TAG,
    LOGICAL_DATE_TAG,
)
from tests.unit.generated_project import generate, generated_project, local_instance

DAG_FILE = """\
from airflow.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator


def dates(ds=None, ds_nodash=None, data_interval_start=None, data_interval_end=None, run_id=None):
    start, end = data_interval_start.isoformat(), data_interval_end.isoformat()
    return f"{ds}|{ds_nodash}|{start}|{end}|{run_id}"


with DAG("nightly", schedule="0 3 * * *") as nightly:
    PythonOperator(task_id="stamp", python_callable=dates)
"""

AIRLIFT_YAML = local_instance("""\
- dag: nightly
  tasks:
    - {task: stamp, assets: [nightly/stamp]}
""")

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
#: 03:00 in Amsterdam on the night the clocks go forward (01:00 UTC; the day before
#: it was 02:00 UTC).
TICK = datetime(2026, 3, 29, 3, 0, tzinfo=AMSTERDAM)


@pytest.fixture
def stamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dg.AssetsDefinition]:
    with generated_project(tmp_path, monkeypatch, {"nightly.py": DAG_FILE}, AIRLIFT_YAML):
        assert generate("nightly") == 0
        yield importlib.import_module("airlift_generated.nightly__stamp").nightly__stamp


def _scheduled(asset: dg.AssetsDefinition, logical_date: str) -> str:
    """Materialize ``asset`` in the run the decommission schedule requests at TICK;
    what the task returned (its XCom)."""
    record = DecommissionRecord(
        "0 3 * * *", "Europe/Amsterdam", "2026-03-29T03:00:00+02:00", logical_date, True
    )
    schedule = decommission_schedule(
        "local", "nightly", record, [dg.AssetKey(["nightly", "stamp"])]
    )
    context = dg.build_schedule_context(scheduled_execution_time=TICK)
    requests = schedule.evaluate_tick(context).run_requests or []
    assert len(requests) == 1
    result = dg.materialize([asset], tags=requests[0].tags)
    (event,) = result.get_asset_materialization_events()
    value = event.materialization.metadata["airlift/xcom_return_value"].value
    assert isinstance(value, str)
    return value


def test_airflow_2s_interval_the_run_stands_for(stamp: dg.AssetsDefinition) -> None:
    # Airflow 2's cron: the logical date is the start of the interval that just ended.
    assert _scheduled(stamp, "interval_start").split("|") == [
        "2026-03-28",
        "20260328",
        "2026-03-28T02:00:00+00:00",
        "2026-03-29T01:00:00+00:00",
        "scheduled__2026-03-28T02:00:00+00:00",
    ]


def test_airflow_3s_tick_the_run_stands_for(stamp: dg.AssetsDefinition) -> None:
    # Airflow 3's cron: the logical date is the tick, the interval has no length.
    assert _scheduled(stamp, "tick").split("|") == [
        "2026-03-29",
        "20260329",
        "2026-03-29T01:00:00+00:00",
        "2026-03-29T01:00:00+00:00",
        "scheduled__2026-03-29T01:00:00+00:00",
    ]


def test_the_tags_win_over_the_clock_and_a_bad_tag_is_one_clear_error() -> None:
    tags = {LOGICAL_DATE_TAG: "2026-03-28T02:00:00+00:00"}
    run = airflow_run(tags, "abc", dag_id="d", task_id="t", params={}, config=Path("x"))
    assert run.data_interval_start == run.data_interval_end == run.logical_date
    assert not run.from_airflow and run.render("{{ ds }}") == "2026-03-28"
    bad = {
        LOGICAL_DATE_TAG: "2026-03-28T02:00:00",
        DATA_INTERVAL_START_TAG: "",
        DATA_INTERVAL_END_TAG: "",
    }
    with pytest.raises(AirflowRunError, match="airlift/logical_date is '2026-03-28T02:00:00'"):
        airflow_run(bad, "abc", dag_id="d", task_id="t", params={}, config=Path("x"))
