"""A DAG added to Airflow after the last refresh, on real Airflow 2.10 and 3
(docs/exactly-once.md, "DAGs new to the definitions").

The definitions are built from a stored state fetched before the DAG file
exists. The DAG (it matches the instance's ``dags:`` filter) is written to the
DAG folder and runs; a tick lists its run and, its DAG having no asset yet,
records nothing. The sensor's clock then moves 11 minutes on (as if ticks had
gone on with nothing new) and a tick runs: its high-water mark puts the run
before the overlap window every other DAG is read from. A refresh and a reload
later, the next tick looks back ``lookback_hours`` for the new DAG and records
its run once (the mark is not ahead of the clock, so nothing else reads that
far back); a further tick records nothing, and the other DAG's completions stay
recorded once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import yaml

from airlift_component.component import build_defs
from airlift_component.component import sensor as sensor_module
from airlift_component.sensor.cursor import SensorCursor
from devtools.local_stack import AirflowServer
from tests.e2e.exactly_once_support import (
    DAG,
    DAG_KEY,
    RUN_TIMEOUT,
    airlift_config,
    recorded_runs,
    tick_like_the_daemon,
)

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
        result, self.cursor = tick_like_the_daemon(self.sensor, self.instance, self.cursor)
        return result


class _Clock(datetime):
    """The sensor module's clock, ``ahead`` of the real one."""

    ahead = timedelta(0)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        return datetime.now(tz) + cls.ahead


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> type[_Clock]:
    """Moves the sensor's tick clock (``clock.ahead = ...``), nothing else's."""
    monkeypatch.setattr(_Clock, "ahead", timedelta(0))
    monkeypatch.setattr(sensor_module, "datetime", _Clock)
    return _Clock


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
    airflow: AirflowServer, sensor: Sensor, clock: type[_Clock]
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

    clock.ahead = timedelta(minutes=11)
    sensor.tick()  # 11 minutes on: the mark moves past the run's overlap window
    high_water = SensorCursor.from_json(sensor.cursor).high_water
    assert high_water is not None and high_water > datetime.now(timezone.utc) + timedelta(
        minutes=10
    )
    sensor.reload(refresh=True)
    assert LATE_KEY in sensor.asset_keys
    recorded = sensor.tick()
    assert isinstance(recorded, dg.SensorResult), recorded
    assert _late_runs(sensor.instance) == Counter({run_id: 1})
    assert LATE in (SensorCursor.from_json(sensor.cursor).dags or ())
    # The look-back for the new DAG found it, not a re-read for a mark ahead of the clock.
    assert "ahead of this tick's clock" not in str(recorded.skip_reason or "")

    sensor.tick()
    assert _late_runs(sensor.instance) == Counter({run_id: 1})
    chain_after = recorded_runs(sensor.instance, DAG_KEY)
    assert chain_after == chain_before and all(n == 1 for n in chain_after.values())
