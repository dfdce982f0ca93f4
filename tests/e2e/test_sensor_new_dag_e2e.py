"""A DAG added to Airflow after the last refresh, on real Airflow 2.10 and 3
(docs/exactly-once.md, "DAGs new to the definitions").

The definitions are built from a stored state fetched before the DAG file
exists. The DAG (it matches the instance's ``dags:`` filter) is written to the
DAG folder and runs; a tick lists its run and, its DAG having no asset yet,
records nothing. The sensor's cursor is then aged past the overlap (as if ticks
had gone on for 11 minutes): the run is outside the window every other DAG is
read from. A refresh and a reload later, the next tick looks back
``lookback_hours`` for the new DAG and records its run once; a further tick
records nothing, and the other DAG's completions stay recorded once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from airlift_component.airflow_state.sensor_cursor import SensorCursor
from airlift_component.component import build_defs
from devtools.local_stack import AirflowServer
from tests.e2e.exactly_once_support import DAG, DAG_KEY, RUN_TIMEOUT, airlift_config, recorded_runs

LATE = "exactly_once_added_late"
LATE_KEY = f"eo/dag/{LATE}"
LATE_SOURCE = f'''"""Written by test_sensor_new_dag_e2e.py while Airflow runs."""

from datetime import datetime

try:  # Airflow 3
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG  # type: ignore[no-redef]
    from airflow.operators.python import PythonOperator  # type: ignore[no-redef]

with DAG(dag_id="{LATE}", start_date=datetime(2024, 1, 1), schedule=None, catchup=False):
    PythonOperator(task_id="only", python_callable=lambda: "only")
'''


class Sensor:
    """The eo sensor ticking in-process on an on-disk instance; ``reload`` rebuilds the
    definitions (``refresh=True``: from a state fetched now, as `airlift refresh` and a
    code-location reload do)."""

    def __init__(self, path: Path, instance: dg.DagsterInstance) -> None:
        self.path = path
        self.instance = instance
        self.cursor: str | None = None
        self.reload(refresh=False)

    def reload(self, *, refresh: bool) -> None:
        defs = build_defs(self.path, refresh="always" if refresh else "if_missing")
        self.asset_keys = {spec.key.to_user_string() for spec in defs.resolve_all_asset_specs()}
        self.sensor = defs.resolve_sensor_def("airlift_eo_sensor")

    def tick(self) -> Any:
        result = self.sensor(dg.build_sensor_context(instance=self.instance, cursor=self.cursor))
        if isinstance(result, dg.SensorResult):
            for event in result.asset_events or []:
                self.instance.report_runless_asset_event(event)  # what the daemon does
            self.cursor = result.cursor or self.cursor
        return result

    def age_cursor(self, by: timedelta) -> None:
        """The cursor as ticks ``by`` later would have left it (nothing new meanwhile)."""
        cursor = SensorCursor.from_json(self.cursor)
        assert cursor.high_water is not None
        later = datetime.now(timezone.utc) + by
        self.cursor = replace(cursor, high_water=later).to_json()


@pytest.fixture
def sensor(airflow: AirflowServer, tmp_path: Path) -> Iterator[Sensor]:
    airflow.wait_for_dag(DAG)
    assert airflow.get_dag(LATE) is None, "the DAG must be new to this Airflow"
    path = tmp_path / "airlift.yaml"
    path.write_text(yaml.safe_dump(airlift_config(airflow)))
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        yield Sensor(path, instance)


def _late_runs(instance: dg.DagsterInstance) -> Counter[str]:
    return Counter(
        run_id for (run_id, _), n in recorded_runs(instance, LATE_KEY).items() for _ in range(n)
    )


def test_a_dag_added_after_the_refresh_has_its_run_recorded_once(
    airflow: AirflowServer, sensor: Sensor
) -> None:
    sensor.tick()  # baseline: the state was fetched before the DAG file existed
    assert LATE_KEY not in sensor.asset_keys

    airflow.write_dag_file(f"{LATE}.py", LATE_SOURCE)
    airflow.wait_for_dag(LATE)
    run_id = airflow.trigger(LATE)
    assert airflow.wait_for_run(LATE, run_id, timeout=RUN_TIMEOUT) == "success"
    sensor.tick()  # lists the run; its DAG has no asset yet
    assert _late_runs(sensor.instance) == Counter()
    chain_before = recorded_runs(sensor.instance, DAG_KEY)

    sensor.age_cursor(timedelta(minutes=11))  # the run is now before the overlap window
    sensor.reload(refresh=True)
    assert LATE_KEY in sensor.asset_keys
    recorded = sensor.tick()
    assert isinstance(recorded, dg.SensorResult), recorded
    assert _late_runs(sensor.instance) == Counter({run_id: 1})
    assert LATE in (SensorCursor.from_json(sensor.cursor).dags or ())

    sensor.tick()
    assert _late_runs(sensor.instance) == Counter({run_id: 1})
    chain_after = recorded_runs(sensor.instance, DAG_KEY)
    assert chain_after == chain_before and all(n == 1 for n in chain_after.values())
