"""The "Dagster run" link plugin is registered under Airflow's ``airflow.plugins``
entry point, so Airflow 2 finds it without a file in the plugins folder.

The real proof is ``tests/e2e/test_proxy_e2e.py::test_dagster_run_link_and_the_way_back``
(Airflow 2 and 3 through REST, nothing in the plugins folder); these checks fail
fast when the declaration or the installed metadata drift.
"""

from __future__ import annotations

import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = "airflow_side.plugin:AirliftPlugin"


def test_pyproject_declares_the_plugin() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"]["airflow.plugins"] == {"airlift": TARGET}


def test_the_installed_entry_point_loads_the_plugin_airflow_dedups_by_name() -> None:
    found = [ep for ep in entry_points(group="airflow.plugins") if ep.value == TARGET]
    assert found, "reinstall the project (scripts/setup): its entry points are stale"
    pytest.importorskip("airflow")
    from airflow_side.links import DagsterRunLink

    plugin = found[0].load()
    # Airflow keeps the first plugin of a name: the entry point and an old
    # plugins-folder file never register the link twice.
    assert plugin.name == "airlift"
    assert [type(link) for link in plugin.operator_extra_links] == [DagsterRunLink]
