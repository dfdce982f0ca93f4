"""A fake Dagster GraphQL endpoint answering the acceptance-check queries over real HTTP.

It answers by operation name, as the client sends them: the DAG assets
(``AirliftAssetNodes``), the checks of some keys (``AirliftAssetChecks``), the
aliased check executions (``AirliftCheckExecutions``) and runs by id
(``AirliftRunsByIds``). Tests fill :class:`FakeChecksDagster` and read back
the requests it served.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from airlift_component.mapping_tags import TASK_ASSETS_METADATA, task_assets_index
from devtools.loopback_http import owner_of

Key = tuple[str, ...]


@dataclass
class FakeChecksDagster:
    """What the fake knows: DAG asset indexes, checks, executions and run tags."""

    instance: str = "analytics"
    #: dag_id -> {task_id: [asset key, ...]}
    dags: dict[str, dict[str, list[Key]]] = field(default_factory=dict)
    checks: dict[Key, list[str]] = field(default_factory=dict)
    #: (asset key, check name) -> executions, as GraphQL returns them
    executions: dict[tuple[Key, str], list[dict[str, Any]]] = field(default_factory=dict)
    run_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    operations: list[str] = field(default_factory=list)
    fail_with: int | None = None

    def execution(
        self,
        key: Key,
        name: str,
        status: str,
        when: float,
        *,
        run_id: str,
        target_run: str | None,
    ) -> None:
        """Add one execution of ``name`` on ``key``; ``target_run`` "" is runless (Airflow)."""
        evaluation = None
        if status not in ("IN_PROGRESS",):
            target = None if target_run is None else {"runId": target_run, "timestamp": when - 1}
            evaluation = {
                "success": status == "SUCCEEDED",
                "severity": "ERROR",
                "timestamp": when,
                "targetMaterialization": target,
            }
        record = {"runId": run_id, "status": status, "timestamp": when, "evaluation": evaluation}
        self.executions.setdefault((key, name), []).append(record)

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        query, variables = body["query"], body.get("variables") or {}
        operation = re.search(r"(?:query|mutation)\s+(\w+)", query).group(1)  # type: ignore[union-attr]
        self.operations.append(operation)
        if operation == "AirliftAssetNodes":
            return {"assetNodes": [n for k in variables["keys"] if (n := self._dag_node(k))]}
        if operation == "AirliftAssetChecks":
            nodes = []
            for key in variables["keys"]:
                path = tuple(key["path"])
                checks = [{"name": name} for name in self.checks.get(path, [])]
                nodes.append(
                    {
                        "assetKey": {"path": list(path)},
                        "assetChecksOrError": {"__typename": "AssetChecks", "checks": checks},
                    }
                )
            return {"assetNodes": nodes}
        if operation == "AirliftCheckExecutions":
            data = {}
            for alias in re.findall(r"(c\d+): assetCheckExecutions", query):
                n = alias[1:]
                path = tuple(variables[f"k{n}"]["path"])
                found = self.executions.get((path, variables[f"n{n}"]), [])
                newest = sorted(found, key=lambda e: e["timestamp"], reverse=True)
                data[alias] = newest[: variables["limit"]]
            return data
        if operation == "AirliftRunsByIds":
            ids = variables["filter"]["runIds"]
            runs = [
                {
                    "runId": run_id,
                    "status": "SUCCESS",
                    "creationTime": 1.0,
                    "tags": [{"key": k, "value": v} for k, v in self.run_tags[run_id].items()],
                }
                for run_id in ids
                if run_id in self.run_tags
            ]
            return {"runsOrError": {"__typename": "Runs", "results": runs}}
        raise AssertionError(f"unexpected operation {operation}")

    def _dag_node(self, key: dict[str, Any]) -> dict[str, Any] | None:
        path = key["path"]
        if len(path) != 3 or path[0] != self.instance or path[1] != "dag":
            return None
        tasks = self.dags.get(path[2])
        if tasks is None:
            return None
        index = json.dumps(task_assets_index(tasks, []))
        return {
            "assetKey": {"path": path},
            "tags": [{"key": "airlift/dag", "value": f"{self.instance}.{path[2]}"}],
            "isExecutable": False,
            "repository": {"name": "__repository__", "location": {"name": "loc"}},
            "dependencyKeys": [],
            "metadataEntries": [
                {
                    "__typename": "JsonMetadataEntry",
                    "label": TASK_ASSETS_METADATA,
                    "jsonString": index,
                }
            ],
        }


class FakeChecksHandler(BaseHTTPRequestHandler):
    """POST /graphql answered from the :class:`FakeChecksDagster` owner."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        fake: FakeChecksDagster = owner_of(self)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if fake.fail_with is not None:
            self.send_response(fake.fail_with)
            self.end_headers()
            return
        payload = json.dumps({"data": fake.answer(body)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
