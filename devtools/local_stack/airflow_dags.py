"""DAG-file, DAG and DAG-run helpers of a local Airflow (mixed into ``AirflowServer``).

They poll the REST API with deadlines (never fixed sleeps) and, when a wait
times out, say what was last seen, including Airflow's DAG import errors.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from devtools.local_stack.airflow_rest import HarnessApi, HarnessApiError
from devtools.local_stack.processes import ManagedProcess, poll_for

FINISHED_STATES = ("success", "failed")
# How often ``wait_for_dag_tags`` touches the DAG file again while the tags lag.
_RETOUCH_SECONDS = 5.0


class DagHelpers:
    """Write DAG files, wait for DAGs to parse, trigger runs and wait for them."""

    version_major: int
    dags_folder: Path
    _processes: list[ManagedProcess]

    @property
    def url(self) -> str:
        raise NotImplementedError

    @property
    def api(self) -> HarnessApi:
        raise NotImplementedError

    def write_dag_file(self, relative_path: str, text: str) -> Path:
        """Write a file under the DAG folder atomically, so no half file is ever parsed."""
        target = self.dags_folder / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(text)
        os.replace(tmp, target)
        return target

    def get_dag(self, dag_id: str) -> dict[str, Any] | None:
        """The DAG's REST representation, or ``None`` when Airflow does not know it (yet)."""
        resp = self.api.request("GET", f"/dags/{dag_id}")
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise HarnessApiError(f"GET /dags/{dag_id} -> {resp.status_code}: {resp.text[:300]}")
        return dict(resp.json())

    def wait_for_dag(self, dag_id: str, timeout: float = 90.0) -> dict[str, Any]:
        """Poll until ``dag_id`` is parsed, active and unpaused; return its REST body."""
        return self.wait_for_dag_state(dag_id, lambda dag: True, timeout=timeout, what="parsed")

    def wait_for_dag_tags(
        self, dag_id: str, predicate: Callable[[set[str]], bool], timeout: float = 90.0
    ) -> dict[str, Any]:
        """Poll until the DAG's tag names satisfy ``predicate`` (e.g. after a re-parse).

        The tags change when Airflow parses the DAG's file again, e.g. after a
        proxied-state edit, which Airflow does not watch. While waiting, this asks
        for that parse by touching the DAG's file every few seconds (Airflow parses
        a file whose modification time is newer than its last parse at once); again
        and again, because a parse that began before the edit and ended after a
        touch would otherwise count as the new one.
        """
        last_touch = [float("-inf")]

        def tags_match(dag: dict[str, Any]) -> bool:
            if predicate({t["name"] for t in dag.get("tags") or []}):
                return True
            if time.monotonic() - last_touch[0] >= _RETOUCH_SECONDS:
                self._touch_dag_file(dag)
                last_touch[0] = time.monotonic()
            return False

        return self.wait_for_dag_state(
            dag_id, tags_match, timeout=timeout, what="tags matching the predicate"
        )

    def _touch_dag_file(self, dag: Mapping[str, Any]) -> None:
        """Bump the modification time of the file ``dag`` (a REST body) came from."""
        fileloc = Path(str(dag.get("fileloc") or ""))
        folder = self.dags_folder.resolve()
        path = fileloc.resolve() if fileloc.is_absolute() else folder / fileloc
        if path.is_file() and path.is_relative_to(folder):
            os.utime(path)

    def wait_for_dag_state(
        self,
        dag_id: str,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        timeout: float = 90.0,
        what: str = "the expected state",
    ) -> dict[str, Any]:
        """Poll ``GET /dags/{dag_id}`` until the DAG is active and ``predicate(body)`` holds."""
        last: dict[str, Any] = {}

        def probe() -> dict[str, Any] | None:
            dag = self.get_dag(dag_id)
            if dag is None:
                return None
            last.update(dag)
            active = not dag.get("is_stale") if self.version_major >= 3 else dag.get("is_active")
            # The predicate sees every answer, also a stale DAG's: ``wait_for_dag_tags``
            # asks for the parse that makes a DAG whose file had an import error active.
            matches = predicate(dag)
            return dag if active and not dag.get("is_paused") and matches else None

        def state() -> str:
            shown = {k: last.get(k) for k in ("is_paused", "is_active", "is_stale", "tags")}
            try:
                errors: list[str] | str = self.api.import_errors()
            except (httpx.HTTPError, HarnessApiError) as exc:
                errors = f"unknown ({exc})"
            return (
                f"DAG {dag_id}: {shown if last else 'not found'}; import errors: {errors or 'none'}"
            )

        return poll_for(
            probe,
            timeout=timeout,
            what=f"DAG {dag_id!r} on {self.url} to be {what}",
            processes=self._processes,
            last_state=state,
            interval=0.5,
            transient=(httpx.TransportError,),
        )

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None) -> str:
        """Trigger a run of ``dag_id`` now; return its run id."""
        body: dict[str, Any] = {"conf": dict(conf or {})}
        if self.version_major >= 3:
            body["logical_date"] = None
        run = self.api.json("POST", f"/dags/{dag_id}/dagRuns", json=body, ok=(200, 201))
        return str(run["dag_run_id"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 180.0) -> str:
        """Poll the run until it finishes; return ``"success"`` or ``"failed"``."""
        last = {"state": "unknown"}

        def probe() -> str | None:
            run = self.api.json("GET", f"/dags/{dag_id}/dagRuns/{run_id}")
            last["state"] = str(run["state"])
            return last["state"] if last["state"] in FINISHED_STATES else None

        return poll_for(
            probe,
            timeout=timeout,
            what=f"run {run_id} of {dag_id} to finish",
            processes=self._processes,
            last_state=lambda: f"run state {last['state']}",
            interval=0.5,
            transient=(httpx.TransportError,),
        )

    def trigger_and_wait(
        self, dag_id: str, conf: Mapping[str, Any] | None = None, timeout: float = 180.0
    ) -> str:
        """Trigger ``dag_id`` and wait for the run to finish; return its final state."""
        return self.wait_for_run(dag_id, self.trigger(dag_id, conf), timeout=timeout)
