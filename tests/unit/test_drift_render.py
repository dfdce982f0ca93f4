"""`airlift drift` output: what is gone always in full, peered-but-unmapped DAGs summarized."""

from __future__ import annotations

import json

from airlift_component.airflow_state.drift import (
    UNMAPPED_SHOWN,
    DriftReport,
    render_json,
    render_text,
)


def _report() -> DriftReport:
    return DriftReport(
        "prod",
        "https://airflow.example.com",
        unmapped_dags=[f"dag_{i:03d}" for i in range(250)],
        missing_dags=[f"gone_{i}" for i in range(8)],
        missing_tasks=[["orders", f"task_{i}"] for i in range(8)],
    )


def test_many_unmapped_dags_are_counted_and_the_first_few_named() -> None:
    text = render_text([_report()])
    unmapped = [line for line in text.splitlines() if "UNMAPPED" in line]
    assert len(unmapped) == 1
    assert "250 DAGs" in unmapped[0] and "245 more" in unmapped[0]
    assert all(f"dag_{i:03d}" in unmapped[0] for i in range(UNMAPPED_SHOWN))
    assert f"dag_{UNMAPPED_SHOWN:03d}" not in unmapped[0]


def test_gone_dags_and_tasks_are_always_listed_in_full() -> None:
    text = render_text([_report()])
    assert sum("GONE     DAG" in line for line in text.splitlines()) == 8
    assert sum("GONE     task" in line for line in text.splitlines()) == 8


def test_verbose_and_json_list_every_unmapped_dag() -> None:
    verbose = render_text([_report()], verbose=True)
    assert sum("UNMAPPED DAG" in line for line in verbose.splitlines()) == 250
    body = json.loads(render_json([_report()]))
    assert len(body["instances"][0]["unmapped_dags"]) == 250


def test_a_few_unmapped_dags_are_listed_one_per_line() -> None:
    report = DriftReport("prod", "https://a", unmapped_dags=["a", "b", "c"])
    assert sum("UNMAPPED DAG" in line for line in render_text([report]).splitlines()) == 3
