"""`airlift drift` and `airlift refresh` against the fake Airflow server with the real client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlift_component.airflow_state.state_file import read_state_file
from airlift_component.cli.main import main
from tests.harness.fake_airflow import FakeAirflow

AIRLIFT = """\
version: 1
instances:
  - name: prod
    url: {url}
    api: v2
    auth: {{type: basic, username: admin, password: pw}}
    dags: {{exclude: ["hidden"]}}
    mappings:
      - dag: customers
        tasks:
          - task: extract
            assets: [raw/customers]
          - task: load
            assets: [analytics/customers]
      - dag: hidden
        tasks:
          - task: t
            assets: [hidden/t]
"""


@pytest.fixture
def fake() -> Iterator[FakeAirflow]:
    with FakeAirflow(api="v2", username="admin", password="pw") as fake:
        fake.add_dag("customers", {"extract": ["load"], "load": []})
        fake.add_dag("hidden", {"t": []})
        fake.add_dag("orders", {"x": []})
        yield fake


@pytest.fixture
def config(fake: FakeAirflow, tmp_path: Path) -> Path:
    path = tmp_path / "airlift.yaml"
    path.write_text(AIRLIFT.format(url=fake.url))
    return path


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
