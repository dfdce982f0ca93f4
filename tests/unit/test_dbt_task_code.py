"""A dbt project mapped to its task in one line, with dagster-dbt and dbt-duckdb for real.

``tests/unit/dbt_project`` is a three-model dbt project on DuckDB; the module of its
``@dbt_assets`` and the two ``airlift.yaml`` mappings are docs/from-dagster-airlift.md's
blocks as written: the task that builds it mapped with ``code:`` alone
(dagster-airlift's ``"build_dbt_models": [dbt_project_assets]``), or the project split
over two tasks with ``select:``. Built against a stub Airflow: every model's key is
defined with dbt's lineage and the task's mapping tag; materialized in-process, dbt
builds the tables in DuckDB. (The proxied run of a whole multi-asset is e2e in
``tests/e2e/test_multi_asset_mapping_e2e.py``.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from airlift_stub import StubAirflow
from dagster_dbt import DbtCliResource

from airlift_component.component import build_defs
from tests.unit.cli_project import one_instance

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ROOT / "tests" / "unit" / "dbt_project"
DOC = ROOT / "docs" / "from-dagster-airlift.md"
FENCE = re.compile(r"^```(?P<lang>\w+)[ \t]*\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
DBT = str(Path(sys.executable).parent / "dbt")


def _doc_blocks(lang: str, first_line: str) -> list[str]:
    """The doc's ``lang`` blocks whose first line is ``first_line``, in order."""
    text = DOC.read_text(encoding="utf-8")
    bodies = [m["body"] for m in FENCE.finditer(text) if m["lang"] == lang]
    return [body for body in bodies if body.splitlines()[0] == first_line]


(MODULE,) = _doc_blocks("python", "# my_project/shop_dbt.py")
WHOLE, SPLIT = [
    b
    for b in _doc_blocks("yaml", "# in airlift.yaml, under the instance's mappings:")
    if "shop_dbt" in b
]

STG, CUSTOMERS, ORDERS = (dg.AssetKey([m]) for m in ("stg_customers", "customers", "orders"))
MODELS = [STG, CUSTOMERS, ORDERS]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The dbt project parsed (its manifest written) next to the module of its assets."""
    package = tmp_path / "my_project"
    shutil.copytree(PROJECT, package / "dbt_project")
    (package / "__init__.py").write_text("")
    (package / "shop_dbt.py").write_text(MODULE)
    monkeypatch.setenv("SHOP_DUCKDB_PATH", str(tmp_path / "shop.duckdb"))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(package / "dbt_project"))
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in [m for m in sys.modules if m == "my_project" or m.startswith("my_project.")]:
        monkeypatch.delitem(sys.modules, module)
    parsed = subprocess.run(
        [DBT, "parse", "--project-dir", str(package / "dbt_project")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    yield tmp_path


def _defs(project: Path, tasks: str) -> dg.Definitions:
    mappings = "\n".join(tasks.splitlines()[1:])  # the block without its comment line
    (project / "airlift.yaml").write_text(one_instance(mappings, name="shop", auth="{type: none}"))
    airflow = StubAirflow("http://127.0.0.1:8080")
    airflow.add_dag(
        "nightly",
        {"run_dbt": ["report"], "build_customers": [], "build_orders": [], "report": []},
        schedule="@daily",
    )
    built = build_defs(
        project / "airlift.yaml",
        refresh="always",
        client_factory=lambda instance: airflow.client(instance),
    )
    dbt = DbtCliResource(
        project_dir=str(project / "my_project" / "dbt_project"), dbt_executable=DBT
    )
    return dg.Definitions.merge(built, dg.Definitions(resources={"dbt": dbt}))


def _task_of(graph: Any, key: dg.AssetKey) -> str:
    return graph.get(key).to_asset_spec().tags["airlift/task"]


def test_a_dbt_project_maps_to_its_task_in_one_line_and_builds(project: Path) -> None:
    defs = _defs(project, WHOLE)
    graph = defs.resolve_asset_graph()
    for key in MODELS:
        assert graph.get(key).is_materializable, key
        assert _task_of(graph, key) == "shop.nightly.run_dbt"
    assert graph.get(CUSTOMERS).parent_keys == {STG}  # dbt's own lineage
    assert graph.get(ORDERS).parent_keys == {STG}
    assert graph.get(dg.AssetKey(["report"])).parent_keys == {CUSTOMERS}

    # What a proxied run_dbt runs: the whole project, in one run, through dbt.
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(asset_selection=MODELS)
    assert result.success
    done = {e.asset_key for e in result.get_asset_materialization_events()}
    assert done == set(MODELS)
    with duckdb.connect(str(project / "shop.duckdb"), read_only=True) as db:
        rows = db.execute("select name from customers order by customer_id").fetchall()
    assert rows == [("ADA",), ("GRACE",)]


def test_select_splits_a_dbt_project_over_two_tasks(project: Path) -> None:
    defs = _defs(project, SPLIT)
    graph = defs.resolve_asset_graph()
    assert _task_of(graph, STG) == "shop.nightly.build_customers"
    assert _task_of(graph, CUSTOMERS) == "shop.nightly.build_customers"
    assert _task_of(graph, ORDERS) == "shop.nightly.build_orders"
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
        asset_selection=[STG, CUSTOMERS]
    )
    assert result.success
    done = {e.asset_key for e in result.get_asset_materialization_events()}
    assert done == {STG, CUSTOMERS}  # a part of the project, as dbt's --select runs it
