"""`airlift drift` and a decommissioned DAG, against the fake Airflow server: paused is no
drift; unpaused, both orchestrators run it and the report says what to do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlift_component.cli.main import main
from tests.harness.fake_airflow import FakeAirflow
from tests.unit.cli_project import CUSTOMERS, DECOMMISSIONED, fake_airflow_project


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[FakeAirflow, Path]]:
    with fake_airflow_project(tmp_path, CUSTOMERS + DECOMMISSIONED) as project:
        yield project


def _json(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["drift", "--config", str(config), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["instances"][0]


def test_a_paused_decommissioned_dag_is_no_drift_even_with_its_tasks_changed(
    project: tuple[FakeAirflow, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, config = project
    # Airflow no longer runs it: a task renamed since is not compared.
    fake.add_dag("customers", {"extract": ["load_v2"], "load_v2": []}, is_paused=True)
    code, prod = _json(config, capsys)
    assert code == 0
    assert prod["decommissioned_dags"] == ["customers"]
    assert prod["unpaused_decommissioned"] == [] and prod["missing_tasks"] == []
    assert main(["drift", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "DECOMM   DAG customers: decommissioned (its schedule runs in Dagster) and paused" in out
    assert "  no drift\n" in out


def test_an_unpaused_decommissioned_dag_warns_that_two_orchestrators_run_it(
    project: tuple[FakeAirflow, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, config = project
    fake.add_dag("customers", {"extract": ["load"], "load": []}, is_paused=False)
    code, prod = _json(config, capsys)
    assert code == 0  # a warning: nothing mapped is gone
    assert prod["unpaused_decommissioned"] == ["customers"]
    assert prod["decommissioned_dags"] == []
    assert main(["drift", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "UNPAUSED DAG customers: decommissioned" in out
    assert "both orchestrators run it" in out
    assert "Pause it in Airflow" in out
    assert "`airlift decommission customers --undo --instance prod`" in out
    assert "no drift" not in out
    assert "pw" not in out


def test_a_decommissioned_dag_gone_from_airflow_is_still_gone(
    project: tuple[FakeAirflow, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, config = project
    code, prod = _json(config, capsys)
    assert code == 1
    assert prod["missing_dags"] == ["customers"]
