"""`airlift proxy status` shows decommissioned DAGs (text, JSON, HTML), read from the
``decommissioned:`` blocks of airlift.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airlift_component.cli.main import main
from airlift_component.config.airlift_yaml.model import Decommissioned
from airlift_component.status.decommissioned import Decommission
from tests.unit.cli_project import DECOMMISSIONED, one_instance

CUSTOMERS = """\
- dag: customers
  tasks:
    - task: load_raw
      assets: [raw/customers]
"""
ORDERS = """\
- dag: orders
  assets: [orders/report]
"""
AIRLIFT = one_instance(
    CUSTOMERS + DECOMMISSIONED + ORDERS,
    name="analytics",
    auth="{type: basic, username: admin, password: s3cret}",
    extra="proxied_state_dir: proxied_state",
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "proxied_state").mkdir()
    (tmp_path / "proxied_state" / "customers.yaml").write_text("proxied: true\n")
    (tmp_path / "airlift.yaml").write_text(AIRLIFT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _status(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["proxy", "status", "--config", "airlift.yaml", *extra]) == 0
    out = capsys.readouterr().out
    assert "s3cret" not in out
    return out


def test_text_shows_the_state_the_schedule_and_the_first_tick(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _status(capsys).splitlines()
    row = next(line for line in lines if line.startswith("customers"))
    assert row.split()[:4] == ["customers", "decommissioned", "yes", "100%"]
    assert (
        "schedule in Dagster: cron '0 3 * * *' Europe/Amsterdam, first tick "
        "2026-03-29T03:00:00+02:00; paused in Airflow by airlift"
    ) in row
    orders = next(line for line in lines if line.startswith("orders"))
    assert "decommissioned" not in orders
    assert "1 decommissioned" in lines[-1]


def test_json_carries_the_block(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(_status(capsys, "--format", "json"))
    dags = {dag["dag_id"]: dag for dag in data["instances"][0]["dags"]}
    assert dags["customers"]["state"] == "decommissioned"
    assert dags["customers"]["mode"] == "dag"
    assert dags["customers"]["decommissioned"] == {
        "cron": "0 3 * * *",
        "timezone": "Europe/Amsterdam",
        "on_assets": None,
        "on_assets_updated": None,
        "first_tick": "2026-03-29T03:00:00+02:00",
        "paused_by_airlift": True,
    }
    assert dags["orders"]["state"] == "no file" and dags["orders"]["decommissioned"] is None
    assert data["totals"]["dags_decommissioned"] == 1


def test_html_marks_the_dag_decommissioned(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = _status(capsys, "--format", "html")
    assert '<span class="ok">decommissioned</span>' in page
    assert "schedule in Dagster: cron &#x27;0 3 * * *&#x27; Europe/Amsterdam" in page
    assert "1/2 DAGs fully proxied · 1 decommissioned · 50%" in page


def test_a_dag_scheduled_on_assets_shows_them() -> None:
    block = Decommissioned.model_construct(
        first_tick="2026-03-29T01:00:00Z",
        paused_by_airlift=False,
        on_assets=["raw/orders", "raw/customers"],
        on_assets_updated="all",
    )
    shown = Decommission.of(block)
    assert shown.schedule == "on all of raw/orders, raw/customers"
    assert shown.describe().endswith("; was paused already")
    assert shown.as_dict()["cron"] is None
