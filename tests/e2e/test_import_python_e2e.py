"""import-python against a real Airflow 2 and 3: a dagster-airlift module mapping the
observe_chain DAG, imported, refreshed and built, gives the keys and lineage that
dagster-airlift's rules give the module."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.cli.main import main as airlift_cli
from airlift_component.component import build_defs
from devtools.local_stack import AirflowServer
from tests.e2e.test_sensor_e2e import CHAIN

MODULE = """\
import os

from dagster import AssetKey, AssetSpec, Definitions
from dagster_airlift.core import (
    AirflowBasicAuthBackend,
    AirflowInstance,
    assets_with_dag_mappings,
    assets_with_task_mappings,
    build_defs_from_airflow_instance,
)

defs = build_defs_from_airflow_instance(
    airflow_instance=AirflowInstance(
        auth_backend=AirflowBasicAuthBackend(
            webserver_url={url!r},
            username={username!r},
            password=os.environ["E2E_AIRFLOW_PASSWORD"],
        ),
        name="imported",
    ),
    defs=Definitions(
        assets=[
            *assets_with_task_mappings(
                dag_id="observe_chain",
                task_mappings={{
                    "extract": [AssetSpec(["imported", "raw"])],
                    "load": [AssetSpec(["imported", "clean"], deps=[AssetKey(["imported", "raw"])])],
                }},
            ),
            *assets_with_dag_mappings(
                {{"observe_chain": [AssetSpec(["imported", "report"], deps=[["imported", "clean"]])]}}
            ),
        ]
    ),
    dag_selector_fn=lambda dag: dag.dag_id == "observe_chain",
)
"""

#: What dagster-airlift defines for MODULE: declared deps; the DAG asset on the DAG's
#: assets nothing else depends on.
ORIGINAL = {
    "imported/raw": set(),
    "imported/clean": {"imported/raw"},
    "imported/report": {"imported/clean"},
    "imported/dag/observe_chain": {"imported/report"},
}


def _upstream(lineage: dict[str, set[str]], key: str) -> set[str]:
    seen: set[str] = set()
    todo = list(lineage.get(key, ()))
    while todo:
        dep = todo.pop()
        if dep not in seen:
            seen.add(dep)
            todo.extend(lineage.get(dep, ()))
    return seen


def test_imported_module_refreshes_and_builds_the_originals_assets(
    airflow: AirflowServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    airflow.wait_for_dag(CHAIN)
    module = tmp_path / "definitions.py"
    module.write_text(MODULE.format(url=airflow.url, username=airflow.username))
    out = tmp_path / "airlift.yaml"
    assert airlift_cli(["import-python", str(module), "--out", str(out)]) == 0
    assert airflow.password not in out.read_text()
    monkeypatch.setenv("E2E_AIRFLOW_PASSWORD", airflow.password)
    assert airlift_cli(["refresh", "--config", str(out)]) == 0
    graph = build_defs(out, refresh="never").resolve_asset_graph()
    built = {
        key.to_user_string(): {
            dep.asset_key.to_user_string() for dep in graph.get(key).to_asset_spec().deps
        }
        for key in graph.get_all_asset_keys()
    }
    assert set(built) == set(ORIGINAL)
    for key, deps in ORIGINAL.items():
        if "/dag/" in key:
            assert _upstream(built, key) == _upstream(ORIGINAL, key)
        else:
            assert built[key] == deps, key
