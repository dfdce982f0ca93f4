"""The loopback fake Airflow 2 REST server both projects are measured against.

Runs in its own process (so serving requests does not compete with the measured
client for the GIL) from our virtual environment, on top of
``tests/harness/fake_airflow.py``. The two batch routes are answered from an
index instead of a scan over every run, so the server's own cost stays small
and equal for both clients. Control protocol on stdin/stdout, one JSON object
per line::

    {"cmd": "count"}                 -> {"requests": N}     API requests so far
    {"cmd": "add_runs", "n": 1000}   -> {"added": 1000}     finished now, one per DAG
    {"cmd": "quit"}

Started by :class:`FakeServerProcess` (see ``run.py``); prints ``{"url": ...}`` first.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


from workload import PASSWORD, USERNAME, dag_id, task_graph  # noqa: E402

from tests.harness.fake_airflow import FakeAirflow, FakeRun  # noqa: E402
from tests.harness.fake_airflow_http import FakeAirflowHandler, _iso, _parse_date  # noqa: E402


class IndexedHandler(FakeAirflowHandler):
    """The harness handler with the two batch routes answered from an index; task
    instances also carry ``execution_date``/``logical_date`` as Airflow 2 sends them
    (dagster-airlift's sensor requires one of them)."""

    def _r_runs_batch(self) -> None:
        body = self._body or {}
        fake: IndexedFake = self.fake  # type: ignore[assignment]
        runs = fake.finished_sorted
        gte, lte = _parse_date(body.get("end_date_gte")), _parse_date(body.get("end_date_lte"))
        states = set(body.get("states") or ())
        dag_ids = set(body["dag_ids"]) if body.get("dag_ids") is not None else None
        selected = [
            r
            for r in runs
            if (gte is None or r.end_date >= gte)  # type: ignore[operator]
            and (lte is None or r.end_date <= lte)  # type: ignore[operator]
            and (not states or r.state in states)
            and (dag_ids is None or r.dag_id in dag_ids)
        ]
        page = self._page(
            selected, int(body.get("page_offset", 0)), int(body.get("page_limit", 100))
        )
        self._send(
            200, {"dag_runs": [self._run_json(r) for r in page], "total_entries": len(selected)}
        )

    def _r_ti_batch(self) -> None:
        body = self._body or {}
        fake: IndexedFake = self.fake  # type: ignore[assignment]
        dag_ids = set(body.get("dag_ids") or ())
        run_ids = body.get("dag_run_ids")
        if run_ids:
            runs = [r for rid in run_ids for r in fake.by_run_id.get(rid, ())]
        else:
            runs = list(fake.runs.values())
        runs = sorted((r for r in runs if not dag_ids or r.dag_id in dag_ids), key=_run_key)
        matches = [
            (run, task, state) for run in runs for task, state in sorted(run.task_states.items())
        ]
        records = [
            {
                "task_id": task,
                "dag_id": run.dag_id,
                "dag_run_id": run.run_id,
                "state": state,
                "start_date": _iso(run.start_date, False),
                "end_date": _iso(run.end_date, False),
                "execution_date": _iso(run.logical_date, False),
                "logical_date": _iso(run.logical_date, False),
                "try_number": 1,
                "map_index": -1,
            }
            for run, task, state in matches
        ]
        self._send(200, {"task_instances": records, "total_entries": len(matches)})


def _run_key(run: FakeRun) -> tuple[str, str]:
    return (run.dag_id, run.run_id)


class IndexedFake(FakeAirflow):
    """A v1 fake whose finished runs are kept sorted by end date and indexed by run id."""

    handler_class = IndexedHandler

    def __init__(self) -> None:
        super().__init__(api="v1", username=USERNAME, password=PASSWORD)
        self.finished_sorted: list[FakeRun] = []
        self.by_run_id: dict[str, list[FakeRun]] = defaultdict(list)

    def add_runs_now(self, n: int, batch: int) -> int:
        """``n`` successful runs that end now, spread over the DAGs in order."""
        now = datetime.now(timezone.utc)
        with self.lock:
            dags = sorted(self.dags)
            for k in range(n):
                run = self.add_finished_run(
                    dags[k % len(dags)], f"bench_{batch}_{k:05d}", end_date=now
                )
                self.by_run_id[run.run_id].append(run)
            self.finished_sorted = sorted(
                (r for r in self.runs.values() if r.end_date is not None),
                key=lambda r: (r.end_date, r.dag_id, r.run_id),
            )
        return n


def serve(dags: int) -> None:
    fake = IndexedFake()
    graph = task_graph()
    for i in range(dags):
        fake.add_dag(dag_id(i), tasks=graph, tags=["bench"])
    fake.start()
    print(json.dumps({"url": fake.url}), flush=True)
    batches = 0
    for line in sys.stdin:
        command: dict[str, Any] = json.loads(line)
        if command["cmd"] == "count":
            answer: dict[str, Any] = {"requests": len(fake.request_log)}
        elif command["cmd"] == "add_runs":
            batches += 1
            answer = {"added": fake.add_runs_now(int(command["n"]), batches)}
        else:
            break
        print(json.dumps(answer), flush=True)
    fake.stop()


class FakeServerProcess:
    """Start/stop the server process and talk to it (used by ``run.py``)."""

    def __init__(self, python: str, dags: int) -> None:
        self.proc = subprocess.Popen(
            [python, __file__, str(dags)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.url: str = self._read()["url"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fake Airflow server process exited")
        return dict(json.loads(line))

    def command(self, **command: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def count(self) -> int:
        return int(self.command(cmd="count")["requests"])

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError, RuntimeError):
                self.command(cmd="quit")
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> FakeServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
