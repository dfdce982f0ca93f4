"""The pieces of devtools.generate_coverage_loop that need no server: reading a Bash
task's output lines from Airflow 2 and 3 task logs, comparing two tries, and the
table a partial results file gives."""

from __future__ import annotations

import json
from pathlib import Path

from devtools.generate_coverage_loop import SAME, report
from devtools.generate_loop_effects import Effect, bash_output, compare

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


def test_the_report_counts_what_a_partial_run_recorded(tmp_path: Path) -> None:
    results = tmp_path / "loop.jsonl"
    rows = [
        ("Airflow 3", "bash", SAME, ""),
        ("Airflow 3", "python", SAME, ""),
        ("Airflow 3", "python", "green, different effect", "XCom differs: Airflow 1, proxied 2"),
        ("Airflow 2.10", "empty", SAME, ""),
    ]
    results.write_text(
        "".join(
            json.dumps(
                {"airflow": a, "dag": "d", "task": f"t{n}", "kind": k, "outcome": o, "detail": x}
            )
            + "\n"
            for n, (a, k, o, x) in enumerate(rows)
        )
    )
    table = report(results)
    assert "| | Airflow 3 | Airflow 2.10 |" in table
    assert "| generated tasks measured | 3 | 1 |" in table
    assert f"| green proxied, {SAME} | 2 (67%) | 1 (100%) |" in table
    assert "| green, different effect | 1 | 0 |" in table
    assert "- Airflow 3: d.t2 (python): green, different effect: XCom differs" in table
