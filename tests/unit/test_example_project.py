"""The example project is valid, consistent across its files, and its work is real."""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from airlift_component.config.airlift_yaml.load import load_airlift_file
from airlift_component.config.proxied_state.file import read_proxied_state_dir
from tests.unit.child_python import json_answer

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "example_project"
DAGS = EXAMPLE / "airflow" / "dags"
AIRFLOW_PYTHONS = {
    "airflow3": ROOT / ".venv" / "bin" / "python",
    "airflow2": ROOT / ".venv-airflow2" / "bin" / "python",
}

EXPECTED_TASKS = {
    "customers_etl": {"extract", "transform.clean", "transform.enrich", "load"},
    "daily_report": {"build_report", "check_report", "publish"},
    "regional_sales": {
        "fetch_orders",
        "aggregate_emea",
        "aggregate_amer",
        "aggregate_apac",
        "aggregate_latam",
        "combine",
    },
}


def _airlift_file():  # type: ignore[no-untyped-def]
    return load_airlift_file(EXAMPLE / "airlift.yaml", environ={"AIRFLOW_PASSWORD": "x"})


def test_airlift_validate_passes_on_the_example() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airlift_component", "validate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_url_defaults_to_local_airflow_and_follows_the_environment() -> None:
    assert _airlift_file().instances[0].url == "http://127.0.0.1:8080"
    moved = load_airlift_file(
        EXAMPLE / "airlift.yaml",
        environ={"AIRFLOW_PASSWORD": "x", "AIRFLOW_URL": "http://127.0.0.1:18080"},
    )
    assert moved.instances[0].url == "http://127.0.0.1:18080"


def test_every_task_is_mapped_and_listed_unproxied() -> None:
    instance = _airlift_file().instances[0]
    states = read_proxied_state_dir(EXAMPLE / instance.proxied_state_dir)  # type: ignore[operator]
    assert not states.problems
    for dag_id, tasks in EXPECTED_TASKS.items():
        mapping = instance.mapping_for(dag_id)
        assert mapping is not None, dag_id
        assert {task.task for task in mapping.tasks} == tasks
        for task in mapping.tasks:
            for spec in task.assets:
                assert spec.group and spec.owners and spec.kinds, spec.key
        state = states.get(dag_id)
        assert state is not None and state.proxied is None
        assert dict(state.tasks) == dict.fromkeys(tasks, False)


def test_code_references_are_dagster_assets_with_the_mapped_keys_and_deps() -> None:
    import importlib

    import dagster as dg

    sys.path.insert(0, str(EXAMPLE / "dagster"))
    try:
        specs = [
            spec
            for mapping in _airlift_file().instances[0].mappings
            for task in mapping.tasks
            for spec in task.assets
            if spec.code
        ]
        assert {spec.key for spec in specs} >= {"staging/customers_clean"}
        for spec in specs:
            module, attribute = spec.code.split(":")  # type: ignore[union-attr]
            asset = getattr(importlib.import_module(module), attribute)
            assert isinstance(asset, dg.AssetsDefinition)
            assert asset.key == dg.AssetKey(spec.path)
            deps = {dep.asset_key for dep in asset.specs_by_key[asset.key].deps}
            assert deps == {dg.AssetKey(dep.split("/")) for dep in spec.deps}
    finally:
        sys.path.remove(str(EXAMPLE / "dagster"))


def test_the_work_runs_end_to_end_on_local_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRLIFT_EXAMPLE_DATA", str(tmp_path))
    monkeypatch.syspath_prepend(str(DAGS))
    import example_work as work

    assert work.extract_customers()["rows"] == 27
    cleaned = work.clean_customers()
    assert (cleaned["rows"], cleaned["dropped"]) == (24, 3)
    assert work.enrich_customers()["rows"] == 24
    assert work.load_customers()["rows"] == 24
    work.fetch_orders()
    totals = [work.aggregate_region(region) for region in work.REGIONS]
    assert sum(total["orders"] for total in totals) == 60
    combined = work.combine_regions()
    report = work.build_daily_report("2026-11-25")
    work.publish_daily_report("2026-11-25")

    with (tmp_path / "staging/customers_clean.csv").open() as handle:
        emails = [row["email"] for row in csv.DictReader(handle)]
    assert all(email == email.strip().lower() and "@" in email for email in emails)
    with sqlite3.connect(tmp_path / "warehouse.db") as db:
        assert db.execute("SELECT COUNT(*) FROM customers").fetchone() == (24,)
        revenue = db.execute("SELECT SUM(CAST(revenue AS REAL)) FROM regional_sales").fetchone()
    assert revenue[0] == pytest.approx(float(combined["revenue"]))
    assert report["customers"] == 24
    latest = (tmp_path / "reports/latest.md").read_text()
    assert latest.startswith("# Daily report 2026-11-25")
    assert "- emea: 8" in latest


_DAGBAG_SCRIPT = textwrap.dedent(
    """
    import json, sys
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag
    bag = DagBag(dag_folder=sys.argv[1])  # LOAD_EXAMPLES=False in the environment
    print(json.dumps({
        "errors": {k: str(v) for k, v in bag.import_errors.items()},
        "dags": {
            dag_id: {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks}
            for dag_id, dag in bag.dags.items()
        },
    }))
    """
)


@pytest.mark.parametrize("airflow", sorted(AIRFLOW_PYTHONS), ids=sorted(AIRFLOW_PYTHONS))
def test_dags_parse_in_airflow_with_the_documented_shape(airflow: str, tmp_path: Path) -> None:
    python = AIRFLOW_PYTHONS[airflow]
    assert python.exists(), f"{python} missing: run scripts/setup"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "PYTHONPATH": str(DAGS),  # what the DAG processor does for its DAGs folder
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRLIFT_EXAMPLE_DATA": str(tmp_path / "data"),
    }
    report = json_answer(["-c", _DAGBAG_SCRIPT, str(DAGS)], env=env, python=python, timeout=180)
    assert report["errors"] == {}
    assert {dag: set(tasks) for dag, tasks in report["dags"].items()} == EXPECTED_TASKS
    etl = report["dags"]["customers_etl"]
    assert etl["extract"] == ["transform.clean"]
    assert etl["transform.clean"] == ["transform.enrich"]
    assert etl["transform.enrich"] == ["load"]
    sales = report["dags"]["regional_sales"]
    assert len(sales["fetch_orders"]) == 4
    assert all(sales[f"aggregate_{r}"] == ["combine"] for r in ("emea", "amer", "apac", "latam"))


def test_defs_yaml_points_at_the_example_airlift_yaml() -> None:
    import yaml

    defs_yaml = EXAMPLE / "dagster" / "airlift_example" / "defs" / "airflow" / "defs.yaml"
    component = yaml.safe_load(defs_yaml.read_text())
    assert component["type"] == "airlift_component.component.registry.AirliftComponent"
    target = (defs_yaml.parent / component["attributes"]["airlift_yaml"]).resolve()
    assert target == (EXAMPLE / "airlift.yaml").resolve()


def test_dg_check_yaml_accepts_the_component_file() -> None:
    dg = Path(sys.executable).parent / "dg"
    result = subprocess.run(
        [str(dg), "check", "yaml"],
        cwd=EXAMPLE / "dagster",
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "validated successfully" in result.stdout + result.stderr
