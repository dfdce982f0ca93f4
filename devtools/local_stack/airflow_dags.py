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
# How often ``request_parse`` touches one DAG file again while a wait goes on.
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
        self._parse_requests().clear()  # an edit: the next request_parse touches at once
        return target

    def request_parse(self, path: str | Path) -> bool:
        """Ask Airflow to parse a DAG file again soon; return whether this call touched it.

        The local stacks parse an unchanged DAG file again only every 600 s
        (``airflow_env.MIN_FILE_PROCESS_INTERVAL``), and Airflow does not watch
        what a DAG file reads, such as its proxied-state files. It parses at once
        a file whose modification time is newer than its last parse, so this bumps
        the file's modification time. A wait for a re-parse calls it at every
        probe, and it touches one file at most every 5 s (each touch costs a
        parse), again while the wait lasts: a parse that began before an edit and
        ended after a touch would otherwise count as the new one. After
        :meth:`write_dag_file`, and when :meth:`wait_for_dag_tags` starts, the
        next call touches at once.

        ``path`` is absolute or relative to the DAG folder, and lies inside it.
        """
        folder = self.dags_folder.resolve()
        target = (folder / path).resolve()
        if not target.is_relative_to(folder):
            raise ValueError(f"{target} is not in the DAG folder {folder}")
        touched = self._parse_requests()
        now = time.monotonic()
        if now - touched.get(target, float("-inf")) < _RETOUCH_SECONDS:
            return False
        os.utime(target)
        touched[target] = now
        return True

    def _parse_requests(self) -> dict[Path, float]:
        """When :meth:`request_parse` last touched each file (``time.monotonic()``)."""
        requests: dict[Path, float] = self.__dict__.setdefault("_parse_requested_at", {})
        return requests

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
        proxied-state edit, which Airflow does not watch. While the tags lag, this
        asks for that parse (:meth:`request_parse` of the DAG's file).
        """
        self._parse_requests().clear()  # called after an edit: ask for a parse at once

        def tags_match(dag: dict[str, Any]) -> bool:
            if predicate({t["name"] for t in dag.get("tags") or []}):
                return True
            self._request_parse_of(dag)
            return False

        return self.wait_for_dag_state(
            dag_id, tags_match, timeout=timeout, what="tags matching the predicate"
        )

    def _request_parse_of(self, dag: Mapping[str, Any]) -> None:
        """:meth:`request_parse` of the file ``dag`` (a REST body) came from, if in the folder."""
        fileloc = Path(str(dag.get("fileloc") or ""))
        folder = self.dags_folder.resolve()
        path = fileloc.resolve() if fileloc.is_absolute() else folder / fileloc
        if path.is_file() and path.is_relative_to(folder):
            self.request_parse(path)

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
