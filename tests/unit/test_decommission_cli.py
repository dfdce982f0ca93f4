"""`airlift decommission`: what it refuses, what it writes, and --undo, against an
in-process fake of Airflow's REST API (the real systems: tests/e2e/test_decommission_e2e.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from airlift_component.cli.main import main
from tests.unit.decommission_support import AIRLIFT, FakeAirflow, fake_airflow, project


@pytest.fixture
def airflow(monkeypatch: pytest.MonkeyPatch) -> FakeAirflow:
    return fake_airflow(monkeypatch)


def _run(path: Path, *args: str) -> int:
    return main(["decommission", "orders", "--config", str(path), *args])


def test_a_dag_with_tasks_still_in_airflow_is_refused_naming_them(
    tmp_path: Path, airflow: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(tmp_path, "tasks:\n  - id: load\n    proxied: true\n")
    assert _run(path) == 1
    err = capsys.readouterr().err
    assert "check still run(s) in Airflow" in err and "--force" in err
    assert path.read_text() == AIRLIFT and airflow.patches == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(
            {"next_dagrun_run_after": "2026-01-01T00:00:00Z"}, "was due at", id="next-run-past"
        ),
        pytest.param(
            {"timetable_summary": "After each workday, at 08:00"},
            "no cron can stand for",
            id="custom-timetable",
        ),
        pytest.param(
            {"asset_expression": {"asset": {"uri": "s3://a", "name": "a"}}},
            "airflow_assets: {enabled: true}",
            id="assets-not-shown",
        ),
    ],
)
def test_what_cannot_move_to_dagster_is_refused_with_the_reason(
    tmp_path: Path,
    airflow: FakeAirflow,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    reason: str,
) -> None:
    path = project(tmp_path)
    airflow.details.update(change)
    assert _run(path) == 1
    assert reason in capsys.readouterr().err
    assert path.read_text() == AIRLIFT and airflow.patches == []


def test_without_reload_it_writes_the_block_and_pauses_only_once_dagster_has_it(
    tmp_path: Path, airflow: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(tmp_path)
    assert _run(path) == 0
    out = capsys.readouterr().out
    assert "Airflow still runs the DAG" in out and "airlift reload" in out
    block = yaml.safe_load(path.read_text())["instances"][0]["mappings"][0]["decommissioned"]
    assert block["cron"] == "0 * * * *" and block["timezone"] == "Europe/Amsterdam"
    assert block["first_tick"] == airflow.details["next_dagrun_run_after"]
    assert block["logical_date"] == "tick" and block["paused_by_airlift"] is True
    assert airflow.patches == []
    # The second run looks in Dagster first: none there, so nothing is paused.
    assert _run(path, "--dagster-url", "http://127.0.0.1:9") == 1
    assert "unreachable" in capsys.readouterr().err
    assert airflow.patches == []
    # --undo gives airlift.yaml back byte for byte and unpauses (the block says airlift
    # pauses it; unpausing a DAG that is not paused changes nothing).
    airflow.details["is_paused"] = False
    assert _run(path, "--undo") == 0
    assert path.read_text() == AIRLIFT
    assert airflow.patches == [False]


def test_a_dag_paused_already_stays_paused_and_undo_leaves_it_so(
    tmp_path: Path, airflow: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(tmp_path)
    airflow.details["is_paused"] = True
    assert _run(path) == 0
    assert "was paused in Airflow already" in capsys.readouterr().out
    assert "paused_by_airlift: false" in path.read_text()
    assert _run(path) == 0  # again: decommissioned and paused, nothing to do
    assert "nothing to do" in capsys.readouterr().out
    assert _run(path, "--undo") == 0
    assert path.read_text() == AIRLIFT and airflow.patches == []


def test_undo_of_an_edited_block_is_refused_showing_what_differs_unless_forced(
    tmp_path: Path, airflow: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project(tmp_path)
    assert _run(path) == 0
    path.write_text(path.read_text().replace('"0 * * * *"', '"0 * * * *"  # hourly'))
    assert _run(path, "--undo") == 1
    err = capsys.readouterr().err
    assert '+          cron: "0 * * * *"  # hourly' in err and "--force" in err
    assert airflow.patches == []
    assert _run(path, "--undo", "--force") == 0
    assert path.read_text() == AIRLIFT and airflow.patches == [False]


def test_a_next_run_off_the_crons_clock_asks_for_the_dags_timezone(
    tmp_path: Path, airflow: FakeAirflow, capsys: pytest.CaptureFixture[str]
) -> None:
    """Airflow (2.10 and 3) reports timezone UTC for a DAG whose start_date is in
    Amsterdam: its next run, 02:30 Amsterdam, is no tick of ``30 2 * * *`` in UTC."""
    path = project(tmp_path)
    at = datetime.now(timezone.utc) + timedelta(days=2)
    local = at.astimezone(ZoneInfo("Europe/Amsterdam")).replace(hour=2, minute=30, second=0)
    run_after = local.replace(microsecond=0).astimezone(timezone.utc).isoformat()
    airflow.details.update(
        {"timetable_summary": "30 2 * * *", "timezone": "UTC"}
        | {f"next_dagrun_{k}": run_after for k in ("run_after", "logical_date")}
    )
    assert _run(path) == 1
    assert "--timezone NAME" in capsys.readouterr().err
    assert path.read_text() == AIRLIFT
    assert _run(path, "--timezone", "Mars/Olympus") == 2
    assert _run(path, "--timezone", "Europe/Amsterdam") == 0
    block = yaml.safe_load(path.read_text())["instances"][0]["mappings"][0]["decommissioned"]
    assert (block["timezone"], block["first_tick"]) == ("Europe/Amsterdam", run_after)
