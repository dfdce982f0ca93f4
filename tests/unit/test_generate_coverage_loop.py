"""The pieces of devtools.generate_coverage_loop that need no server: reading a Bash
task's output lines from Airflow 2 and 3 task logs, comparing two tries, and the
table a partial results file gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.generate_coverage_loop import (
    NOT_MEASURED,
    OWN_LOST,
    PROXIED_LOST,
    SAME,
    final,
    latest,
    read_results,
    report,
)
from devtools.generate_loop_effects import Effect, bash_output, compare, never_ran

AIRFLOW2_LOG = """\
[2024-05-06T00:00:01.000+0000] {taskinstance.py:2612} INFO - Dependencies all met
[2024-05-06T00:00:01.100+0000] {subprocess.py:63} INFO - Tmp dir root location: /tmp
[2024-05-06T00:00:01.200+0000] {subprocess.py:75} INFO - Running command: ['bash', '-c', 'x']
[2024-05-06T00:00:01.300+0000] {subprocess.py:86} INFO - Output:
[2024-05-06T00:00:01.400+0000] {subprocess.py:93} INFO - first line
[2024-05-06T00:00:01.450+0000] {logging_mixin.py:190} INFO - not the command's
[2024-05-06T00:00:01.500+0000] {subprocess.py:93} INFO - second - with a dash
[2024-05-06T00:00:01.600+0000] {subprocess.py:97} INFO - Command exited with return code 0
"""

HOOK = "airflow.task.hooks.airflow.providers.standard.hooks.subprocess.SubprocessHook"


def airflow3_log(events: list[tuple[str, str]]) -> str:
    return "".join(json.dumps({"event": e, "logger": logger}) + "\n" for logger, e in events)


def test_airflow2_output_lines_are_the_hook_lines_between_output_and_exit() -> None:
    assert bash_output(AIRFLOW2_LOG) == ["first line", "second - with a dash"]


def test_airflow3_output_lines_are_the_hook_events_between_output_and_exit() -> None:
    text = airflow3_log(
        [
            ("task", "::group::Pre Execute"),
            (HOOK, "Running command: ['bash', '-c', 'x']"),
            (HOOK, "Output:"),
            (HOOK, "hello"),
            ("task.stdout", "a print of the task process"),
            (HOOK, ""),
            (HOOK, "Command exited with return code 0"),
            (HOOK, "after"),
        ]
    )
    assert bash_output(text) == ["hello", ""]


def test_a_log_without_command_output_has_no_lines() -> None:
    assert bash_output("[t] {taskinstance.py:1} INFO - Marking task as SUCCESS\n") is None
    assert bash_output("") is None


def test_bash_tries_agree_on_the_same_lines_and_xcom() -> None:
    own = Effect("success", xcom="b", has_xcom=True, lines=["a", "b"])
    proxied = Effect("success", xcom="b", has_xcom=True)
    assert compare("bash", own, proxied, ["a", "b"]) == "same"
    assert compare("bash", own, proxied, ["a", "c"]) == "output line 2 differs: 'b' vs 'c'"
    assert compare("bash", own, proxied, ["a"]) == "output has 1 lines, Airflow's 2"
    assert compare("bash", own, proxied, None) == "no captured output of the Dagster run found"


def test_python_tries_agree_on_the_return_value() -> None:
    own = Effect("success", xcom={"total": 3}, has_xcom=True)
    assert compare("python", own, Effect("success", {"total": 3}, True), None) == "same"
    assert compare("python", own, Effect("success"), None) == (
        "XCom differs: Airflow {'total': 3}, proxied none"
    )


def write_rows(path: Path, rows: list[tuple[str, str, str, str, str]]) -> None:
    """(airflow, task, kind, outcome, detail) rows, all of DAG ``d``."""
    path.write_text(
        "".join(
            json.dumps({"airflow": a, "dag": "d", "task": t, "kind": k, "outcome": o, "detail": x})
            + "\n"
            for a, t, k, o, x in rows
        )
    )


def test_the_report_counts_what_a_partial_run_recorded(tmp_path: Path) -> None:
    results = tmp_path / "loop.jsonl"
    rows = [
        ("Airflow 3", "t0", "bash", SAME, ""),
        ("Airflow 3", "t1", "python", SAME, ""),
        (
            "Airflow 3",
            "t2",
            "python",
            "green, different effect",
            "XCom differs: Airflow 1, proxied 2",
        ),
        ("Airflow 3", "t3", "bash", OWN_LOST, "never ran: t3"),
        ("Airflow 3", "t4", "bash", "Airflow's own operator ended skipped", ""),
        ("Airflow 2.10", "t0", "empty", SAME, ""),
    ]
    write_rows(results, rows)
    table = report(results)
    assert "| | Airflow 3 | Airflow 2.10 |" in table
    assert "| generated tasks run in the loop | 5 | 1 |" in table
    assert "| compared (Airflow's operator succeeded and the proxied try ran) | 3 | 1 |" in table
    assert (
        f"| **green proxied, {SAME}** | **2** (67% of compared) | **1** (100% of compared) |"
        in table
    )
    assert "| green, different effect | 1 | 0 |" in table
    assert f"| {OWN_LOST} | 1 | 0 |" in table
    assert "- Airflow 3: d.t2 (python): green, different effect: XCom differs" in table
    # Compared outcomes first, then nothing to compare, then not measured.
    order = [table.index(x) for x in ("green, different", "ended skipped", NOT_MEASURED)]
    assert order == sorted(order)


def test_a_task_measured_again_replaces_its_earlier_outcome(tmp_path: Path) -> None:
    results = tmp_path / "loop.jsonl"
    write_rows(
        results,
        [
            ("Airflow 3", "t0", "bash", OWN_LOST, ""),
            ("Airflow 3", "t1", "bash", "proxied run did not finish within 900 s", ""),
            ("Airflow 3", "t0", "bash", SAME, ""),
        ],
    )
    rows = {r["task"]: r for r in latest(read_results(results))}
    assert rows["t0"]["outcome"] == SAME
    # An older results file's time-out is reported as what it is: not measured.
    assert rows["t1"]["outcome"].startswith(NOT_MEASURED)
    table = report(results)
    assert "| generated tasks run in the loop | 2 |" in table


def test_only_verdicts_are_kept_when_the_loop_resumes() -> None:
    def row(outcome: str) -> dict[str, str]:
        return {"outcome": outcome}

    assert final(row(SAME))
    assert final(row("green, different effect"))
    assert final(row("proxied task ended failed"))
    assert final(row("Airflow's own operator ended skipped"))
    assert final(row("DAG did not load in Airflow"))
    assert not final(row(OWN_LOST))
    assert not final(row(PROXIED_LOST))
    assert not final(row("proxied run did not finish within 900 s"))
    # Written before lost tries were told apart: measured again.
    assert not final(row("Airflow's own operator ended failed"))
    assert not final(row("Airflow's own operator ended upstream_failed"))


def test_a_failed_try_with_no_log_never_ran() -> None:
    assert never_ran("failed", "")
    assert never_ran("up_for_retry", "  \n")
    assert not never_ran("failed", AIRFLOW2_LOG)
    assert not never_ran("success", "")
    # Its downstream tasks never run either, but by Airflow's rules: not a lost try.
    assert not never_ran("upstream_failed", "")


ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "devtools" / "generate_coverage_loop_results.jsonl"
START = "<!-- generate_coverage_loop --report (devtools/generate_coverage_loop_results.jsonl) -->"
END = "<!-- end of the report -->"


def test_the_docs_show_the_report_of_the_recorded_results() -> None:
    """docs/generate.md's loop table is what ``--report`` prints for the results file
    kept next to the script, as written."""
    text = (ROOT / "docs" / "generate.md").read_text()
    shown = text[text.index(START) + len(START) : text.index(END)].strip()
    assert shown == report(RESULTS)


def test_a_dag_airflow_will_not_trigger_is_recorded_and_the_batch_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Airflow 2.10 lists example_workday_timetable (its plugin missing) but answers
    400 to a trigger: its tasks say so and the other DAGs of the batch still run
    (the loop used to stop there)."""
    import devtools.generate_coverage_loop as loop

    def trigger(airflow: object, dag_id: str) -> str:
        if dag_id == "broken":
            raise RuntimeError("POST /dags/broken/dagRuns -> 400: {\n}")
        return f"run-{dag_id}"

    monkeypatch.setattr(loop, "trigger", trigger)
    monkeypatch.setattr(loop, "wait_runs", lambda airflow, runs, timeout: set())
    monkeypatch.setattr(loop, "task_instances", lambda airflow, dag_id, run_id: {})
    monkeypatch.setattr(loop, "lost_tries", lambda airflow, dag_id, run_id, tis: [])
    monkeypatch.setattr(
        loop, "airflow_effect", lambda airflow, dag_id, run_id, task_id, ti: Effect("success")
    )
    broken = loop.Task("broken", "a", "empty", "m0", Path("x.py"))
    fine = loop.Task("fine", "b", "bash", "m1", Path("y.py"))
    recorded: list[tuple[str, str]] = []
    runs, own = loop.own_runs(
        object(),  # type: ignore[arg-type]
        {"broken": [broken], "fine": [fine]},
        60,
        0,
        lambda task, result, detail: recorded.append((task.dag_id, result)),
    )
    assert recorded == [("broken", "DAG could not be triggered")]
    assert runs == {"fine": "run-fine"} and list(own) == [fine]
