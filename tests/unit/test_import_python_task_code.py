"""import-python writes a task whose assets all come from one asset definition as the
one-line task-level ``code:`` mapping (``select:`` when another task kept some of its
keys), a ``@dbt_assets`` project included; a task of several sources keeps its list.
The written file is accepted by ``airlift validate`` and, built with the project's
code, maps the same keys to the same tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from import_python_support import data_of, validate_problems

from airlift_component.component.code_refs import CodeSite
from airlift_component.component.task_code import selected_keys
from airlift_component.config.airlift_yaml.model import TaskMapping
from airlift_component.import_python import import_definitions, render_airlift_yaml

ASSETS = """\
import dagster as dg


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["mart", "orders"]),
        dg.AssetSpec(["mart", "revenue"], deps=[["mart", "orders"]]),
        dg.AssetSpec(["mart", "margin"], deps=[["mart", "orders"]]),
    ],
    can_subset=True,
)
def marts(context: dg.AssetExecutionContext):
    for key in sorted(context.selected_asset_keys):
        yield dg.MaterializeResult(asset_key=key)


@dg.asset(key=["staging", "clean"])
def clean() -> None:
    return None
"""

DBT = """\
from dagster_dbt import dbt_assets


@dbt_assets(manifest="target/manifest.json")
def dbt_models(context, dbt):
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(manifest="other/manifest.json")
def dbt_other(context, dbt):
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(manifest="third/manifest.json")
def dbt_third(context, dbt):
    yield from dbt.cli(["build"], context=context).stream()
"""

DEFINITIONS = """\
from dagster import AssetSpec, Definitions
from dagster_airlift.core import (
    AirflowBasicAuthBackend,
    AirflowInstance,
    assets_with_dag_mappings,
    assets_with_task_mappings,
    build_defs_from_airflow_instance,
)

from proj.assets import clean, marts
from proj.dbt import dbt_models, dbt_other, dbt_third

defs = build_defs_from_airflow_instance(
    airflow_instance=AirflowInstance(
        auth_backend=AirflowBasicAuthBackend(
            webserver_url="http://localhost:8080", username="admin", password="admin"
        ),
        name="shop",
    ),
    defs=Definitions(
        assets=[
            *assets_with_task_mappings(
                dag_id="shop",
                task_mappings={
                    "orders": [AssetSpec(["mart", "orders"])],
                    "marts": [marts],
                    "clean": [clean],
                    "dbt": [dbt_models],
                    "mixed": [AssetSpec("raw"), dbt_other],
                },
            ),
            *assets_with_dag_mappings({"other": [dbt_third]}),
        ]
    ),
)
"""


#: The written file as data, the findings as printed, and its path.
Written = tuple[dict[str, Any], list[str], Path]


@pytest.fixture
def written(tmp_path: Path) -> Written:
    package = tmp_path / "proj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "assets.py").write_text(ASSETS)
    (package / "dbt.py").write_text(DBT)
    (package / "definitions.py").write_text(DEFINITIONS)
    result = import_definitions(package / "definitions.py")
    text, _ = render_airlift_yaml(result)
    out = tmp_path / "airlift.yaml"
    out.write_text(text)
    return data_of(text), [f.format() for f in result.findings], out


def _tasks(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (mapping,) = [m for m in data["instances"][0]["mappings"] if m["dag"] == "shop"]
    return {task["task"]: task for task in mapping["tasks"]}


def test_one_definition_alone_on_a_task_is_one_line(written: Written) -> None:
    data, _, out = written
    tasks = _tasks(data)
    assert tasks["clean"] == {"task": "clean", "code": "proj.assets:clean"}
    assert tasks["dbt"] == {"task": "dbt", "code": "proj.dbt:dbt_models"}
    assert validate_problems(out) == []


def test_a_definition_another_task_kept_a_key_of_gets_select(written: Written) -> None:
    data, findings, _ = written
    tasks = _tasks(data)
    assert tasks["orders"] == {"task": "orders", "assets": ["mart/orders"]}
    assert tasks["marts"] == {
        "task": "marts",
        "code": "proj.assets:marts",
        "select": 'key:"mart/revenue" or key:"mart/margin"',
    }
    assert any("asset mart/orders is mapped twice" in f for f in findings)


def test_the_select_written_picks_the_keys_the_task_kept(
    written: Written,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, _, out = written
    monkeypatch.syspath_prepend(str(tmp_path))
    from proj.assets import marts  # type: ignore[import-not-found]

    task = TaskMapping.model_validate(_tasks(data)["marts"])
    keys = selected_keys(marts, task, CodeSite(str(out), "shop", "shop", "marts"))
    assert keys == sorted([dg.AssetKey(["mart", "revenue"]), dg.AssetKey(["mart", "margin"])])


def test_a_dbt_project_with_other_assets_or_on_a_dag_is_a_finding(written: Written) -> None:
    data, findings, _ = written
    assert _tasks(data)["mixed"] == {"task": "mixed", "assets": ["raw"]}
    assert any("task mixed: proj.dbt:dbt_other is mapped with other assets" in f for f in findings)
    assert any("proj.dbt:dbt_third is mapped to DAG other" in f for f in findings)
    assert [m["dag"] for m in data["instances"][0]["mappings"]] == ["shop"]
