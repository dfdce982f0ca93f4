"""docs/from-dagster-airlift.md as written: the DAG-file section's `grep` and midnight
function, and section 2c's Python modules and airlift.yaml, built and run.

(Its YAML blocks are also validated by ``test_docs_examples``; section 2b's by
``test_import_python_docs``.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest
from airlift_stub import StubAirflow
from dagster._time import get_current_datetime_midnight

from airlift_component.component import build_defs

DOC = Path(__file__).resolve().parents[2] / "docs" / "from-dagster-airlift.md"
FENCE = re.compile(r"^```(?P<lang>\w+)[ \t]*\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(lang: str) -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [m["body"] for m in FENCE.finditer(text) if m["lang"] == lang]


def _block(lang: str, containing: str) -> str:
    (found,) = [body for body in _blocks(lang) if containing in body]
    return found


def _file(first_line: str) -> str:
    """Section 2c's python block whose first line is ``# <path>``."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## 2c.") : text.index("## 3.")]
    bodies = [m["body"] for m in FENCE.finditer(section) if m["lang"] == "python"]
    (found,) = [body for body in bodies if body.splitlines()[0] == first_line]
    return found


def test_the_midnight_function_gives_what_dagsters_gives() -> None:
    namespace: dict[str, object] = {}
    exec(_block("python", "def current_datetime_midnight"), namespace)
    ours = namespace["current_datetime_midnight"]
    before = get_current_datetime_midnight()
    got = ours()  # type: ignore[operator]
    after = get_current_datetime_midnight()
    assert isinstance(got, datetime)
    assert got in (before, after)  # the same, unless midnight passed in between
    assert got.utcoffset() is not None and got.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


DAG_FILES = {
    "tutorial.py": "from dagster._time import get_current_datetime_midnight\n",
    "keys.py": "import dagster\n",
    "public.py": "from dagster import AssetKey\n",
    "renamed.py": "from airflow_side import proxying_to_dagster\n",
    "plain.py": "from datetime import datetime\n",
    "old.py": "from dagster_airlift.in_airflow import proxying_to_dagster\n",
}


def test_the_grep_finds_every_dagster_import_and_nothing_else(tmp_path: Path) -> None:
    (command,) = [
        line[2:] for line in _block("text", "grep -rn").splitlines() if line.startswith("$ ")
    ]
    dags = tmp_path / "dags"
    dags.mkdir()
    for name, text in DAG_FILES.items():
        (dags / name).write_text(text)
    done = subprocess.run(
        ["bash", "-c", command], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    found = {line.split(":")[0] for line in done.stdout.splitlines()}
    assert found == {f"dags/{n}" for n in ("tutorial.py", "keys.py", "public.py", "old.py")}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Section 2c's files, written as shown, in a folder that is the current one."""
    package = tmp_path / "my_project"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("checks", "dbt", "definitions"):
        (package / f"{name}.py").write_text(_file(f"# my_project/{name}.py"))
    (tmp_path / "airlift.yaml").write_text(_block("yaml", "build_dbt_models"))
    for module in [m for m in sys.modules if m == "my_project" or m.startswith("my_project.")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIRFLOW_USER", "dagster")
    monkeypatch.setenv("AIRFLOW_PASSWORD", "unused")
    monkeypatch.setenv("WAREHOUSE_URL", "duckdb:///warehouse.db")
    airflow = StubAirflow("https://airflow.example.com")
    airflow.add_dag(
        "rebuild_customers_list",
        {
            "load_raw_customers": ["build_dbt_models"],
            "build_dbt_models": ["export_customers"],
            "export_customers": [],
        },
        schedule="@daily",
    )
    # The Airflow state, as `airlift refresh` writes it.
    build_defs(
        tmp_path / "airlift.yaml",
        refresh="always",
        client_factory=lambda instance: airflow.client(instance),
    )
    return tmp_path


def test_section_2c_builds_as_written(project: Path) -> None:
    import importlib

    defs = importlib.import_module("my_project.definitions").defs
    assert isinstance(defs, dg.Definitions)
    checks = {key for c in defs.asset_checks or () for key in c.check_keys}
    raw = dg.AssetKey(["raw", "customers"])
    assert checks == {
        dg.AssetCheckKey(raw, "raw_customers_not_empty"),
        dg.AssetCheckKey(raw, "freshness_check"),
        dg.AssetCheckKey(dg.AssetKey(["exports", "customers_csv"]), "rows_bounds_check"),
        dg.AssetCheckKey(
            dg.AssetKey(["analytics", "dag", "rebuild_customers_list"]), "freshness_check"
        ),
        dg.AssetCheckKey(dg.AssetKey(["dbt", "stg_customers"]), "freshness_check"),
        dg.AssetCheckKey(dg.AssetKey(["dbt", "customers"]), "freshness_check"),
    }
    graph = defs.resolve_asset_graph()
    models = [dg.AssetKey(["dbt", "stg_customers"]), dg.AssetKey(["dbt", "customers"])]
    for key in models:
        tags = graph.get(key).to_asset_spec().tags
        assert tags["airlift/task"] == "analytics.rebuild_customers_list.build_dbt_models"
    assert graph.get(models[0]).parent_keys == {raw}
    assert defs.resolve_schedule_def("marts_daily").cron_schedule == "0 6 * * *"
    # The multi-asset runs with the resource the merge gives it.
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process(asset_selection=models)
    assert result.success
    done = {e.asset_key for e in result.get_asset_materialization_events() if e.asset_key}
    assert done == set(models)
