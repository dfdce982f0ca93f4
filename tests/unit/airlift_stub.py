"""A stand-in for ``AirflowClient`` (the contract in the design brief), in memory.

Used by the component, state-cache and sensor unit tests: DAGs, tasks, runs and
task instances are plain lists; ``down = True`` makes every call fail the way the
real client does when Airflow is unreachable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from airlift_component.airflow_api.changed_runs import RunStream
from airlift_component.airflow_api.types import AirflowDag, AirflowTask, DagRun, TaskInstance
from airlift_component.errors import AirflowApiError

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


class StubAirflow:
    """The state of a pretend Airflow; ``client()`` returns a client reading it."""

    def __init__(self, url: str = "http://127.0.0.1:8080", api: str = "v2") -> None:
        self.url = url
        self.api = api
        self.dags: dict[str, AirflowDag] = {}
        self.tasks: dict[str, list[AirflowTask]] = {}
        self.runs: list[DagRun] = []
        self.tis: list[TaskInstance] = []
        self.down = False
        self.calls: list[str] = []

    def add_dag(self, dag_id: str, edges: dict[str, list[str]], **kwargs: Any) -> None:
        ops: dict[str, str] = kwargs.pop("operators", {})
        self.dags[dag_id] = AirflowDag(dag_id, **kwargs)
        self.tasks[dag_id] = [
            AirflowTask(task_id, tuple(down), operator=ops.get(task_id, "PythonOperator"))
            for task_id, down in edges.items()
        ]

    def set_operator(self, dag_id: str, task_id: str, operator: str) -> None:
        self.tasks[dag_id] = [
            AirflowTask(t.task_id, t.downstream_task_ids, operator=operator)
            if t.task_id == task_id
            else t
            for t in self.tasks[dag_id]
        ]

    def finish_run(
        self,
        dag_id: str,
        run_id: str,
        end: datetime,
        *,
        state: str = "success",
        task_states: dict[str, str] | None = None,
        logical_date: datetime | None = None,
    ) -> DagRun:
        run = DagRun(
            dag_id,
            run_id,
            state,
            logical_date=logical_date or end - timedelta(minutes=5),
            start_date=end - timedelta(minutes=1),
            end_date=end,
        )
        self.runs.append(run)
        for task in self.tasks.get(dag_id, []):
            task_state = (task_states or {}).get(task.task_id, "success")
            self.tis.append(
                TaskInstance(
                    dag_id,
                    run_id,
                    task.task_id,
                    task_state,
                    start_date=end - timedelta(seconds=50),
                    end_date=end - timedelta(seconds=5),
                    try_number=1,
                    operator=task.operator,
                )
            )
        return run

    def client(self, instance: Any = None) -> StubClient:
        return StubClient(self, getattr(instance, "name", "airflow"))


class StubClient:
    """Implements the client contract against a :class:`StubAirflow`."""

    def __init__(self, airflow: StubAirflow, name: str) -> None:
        self.airflow = airflow
        self.name = name
        self.base_url = airflow.url
        self.request_count = 0

    def _call(self, what: str) -> None:
        self.request_count += 1
        self.airflow.calls.append(what)
        if self.airflow.down:
            raise AirflowApiError(
                f"Airflow instance {self.name!r} at {self.airflow.url}: connection refused",
                instance=self.name,
                method="GET",
                path="/api",
            )

    def api_version(self) -> str:
        self._call("version")
        return self.airflow.api

    def airflow_version(self) -> str:
        self._call("version")
        return "3.3.2" if self.airflow.api == "v2" else "2.10.5"

    def list_dags(self, *, apply_filter: bool = True) -> list[AirflowDag]:
        self._call("dags")
        return list(self.airflow.dags.values())

    def list_tasks(self, dag_id: str) -> list[AirflowTask]:
        self._call(f"tasks:{dag_id}")
        return list(self.airflow.tasks[dag_id])

    def list_finished_dag_runs(
        self,
        *,
        end_date_gte: datetime,
        end_date_lte: datetime | None = None,
        dag_ids: Sequence[str] | None = None,
    ) -> list[DagRun]:
        self._call("runs")
        runs = [
            r
            for r in self.airflow.runs
            if r.end_date is not None
            and r.end_date >= end_date_gte
            and (end_date_lte is None or r.end_date <= end_date_lte)
            and (dag_ids is None or r.dag_id in dag_ids)
        ]
        return sorted(runs, key=lambda r: (r.end_date, r.dag_id, r.run_id))

    def changed_dag_runs(self, *, updated_at_gte: datetime) -> RunStream:
        """Finished runs changed since ``updated_at_gte`` (a run's end date stands in
        for its ``updated_at``), through the real paging code."""

        def fetch(offset: int, limit: int) -> tuple[list[DagRun], int | None]:
            self._call("runs")
            runs = sorted(
                (
                    r
                    for r in self.airflow.runs
                    if r.finished and (r.updated_at or r.end_date or T0) >= updated_at_gte
                ),
                key=lambda r: (r.updated_at or r.end_date or T0, r.dag_id, r.run_id),
            )
            return runs[offset : offset + limit], len(runs)

        return RunStream(fetch, 100)

    def list_task_instances(self, runs: Sequence[DagRun]) -> list[TaskInstance]:
        self._call("tis")
        wanted = {(r.dag_id, r.run_id) for r in runs}
        return [ti for ti in self.airflow.tis if (ti.dag_id, ti.run_id) in wanted]

    def dag_ui_url(self, dag_id: str) -> str:
        return f"{self.base_url}/dags/{dag_id}"

    def run_ui_url(self, dag_id: str, run_id: str) -> str:
        return f"{self.base_url}/dags/{dag_id}/runs/{run_id}"

    def close(self) -> None:
        pass

    def __enter__(self) -> StubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
