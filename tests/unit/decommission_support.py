"""For the unit tests of `airlift decommission`: a project mapping DAG ``orders`` and
in-process fakes of what the command talks to, Airflow's REST API for that DAG (over
``httpx.MockTransport``) and Dagster's GraphQL API as the command reads and changes it
(a loopback HTTP server). The real systems: tests/e2e/test_decommission_e2e.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from airlift_component.airflow_api.client import AirflowClient
from airlift_component.config.airlift_yaml.model import Instance
from devtools.loopback_http import LoopbackHTTPServer, owner_of

AIRLIFT = """\
version: 1
instances:
  - name: prod   # the only one
    url: http://127.0.0.1:9
    api: v2
    auth: {type: none}
    proxied_state_dir: proxied_state
    mappings:
      - dag: orders  # moved last
        tasks:
          - task: load
            assets: [lake/orders]
"""


def project(tmp_path: Path, proxied: str = "proxied: true\n") -> Path:
    """airlift.yaml (:data:`AIRLIFT`) and DAG ``orders``'s proxied-state file in ``tmp_path``."""
    (tmp_path / "proxied_state").mkdir()
    (tmp_path / "proxied_state" / "orders.yaml").write_text(proxied)
    path = tmp_path / "airlift.yaml"
    path.write_text(AIRLIFT)
    return path


class FakeAirflow:
    """GET /dags/orders/details and /tasks, PATCH /dags/orders (pause), all logged."""

    def __init__(self) -> None:
        soon = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        soon += timedelta(hours=1)
        self.details: dict[str, Any] = {
            "dag_id": "orders",
            "timetable_summary": "0 * * * *",
            "timezone": "Europe/Amsterdam",
            "catchup": False,
            "start_date": "2026-01-01T00:00:00Z",
            "asset_expression": None,
            "is_paused": False,
            "next_dagrun_logical_date": soon.isoformat(),
            "next_dagrun_data_interval_start": soon.isoformat(),
            "next_dagrun_data_interval_end": soon.isoformat(),
            "next_dagrun_run_after": soon.isoformat(),
        }
        self.patches: list[bool] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v2")
        if request.method == "PATCH" and path == "/dags/orders":
            paused = json.loads(request.content)["is_paused"]
            self.patches.append(paused)
            self.details["is_paused"] = paused
            return httpx.Response(200, json={"dag_id": "orders", "is_paused": paused})
        if path == "/dags/orders/details":
            return httpx.Response(200, json=self.details)
        if path == "/dags/orders/tasks":
            tasks = [{"task_id": t, "downstream_task_ids": []} for t in ("load", "check")]
            return httpx.Response(200, json={"tasks": tasks, "total_entries": 2})
        return httpx.Response(404, json={"detail": "not found"})


def fake_airflow(monkeypatch: pytest.MonkeyPatch) -> FakeAirflow:
    """A :class:`FakeAirflow` that every instance's Airflow client of the CLI talks to."""
    fake = FakeAirflow()

    def factory(instance: Instance) -> AirflowClient:
        return AirflowClient(instance, transport=httpx.MockTransport(fake.handle))

    monkeypatch.setattr("airlift_component.airflow_state.fetch.default_client_factory", factory)
    return fake


@dataclass
class FakeSchedule:
    """A Dagster schedule: its next ticks, and the start its ticks count from once stored."""

    ticks: list[datetime]
    start: datetime | None = None


@dataclass
class FakeDagster:
    """Dagster's GraphQL API as the decommission command uses it: the schedules and
    sensors of one repository, stop and start of a schedule (the start stores now), and
    sensor ticks. Every operation is logged by name in ``operations``."""

    schedules: dict[str, FakeSchedule] = field(default_factory=dict)
    #: sensor name -> whether the daemon has ticked it
    sensors: dict[str, bool] = field(default_factory=dict)
    #: answer ``repositoriesOrError`` with this PythonError message instead
    error: str | None = None
    operations: list[str] = field(default_factory=list)

    def answer(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        found = re.search(r"\b(?:query|mutation)\s+(\w+)", query)
        operation = found.group(1) if found else "?"
        self.operations.append(operation)
        if operation == "AirliftDecommissionStop":
            self.schedules[variables["id"]].start = None
            state = {"status": "STOPPED"}
            return {
                "stopRunningSchedule": {"__typename": "ScheduleStateResult", "scheduleState": state}
            }
        if operation == "AirliftDecommissionStart":
            schedule = self.schedules[variables["selector"]["scheduleName"]]
            schedule.start = datetime.now(timezone.utc)
            state = {"typeSpecificData": _schedule_data(schedule)}
            return {"startSchedule": {"__typename": "ScheduleStateResult", "scheduleState": state}}
        if self.error is not None:
            return {"repositoriesOrError": {"__typename": "PythonError", "message": self.error}}
        node: dict[str, Any] = {"name": "__repository__", "location": {"name": "defs.py"}}
        node["schedules"] = [
            {
                "name": name,
                "futureTicks": {"results": [{"timestamp": t.timestamp()} for t in s.ticks]},
                "scheduleState": {"id": name, "typeSpecificData": _schedule_data(s)},
            }
            for name, s in self.schedules.items()
        ]
        node["sensors"] = [
            {"name": name, "sensorState": {"ticks": [{"timestamp": 1.0}] if ticked else []}}
            for name, ticked in self.sensors.items()
        ]
        return {"repositoriesOrError": {"__typename": "RepositoryConnection", "nodes": [node]}}


def _schedule_data(schedule: FakeSchedule) -> dict[str, Any]:
    start = schedule.start.timestamp() if schedule.start is not None else None
    return {"__typename": "ScheduleData", "startTimestamp": start}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        fake: FakeDagster = owner_of(self)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        data = fake.answer(body["query"], body.get("variables") or {})
        payload = json.dumps({"data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@contextmanager
def serving(fake: FakeDagster) -> Iterator[str]:
    """Serve ``fake`` on loopback; yields the webserver's URL."""
    with LoopbackHTTPServer(_Handler, owner=fake) as server:
        yield server.url
