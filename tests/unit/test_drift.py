"""`airlift drift` and `airlift refresh` against the fake Airflow server with the real client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlift_component.airflow_state.state_file import read_state_file
from airlift_component.cli.main import main
from tests.harness.fake_airflow import FakeAirflow
from tests.unit.cli_project import CUSTOMERS, fake_airflow_project

HIDDEN = """\
- dag: hidden
  tasks:
    - task: t
      assets: [hidden/t]
"""


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[FakeAirflow, Path]]:
    """Airflow serving DAGs customers, hidden and orders; airlift.yaml mapping customers
    and hidden, and leaving hidden out."""
    extra = 'dags: {exclude: ["hidden"]}'
    with fake_airflow_project(tmp_path, CUSTOMERS + HIDDEN, extra=extra) as (fake, config):
        fake.add_dag("customers", {"extract": ["load"], "load": []})
        fake.add_dag("hidden", {"t": []})
        fake.add_dag("orders", {"x": []})
        yield fake, config


@pytest.fixture
def fake(project: tuple[FakeAirflow, Path]) -> FakeAirflow:
    return project[0]


@pytest.fixture
def config(project: tuple[FakeAirflow, Path]) -> Path:
    return project[1]


def _drift(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["drift", "--config", str(config), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_refresh_writes_the_state_file_build_defs_reads(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["refresh", "--config", str(config)]) == 0
    state = read_state_file(config.parent / ".airlift" / "state.json")
    assert state is not None
    assert set(state.instances["prod"].dags) == {"customers", "orders"}
    assert "prod: 2 DAG(s)" in capsys.readouterr().out


def test_refresh_with_airflow_down_exits_1_naming_the_instance(
    config: Path, fake: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    url = fake.url
    fake.stop()
    assert main(["refresh", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "instance 'prod'" in err and url in err


def test_no_drift_but_unmapped_and_filtered_dags_are_reported(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _drift(config, capsys)
    assert code == 0
    prod = report["instances"][0]
    assert prod["unmapped_dags"] == ["orders"]
    assert prod["filtered_out_dags"] == ["hidden"]
    assert prod["missing_dags"] == prod["missing_tasks"] == []


def test_removed_task_is_gone_and_exits_1(
    config: Path, fake: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.add_dag("customers", {"extract": ["load_v2"], "load_v2": []})
    code, report = _drift(config, capsys)
    assert code == 1
    assert report["something_gone"] is True
    assert report["instances"][0]["missing_tasks"] == [["customers", "load"]]


def test_removed_dag_is_gone_and_exits_1_in_text(
    config: Path, fake: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.remove_dag("customers")
    assert main(["drift", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "GONE     DAG customers: mapped in airlift.yaml, not in Airflow" in out


def test_changed_upstreams_since_the_cache(
    config: Path, fake: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["refresh", "--config", str(config)]) == 0
    capsys.readouterr()
    fake.add_dag("customers", {"extract": [], "check": ["load"], "load": []})
    code, report = _drift(config, capsys)
    assert code == 0
    assert report["instances"][0]["upstream_changes"] == [
        {"dag": "customers", "task": "load", "before": ["extract"], "after": ["check"]}
    ]


def test_without_cache_upstreams_are_not_compared_and_say_so(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, report = _drift(config, capsys)
    assert "airlift refresh" in report["instances"][0]["note"]


def test_missing_config_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drift", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert "--config" in capsys.readouterr().err


def test_a_config_folder_is_named_as_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drift", "--config", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: is a folder, not a file (pass the airlift.yaml in it: --config " in err


def test_versioned_state_storage_compares_without_the_state_and_says_why(
    fake: FakeAirflow, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "proj"
    folder = root / "src" / "acme" / "defs" / "airflow"
    folder.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "acme"\n'
    )
    (folder / "defs.yaml").write_text(
        "type: airlift_component.component.AirliftComponent\n"
        "attributes:\n  defs_state: {management_type: VERSIONED_STATE_STORAGE}\n"
    )
    config = folder / "airlift.yaml"
    config.write_text((tmp_path / "airlift.yaml").read_text())  # the fixture project's
    fake.remove_dag("customers")
    code, report = _drift(config, capsys)
    assert code == 1
    prod = report["instances"][0]
    assert prod["missing_dags"] == ["customers"]
    assert "versioned defs-state storage" in prod["note"] and "--state FILE" in prod["note"]


def test_state_option_naming_a_missing_file_is_a_usage_error(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.json"
    assert main(["drift", "--config", str(config), "--state", str(missing)]) == 2
    err = capsys.readouterr().err
    assert f"--state {missing}: no such file" in err and "Traceback" not in err


def test_state_option_naming_a_folder_is_one_clear_error(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["drift", "--config", str(config), "--state", str(tmp_path)]) != 0
    err = capsys.readouterr().err
    assert f"{tmp_path}: is a folder, not an Airflow state file" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_dag_proxied_as_a_whole_is_not_gone(
    config: Path, fake: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    """After `airlift proxy on customers --dag`, Airflow shows one proxy task in place of
    the DAG's tasks: that is the playbook's decommission step, not drift."""
    fake.add_dag("customers", {"DAGSTER_OVERRIDE_DAG_customers": []})
    code, report = _drift(config, capsys)
    assert code == 0
    prod = report["instances"][0]
    assert report["something_gone"] is False
    assert prod["missing_tasks"] == []
    assert prod["proxied_dags"] == ["customers"]

    assert main(["drift", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "PROXIED  DAG customers: runs in Dagster as a whole" in out
    assert "GONE" not in out and "update airlift.yaml" not in out
