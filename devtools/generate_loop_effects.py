"""What a task did, as an observer of the loop sees it, and whether two tries agree.

Used by :mod:`devtools.generate_coverage_loop`. A Bash task's effect is its
output lines (Airflow's task log between ``Output:`` and ``Command exited``; a
proxied try's lines are in its Dagster run's captured standard output) and its
XCom; a Python task's is its ``return_value`` XCom, which downstream tasks read;
an Empty task's is only that it succeeded.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from devtools.local_stack import AirflowServer

#: Airflow 2's plain-text log line of the subprocess hook: ``[time] {subprocess.py:93} INFO - message``.
_AIRFLOW2_LINE = re.compile(r"^\[[^\]]*\] \{subprocess\.py:\d+\} [A-Z]+ - (.*)$")
#: Airflow 3's JSON log records of the same hook name it as their logger.
_AIRFLOW3_LOGGER = "SubprocessHook"
_OUTPUT_START = "Output:"
_OUTPUT_END = "Command exited with return code"


def rest(airflow: AirflowServer, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One REST call, tried again for up to five minutes while Airflow's single API
    worker does not answer in time (as it does now and then on a loaded machine)."""
    deadline = time.monotonic() + 300
    while True:
        try:
            return airflow.api.request(method, path, **kwargs)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def rest_json(airflow: AirflowServer, method: str, path: str, **kwargs: Any) -> Any:
    """:func:`rest` for a call that must answer 200 or 201; its JSON body."""
    response = rest(airflow, method, path, **kwargs)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"{method} {path} -> {response.status_code}: {response.text[:300]}")
    return response.json()


@dataclass
class Effect:
    """One try of one task: how it ended and what it left behind."""

    state: str
    xcom: Any = None
    has_xcom: bool = False
    lines: list[str] | None = None
    try_number: int = 0
    notes: list[str] = field(default_factory=list)
    #: The try ended failed with no log of it: its process never ran (the executor
    #: lost it while queued, as happens under load), so it says nothing of the task.
    never_ran: bool = False


def _messages(text: str) -> list[str]:
    """The subprocess hook's messages in an Airflow task log (Airflow 2 text or
    Airflow 3 JSON lines)."""
    messages = []
    for raw in text.splitlines():
        if raw.startswith("{"):
            try:
                record = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if str(record.get("logger", "")).endswith(_AIRFLOW3_LOGGER):
                messages.append(str(record.get("event", "")))
            continue
        match = _AIRFLOW2_LINE.match(raw)
        if match:
            messages.append(match.group(1))
    return messages


def bash_output(log_text: str) -> list[str] | None:
    """The command's output lines in a BashOperator task log; None when it has none."""
    messages = _messages(log_text)
    if _OUTPUT_START not in messages:
        return None
    lines = []
    for message in messages[messages.index(_OUTPUT_START) + 1 :]:
        if message.startswith(_OUTPUT_END):
            break
        lines.append(message.rstrip())
    return lines


def task_log(airflow: AirflowServer, dag_id: str, run_id: str, task_id: str, tries: int) -> str:
    """The text of one try's log file under the Airflow home ("" when missing)."""
    folder = airflow.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
    path = folder / f"attempt={tries}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def task_instances(airflow: AirflowServer, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
    """The run's task instances by task id (REST)."""
    path = f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances"
    answer = rest_json(airflow, "GET", path, params={"limit": 1000})
    return {str(ti["task_id"]): ti for ti in answer["task_instances"]}


def xcom(airflow: AirflowServer, dag_id: str, run_id: str, task_id: str) -> tuple[bool, Any]:
    """(whether it exists, value) of the task's ``return_value`` XCom, as REST gives it."""
    path = (
        f"/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}"
        "/xcomEntries/return_value"
    )
    response = rest(airflow, "GET", path)
    if response.status_code == 404:
        return False, None
    if response.status_code != 200:
        return False, f"<GET xcom: {response.status_code}>"
    return True, response.json().get("value")


def airflow_effect(
    airflow: AirflowServer, dag_id: str, run_id: str, task_id: str, ti: dict[str, Any] | None
) -> Effect:
    """What Airflow recorded for the task's last try in this run."""
    if ti is None:
        return Effect(state="missing")
    tries = int(ti.get("try_number") or 0)
    effect = Effect(state=str(ti.get("state")), try_number=tries)
    effect.has_xcom, effect.xcom = xcom(airflow, dag_id, run_id, task_id)
    text = task_log(airflow, dag_id, run_id, task_id, tries)
    effect.lines = bash_output(text)
    effect.never_ran = never_ran(str(ti.get("state")), text)
    return effect


def never_ran(state: str, log_text: str) -> bool:
    """Whether a try that ended ``state`` with this log never ran: failed with no
    log written (a task process writes its log from its first moment; a try the
    executor reported failed while it was still queued has none)."""
    return state in ("failed", "up_for_retry") and not log_text.strip()


def lost_tries(airflow: AirflowServer, dag_id: str, run_id: str, tis: dict[str, Any]) -> list[str]:
    """The task ids of the run whose last try never ran (see :func:`never_ran`)."""
    lost = []
    for task_id, ti in tis.items():
        state, tries = str(ti.get("state")), int(ti.get("try_number") or 0)
        if state in ("failed", "up_for_retry") and never_ran(
            state, task_log(airflow, dag_id, run_id, task_id, tries)
        ):
            lost.append(task_id)
    return lost


def compute_log_lines(dagster_home: Path, dagster_run_id: str) -> list[str] | None:
    """The captured standard output of a Dagster run's steps (None when not found)."""
    files = sorted(dagster_home.glob(f"storage/**/{dagster_run_id}/**/*.out"))
    if not files:
        return None
    lines: list[str] = []
    for path in files:
        lines += [line.rstrip() for line in path.read_text(errors="replace").splitlines()]
    return lines


def compare(kind: str, own: Effect, proxied: Effect, dagster_lines: list[str] | None) -> str:
    """ "same" or what differs between Airflow's own try and the proxied one."""
    if own.has_xcom != proxied.has_xcom or own.xcom != proxied.xcom:
        shown_own = repr(own.xcom)[:80] if own.has_xcom else "none"
        shown_proxied = repr(proxied.xcom)[:80] if proxied.has_xcom else "none"
        return f"XCom differs: Airflow {shown_own}, proxied {shown_proxied}"
    if kind == "bash":
        if dagster_lines is None:
            return "no captured output of the Dagster run found"
        expected = own.lines or []
        if dagster_lines != expected:
            for index, (mine, theirs) in enumerate(zip(expected, dagster_lines, strict=False)):
                if mine != theirs:
                    return f"output line {index + 1} differs: {mine[:60]!r} vs {theirs[:60]!r}"
            return f"output has {len(dagster_lines)} lines, Airflow's {len(expected)}"
    return "same"
