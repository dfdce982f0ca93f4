"""Generated Python assets run in a real (in-process) Dagster: a callable reading
context keys keeps Dagster's own ``context`` intact, and an ``async def`` callable
is run to completion as Airflow 3 runs it (both found by the example coverage run)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.generated_project import generate, generated_project, local_instance

DAG_FILE = """\
from airflow.sdk import DAG, task
from airflow.providers.standard.operators.python import PythonOperator


def day_of(ds=None, run_id=None):
    return f"{ds}|{run_id[:8]}"


with DAG("pyrun", schedule=None) as pyrun:

    @task
    def stamp(ds=None):
        return ds

    @task
    async def later():
        return 3

    stamp()
    later()
    PythonOperator(task_id="classic", python_callable=day_of)
"""

AIRLIFT_YAML = local_instance("""\
- dag: pyrun
  tasks:
    - {task: stamp, assets: [py/stamp]}
    - {task: later, assets: [py/later]}
    - {task: classic, assets: [py/classic]}
""")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with generated_project(tmp_path, monkeypatch, {"pyrun.py": DAG_FILE}, AIRLIFT_YAML):
        yield tmp_path


def test_context_keys_and_async_callables_run_green(project: Path) -> None:
    import dagster as dg

    assert generate("pyrun") == 0
    assets = [
        getattr(importlib.import_module(f"airlift_generated.pyrun__{name}"), f"pyrun__{name}")
        for name in ("stamp", "later", "classic")
    ]
    result = dg.materialize(assets)
    handed = {
        e.asset_key.to_user_string(): e.materialization.metadata["airlift/xcom_return_value"].value
        for e in result.get_asset_materialization_events()
    }
    day = handed["py/stamp"]
    assert isinstance(day, str) and len(day) == 10
    assert handed == {"py/stamp": day, "py/later": 3, "py/classic": f"{day}|dagster_"}
