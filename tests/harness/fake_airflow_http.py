"""The HTTP side of :class:`tests.harness.fake_airflow.FakeAirflow`: routing, auth,
faults and the v1 / v2 JSON shapes. Use ``FakeAirflow``; this module is its engine."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
import time
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from devtools.loopback_http import owner_of

if TYPE_CHECKING:
    from tests.harness.fake_airflow import (
        FakeAirflow,
        FakeAsset,
        FakeAssetEvent,
        FakeDag,
        FakeRun,
        LoggedRequest,
    )

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"^/(assets|datasets)$"), "list_assets"),
    ("GET", re.compile(r"^/(assets|datasets)/events$"), "list_asset_events"),
    ("GET", re.compile(r"^/dags$"), "list_dags"),
    ("POST", re.compile(r"^/dags/~/dagRuns/list$"), "runs_batch"),
    ("POST", re.compile(r"^/dags/~/dagRuns/~/taskInstances/list$"), "ti_batch"),
    ("GET", re.compile(r"^/dags/(?P<dag>[^/]+)$"), "get_dag"),
    ("PATCH", re.compile(r"^/dags/(?P<dag>[^/]+)$"), "patch_dag"),
    ("GET", re.compile(r"^/dags/(?P<dag>[^/]+)/tasks$"), "list_tasks"),
    ("POST", re.compile(r"^/dags/(?P<dag>[^/]+)/dagRuns$"), "trigger"),
    ("GET", re.compile(r"^/dags/(?P<dag>[^/]+)/dagRuns$"), "list_runs"),
    ("GET", re.compile(r"^/dags/(?P<dag>[^/]+)/dagRuns/(?P<run>[^/]+)$"), "get_run"),
]


def _iso(value: datetime | None, v2: bool) -> str | None:
    if value is None:
        return None
    text = value.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z") if v2 else text


def _parse_date(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _like(pattern: str) -> re.Pattern[str]:
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern]
    return re.compile(".*" + "".join(parts) + ".*", re.IGNORECASE | re.DOTALL)


class FakeAirflowHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "FakeAirflow"

    # --- plumbing ----------------------------------------------------------------

    @property
    def fake(self) -> FakeAirflow:
        return owner_of(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self._send_raw(status, data, headers)

    def _send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self._logged.status = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (e.g. read timeout)

    def _drop(self) -> None:
        self._logged.status = None
        with contextlib.suppress(OSError):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"dags": [')
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def _error(self, status: int, detail: str) -> None:
        if self.fake.api == "v2":
            self._send(status, {"detail": detail})
        else:
            self._send(
                status, {"type": "about:blank", "title": detail, "status": status, "detail": detail}
            )

    def _read_body(self) -> tuple[Any, bytes]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None, raw
        if "json" in (self.headers.get("Content-Type") or ""):
            try:
                return json.loads(raw), raw
            except ValueError:
                return None, raw
        return {k: v[0] for k, v in parse_qs(raw.decode()).items()}, raw

    def _handle(self) -> None:
        from tests.harness.fake_airflow import LoggedRequest

        fake = self.fake
        parts = urlsplit(self.path)
        body, _raw = self._read_body()
        self._logged: LoggedRequest = LoggedRequest(
            self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body
        )
        with fake.lock:
            fake.request_log.append(self._logged)
        if fake.on_request is not None:
            fake.on_request(self._logged)
        self._query = parse_qs(parts.query)
        self._body = body
        self._empty_page = False
        path = parts.path
        login_paths = ("/auth/token", "/aws_mwaa/login")
        exempt = path.endswith("/version") or path in login_paths
        fault = fake.take_fault(path, explicit_only=exempt)
        if fault is not None and self._apply_fault(fault):
            return
        if path == "/auth/token" and self.command == "POST" and fake.api == "v2" and fake.username:
            return self._token()
        if path == "/aws_mwaa/login" and self.command == "POST" and fake.mwaa_web_token:
            return self._mwaa_login()
        prefix = f"/api/{fake.api}"
        if not path.startswith(prefix + "/"):
            return self._error(404, "Not Found")
        rest = path[len(prefix) :]
        if rest == "/version" and self.command == "GET":
            return self._send(200, {"version": fake.airflow_version, "git_version": None})
        if not self._authorized():
            return self._error(401, "Not authenticated")
        for method, pattern, name in _ROUTES:
            match = pattern.match(rest)
            if match and method == self.command:
                args = {k: unquote(v) for k, v in match.groupdict().items()}
                with fake.lock:
                    getattr(self, f"_r_{name}")(**args)
                return
        self._error(404, "Not Found")

    def _apply_fault(self, fault: Any) -> bool:
        if fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else None
            self._send(fault.status, {"detail": "injected failure"}, headers)
            return True
        if fault.kind == "delay":
            time.sleep(fault.seconds)
            return False
        if fault.kind == "drop":
            self._drop()
            return True
        if fault.kind == "malformed":
            self._send_raw(200, b"<html>not json {")
            return True
        self._empty_page = True
        return False

    # --- auth --------------------------------------------------------------------

    def _authorized(self) -> bool:
        fake = self.fake
        if not fake.auth_required:
            return True
        header = self.headers.get("Authorization") or ""
        if fake.token and header == f"Bearer {fake.token}":
            return True
        if fake.username and fake.api == "v1" and header.startswith("Basic "):
            expected = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
            if header[6:] == expected:
                return True
        if (
            fake.username
            and fake.api == "v2"
            and header.startswith("Bearer ")
            and fake.jwt_valid(header[7:])
        ):
            return True
        if fake.mwaa_web_token:
            cookie: SimpleCookie = SimpleCookie(self.headers.get("Cookie") or "")
            if "session" in cookie and fake.session_valid(cookie["session"].value):
                return True
        return False

    def _token(self) -> None:
        fake = self.fake
        body = self._body if isinstance(self._body, dict) else {}
        if body.get("username") != fake.username or body.get("password") != fake.password:
            return self._error(401, "Invalid credentials")
        self._send(201, {"access_token": fake.issue_jwt(str(fake.username))})

    def _mwaa_login(self) -> None:
        body = self._body if isinstance(self._body, dict) else {}
        if body.get("token") != self.fake.mwaa_web_token:
            return self._error(403, "Invalid web login token")
        session = self.fake.new_session()
        self._send(
            302, None, {"Location": "/home", "Set-Cookie": f"session={session}; Path=/; HttpOnly"}
        )

    # --- shapes ------------------------------------------------------------------

    def _dag_json(self, dag: FakeDag) -> dict[str, Any]:
        v2 = self.fake.api == "v2"
        record: dict[str, Any] = {
            "dag_id": dag.dag_id,
            "is_paused": dag.is_paused,
            "description": dag.description,
            "fileloc": dag.fileloc,
            "owners": dag.owners,
            "tags": [
                {"name": t, "dag_id": dag.dag_id, "dag_display_name": dag.dag_id}
                if v2
                else {"name": t}
                for t in dag.tags
            ],
        }
        if v2:
            record.update(
                dag_display_name=dag.dag_id, timetable_summary=dag.schedule, is_stale=False
            )
        else:
            record.update(
                is_active=True,
                schedule_interval={"__type": "CronExpression", "value": dag.schedule}
                if dag.schedule
                else None,
            )
        return record

    def _run_json(self, run: FakeRun) -> dict[str, Any]:
        v2 = self.fake.api == "v2"
        record: dict[str, Any] = {
            "dag_run_id": run.run_id,
            "dag_id": run.dag_id,
            "state": run.state,
            "start_date": _iso(run.start_date, v2),
            "end_date": _iso(run.end_date, v2),
            "run_type": run.run_type,
            "conf": run.conf,
        }
        logical = _iso(run.logical_date, v2)
        if v2:
            record.update(logical_date=logical, dag_display_name=run.dag_id, run_after=logical)
        elif self.fake.legacy_execution_date:
            record["execution_date"] = logical
        else:
            record.update(logical_date=logical, execution_date=logical)
        return record

    def _page(self, items: list[Any], offset: int, limit: int) -> list[Any]:
        if self._empty_page:
            return []
        return items[offset : offset + min(limit, self.fake.max_page_limit)]

    # --- routes ------------------------------------------------------------------

    def _r_list_dags(self) -> None:
        q = self._query
        dags = sorted(self.fake.dags.values(), key=lambda d: d.dag_id)
        if "dag_id_pattern" in q:
            like = _like(q["dag_id_pattern"][0])
            dags = [d for d in dags if like.fullmatch(d.dag_id)]
        if q.get("tags"):
            dags = [d for d in dags if set(q["tags"]) & set(d.tags)]
        offset, limit = int(q.get("offset", ["0"])[0]), int(q.get("limit", ["100"])[0])
        page = self._page(dags, offset, limit)
        self._send(200, {"dags": [self._dag_json(d) for d in page], "total_entries": len(dags)})

    def _r_get_dag(self, dag: str) -> None:
        found = self.fake.dags.get(dag)
        if found is None:
            return self._error(404, f"DAG with dag_id: '{dag}' not found")
        self._send(200, self._dag_json(found))

    def _r_patch_dag(self, dag: str) -> None:
        found = self.fake.dags.get(dag)
        if found is None:
            return self._error(404, f"DAG with dag_id: '{dag}' not found")
        found.is_paused = bool((self._body or {}).get("is_paused"))
        self._send(200, self._dag_json(found))

    def _r_list_tasks(self, dag: str) -> None:
        found = self.fake.dags.get(dag)
        if found is None:
            return self._error(404, f"DAG with dag_id: '{dag}' not found")
        tasks = [
            {
                "task_id": task,
                "downstream_task_ids": down,
                "operator_name": "EmptyOperator",
                "class_ref": {
                    "class_name": "EmptyOperator",
                    "module_path": "airflow.operators.empty",
                },
                "is_mapped": False,
            }
            for task, down in sorted(found.tasks.items())
        ]
        self._send(200, {"tasks": tasks, "total_entries": len(tasks)})

    def _r_runs_batch(self) -> None:
        body = self._body or {}
        runs = list(self.fake.runs.values())
        if body.get("dag_ids") is not None:
            runs = [r for r in runs if r.dag_id in set(body["dag_ids"])]
        if body.get("states"):
            runs = [r for r in runs if r.state in set(body["states"])]
        gte, lte = _parse_date(body.get("end_date_gte")), _parse_date(body.get("end_date_lte"))
        if gte is not None:
            runs = [r for r in runs if r.end_date is not None and r.end_date >= gte]
        if lte is not None:
            runs = [r for r in runs if r.end_date is not None and r.end_date <= lte]
        far = datetime.max.replace(tzinfo=timezone.utc)
        runs.sort(key=lambda r: (r.end_date or far, r.dag_id, r.run_id))
        page = self._page(runs, int(body.get("page_offset", 0)), int(body.get("page_limit", 100)))
        self._send(200, {"dag_runs": [self._run_json(r) for r in page], "total_entries": len(runs)})

    def _r_list_runs(self, dag: str) -> None:
        """``GET /dags/{id|~}/dagRuns``: ``state``, ``updated_at_gte``, ``order_by``."""
        q = self._query
        runs = [r for r in self.fake.runs.values() if dag == "~" or r.dag_id == dag]
        if q.get("state"):
            runs = [r for r in runs if r.state in set(q["state"])]
        gte = _parse_date((q.get("updated_at_gte") or [None])[0])
        if gte is not None:
            runs = [r for r in runs if r.updated_at is not None and r.updated_at >= gte]
        far = datetime.max.replace(tzinfo=timezone.utc)
        order = (q.get("order_by") or ["id"])[0]
        if order == "updated_at":
            runs.sort(key=lambda r: (r.updated_at or far, r.dag_id, r.run_id))
        offset, limit = int(q.get("offset", ["0"])[0]), int(q.get("limit", ["100"])[0])
        page = self._page(runs, offset, limit)
        self._send(200, {"dag_runs": [self._run_json(r) for r in page], "total_entries": len(runs)})

    def _r_ti_batch(self) -> None:
        body = self._body or {}
        v2 = self.fake.api == "v2"
        dag_ids, run_ids = set(body.get("dag_ids") or []), set(body.get("dag_run_ids") or [])
        matches = [
            (run, task, state)
            for (dag_id, run_id), run in sorted(self.fake.runs.items())
            if (not dag_ids or dag_id in dag_ids) and (not run_ids or run_id in run_ids)
            for task, state in sorted(run.task_states.items())
        ]
        # Both versions page this endpoint (Airflow 2.10 too: ``page_limit`` defaults to
        # 100 and is capped at ``maximum_page_limit``).
        offset, limit = int(body.get("page_offset", 0)), int(body.get("page_limit", 100))
        page = self._page(matches, offset, limit)
        records = [
            {
                "task_id": task,
                "dag_id": run.dag_id,
                "dag_run_id": run.run_id,
                "state": state,
                "start_date": _iso(run.task_dates.get(task, (run.start_date, None))[0], v2),
                "end_date": _iso(run.task_dates.get(task, (None, run.end_date))[1], v2),
                "try_number": run.try_numbers.get(task, 1),
                "map_index": -1,
                "operator": run.operators.get(task, "PythonOperator"),
            }
            for run, task, state in page
        ]
        self._send(200, {"task_instances": records, "total_entries": len(matches)})

    def _r_trigger(self, dag: str) -> None:
        fake = self.fake
        body = self._body if isinstance(self._body, dict) else {}
        if dag not in fake.dags:
            return self._error(404, f"DAG with dag_id: '{dag}' not found")
        if fake.api == "v2" and "logical_date" not in body:
            return self._send(
                422, {"detail": [{"loc": ["body", "logical_date"], "msg": "Field required"}]}
            )
        run_id = body.get("dag_run_id") or f"manual__{datetime.now(timezone.utc).isoformat()}"
        if (dag, run_id) in fake.runs:
            return self._error(409, f"DAGRun with dag_run_id: '{run_id}' already exists")
        now = datetime.now(timezone.utc)
        run = fake.add_run(
            dag, run_id, state="queued", logical_date=now, run_type="manual", conf=body.get("conf")
        )
        run.start_date = None
        run.task_states = {task: None for task in run.task_states}
        if fake.trigger_outcome:
            fake.finish_run(dag, run_id, fake.trigger_outcome)
        self._send(200, self._run_json(run))

    def _r_get_run(self, dag: str, run: str) -> None:
        found = self.fake.runs.get((dag, run))
        if found is None:
            return self._error(404, f"DAGRun with DAG ID: '{dag}' and DagRun ID: '{run}' not found")
        self._send(200, self._run_json(found))

    # --- Airflow assets (v2) / datasets (v1) ---------------------------------------

    def _asset_json(self, asset: FakeAsset) -> dict[str, Any]:
        v2 = self.fake.api == "v2"
        stamp = _iso(datetime(2026, 1, 1, tzinfo=timezone.utc), v2)
        producing = [
            {"dag_id": d, "task_id": t, "created_at": stamp, "updated_at": stamp}
            for d, t in asset.producing_tasks
        ]
        scheduled = [
            {"dag_id": d, "created_at": stamp, "updated_at": stamp} for d in asset.scheduled_dags
        ]
        record: dict[str, Any] = {
            "id": asset.asset_id,
            "uri": asset.uri,
            "extra": {},
            "created_at": stamp,
            "updated_at": stamp,
            "producing_tasks": producing,
        }
        if v2:
            record.update(
                name=asset.name,
                group="asset",
                scheduled_dags=scheduled,
                consuming_tasks=[],
                aliases=[],
                watchers=[],
            )
        else:
            record["consuming_dags"] = scheduled
        return record

    def _event_json(self, event: FakeAssetEvent) -> dict[str, Any]:
        v2 = self.fake.api == "v2"
        asset = self.fake.assets.get(event.uri)
        record: dict[str, Any] = {
            "id": event.event_id,
            "extra": event.extra,
            "source_task_id": event.source_task_id,
            "source_dag_id": event.source_dag_id,
            "source_run_id": event.source_run_id,
            "source_map_index": event.source_map_index,
            "created_dagruns": [],
            "timestamp": _iso(event.timestamp, v2),
        }
        asset_id = asset.asset_id if asset else 0
        if v2:
            record.update(
                asset_id=asset_id,
                uri=event.uri,
                name=asset.name if asset else event.uri,
                group="asset",
                partition_key=None,
            )
        else:
            record.update(dataset_id=asset_id, dataset_uri=event.uri)
        return record

    def _r_list_assets(self) -> None:
        q = self._query
        assets = sorted(self.fake.assets.values(), key=lambda a: a.asset_id)
        offset, limit = int(q.get("offset", ["0"])[0]), int(q.get("limit", ["100"])[0])
        page = self._page(assets, offset, limit)
        field = "assets" if self.fake.api == "v2" else "datasets"
        self._send(200, {field: [self._asset_json(a) for a in page], "total_entries": len(assets)})

    def _r_list_asset_events(self) -> None:
        """``order_by`` ``timestamp`` / ``-timestamp`` (ties by id, in the same direction);
        ``timestamp_gte`` on v2 only (Airflow 2.10 has no time filter)."""
        q = self._query
        events = list(self.fake.asset_events)
        gte = _parse_date((q.get("timestamp_gte") or [None])[0])
        if gte is not None and self.fake.api == "v2":
            events = [e for e in events if e.timestamp >= gte]
        order = (q.get("order_by") or ["timestamp"])[0]
        events.sort(key=lambda e: (e.timestamp, e.event_id), reverse=order.startswith("-"))
        offset, limit = int(q.get("offset", ["0"])[0]), int(q.get("limit", ["100"])[0])
        page = self._page(events, offset, limit)
        field = "asset_events" if self.fake.api == "v2" else "dataset_events"
        self._send(200, {field: [self._event_json(e) for e in page], "total_entries": len(events)})
