"""The status renderers: an aligned text table, JSON, and a self-contained HTML page."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path

from airlift_component.status.model import DagStatus, InstanceStatus, StatusReport
from airlift_component.status.render_html import render_html
from airlift_component.status.render_json import render_json
from airlift_component.status.render_text import render_text

EVIL = "<script>alert(1)</script>"


def _report() -> StatusReport:
    analytics = InstanceStatus(
        "analytics",
        "dags/proxied_state",
        "airlift.yaml",
        [
            DagStatus("customers_etl", "tasks", "dags/proxied_state/customers_etl.yaml", 1, 4),
            DagStatus("legacy", "dag", "dags/proxied_state/legacy.yaml", dag_proxied=True),
            DagStatus("reporting", "no file", mapped=True),
        ],
    )
    finance = InstanceStatus(
        "finance", "fin/proxied_state", "airlift.yaml", [DagStatus(EVIL, "tasks", "x", 3, 4)]
    )
    return StatusReport([analytics, finance])


def test_text_table_columns_are_aligned_with_totals() -> None:
    text = render_text(_report())
    lines = text.splitlines()
    assert lines[0].split() == ["INSTANCE", "DAG", "MODE", "PROXIED", "PROGRESS", "NOTE"]
    progress_end = lines[0].index("PROGRESS") + len("PROGRESS")
    for line in lines[1:]:
        percent = re.search(r"\d+%", line)
        assert percent is not None and percent.end() == progress_end, line
    assert "customers_etl" in lines[1] and "1/4" in lines[1] and "25%" in lines[1]
    assert "legacy" in lines[2] and " yes " in lines[2] and "100%" in lines[2]
    assert "no proxied-state file" in lines[3]
    assert lines[4].split()[:6] == ["analytics", "total", "3", "DAGs", "1/4", "42%"]
    assert lines[-1].split()[:5] == ["TOTAL", "4", "DAGs", "4/8", "50%"]


def test_text_single_instance_uses_a_heading() -> None:
    report = StatusReport([_report().instances[0]])
    lines = render_text(report).splitlines()
    assert lines[0] == "instance analytics (dags/proxied_state)"
    assert lines[1].split()[0] == "DAG"


def test_json_has_numbers_per_dag_and_instance() -> None:
    data = json.loads(render_json(_report()))
    assert data["totals"]["tasks_proxied"] == 4
    analytics = data["instances"][0]
    assert analytics["totals"]["dags_fully_proxied"] == 1
    assert analytics["dags"][0] == {
        "dag_id": "customers_etl",
        "mode": "tasks",
        "state": "tasks",
        "path": "dags/proxied_state/customers_etl.yaml",
        "tasks_proxied": 1,
        "tasks_total": 4,
        "dag_proxied": None,
        "mapped": None,
        "progress": 0.25,
        "problems": [],
        "decommissioned": None,
    }


def test_html_shows_expected_numbers_and_bars() -> None:
    page = render_html(_report(), generated=datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc))
    assert page.startswith("<!DOCTYPE html>")
    assert "Generated 2026-01-02 03:04 UTC" in page
    assert "4/8 tasks proxied · 1/4 DAGs fully proxied · 50%" in page
    assert "1/4 tasks proxied · 1/3 DAGs fully proxied · 42%" in page
    bars = re.findall(
        r'aria-label="([^"]*)"[^>]*aria-valuenow="(\d+)"><span style="width:([\d.]+)%', page
    )
    assert ("customers_etl", "25", "25.0") in bars
    assert ("legacy", "100", "100.0") in bars
    assert ("analytics", "42", "41.7") in bars
    assert ("overall", "50", "50.0") in bars


def test_html_escapes_names_and_is_self_contained() -> None:
    page = render_html(_report())
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"https?://|<link|src=|@import|url\(", page)
    assert "<style>" in page


def test_text_report_keeps_a_folder_with_a_newline_on_one_line(tmp_path: Path) -> None:
    from airlift_component.cli.main import main

    folder = tmp_path / "odd\nname" / "proxied_state"
    folder.mkdir(parents=True)
    (folder / "dag.yaml").write_text("proxied: maybe\n")
    output = tmp_path / "status.txt"
    assert main(["proxy", "status", "--dir", str(folder), "--output", str(output)]) == 1
    text = output.read_text()
    assert "odd\\nname" in text
    assert "odd\nname" not in text
