"""Dagster's GraphQL endpoint in memory, for the unit tests of the proxy's Dagster runner:
an ``httpx.MockTransport`` handler answering by operation name, as the client sends
them, for one indexed DAG ``etl`` (instance ``prod``) whose task ``load`` materializes
``out``. It keeps runs as Dagster does (a launch takes tags and no run id) and marks a
run a success when it is first polled. Tests subclass it to script faults or answers,
or to keep runs their own way (``_store``, ``_listed``, ``_polled``)::

    fake = FakeDagsterGraphQL()
    run = graphql_runner(fake).run(REQUEST)
    assert fake.operations[-1] == "AirliftRun"
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx

from airflow_side._dagster_run import DagsterRunner
from airlift_component.dagster_api import DagsterClient, tag_value
from airlift_component.mapping_tags import TASK_ASSETS_METADATA, task_assets_index

#: The base URL the fake is reached at.
DAGSTER_URL = "http://dagster.test"


def operation_name(query: str) -> str:
    """The name a GraphQL document gives its operation: ``AirliftRun`` for
    ``query AirliftRun($runId: ID!) {...}``."""
    found = re.match(r"\s*(?:query|mutation)\s+(\w+)", query)
    assert found, f"no named operation in {query!r}"
    return found.group(1)


class Clock:
    """A monotonic clock whose ``sleep`` moves it on at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def graphql_node(
    key: list[str],
    tags: list[dict[str, str]],
    *,
    executable: bool = True,
    index: str = "",
    dependencies: Sequence[list[str]] = (),
) -> dict[str, Any]:
    """An asset node as the GraphQL API answers it; ``index``: its task-assets index;
    ``dependencies``: the keys of the assets it depends on."""
    entries = [{"label": TASK_ASSETS_METADATA, "jsonString": index}] if index else []
    return {
        "assetKey": {"path": key},
        "tags": tags,
        "isExecutable": executable,
        "isPartitioned": False,
        "partitionDefinition": None,
        "repository": {"name": "__repository__", "location": {"name": "loc"}},
        "dependencyKeys": [{"path": key} for key in dependencies],
        "metadataEntries": entries,
    }


def run_tags(run: Mapping[str, Any]) -> dict[str, str]:
    """A run's tags, from the key/value pairs GraphQL lists."""
    return {t["key"]: t["value"] for t in run["tags"]}


class FakeDagsterGraphQL:
    """The endpoint: the asset nodes of DAG ``etl``, the runs, and the operation name of
    every request in ``operations``."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self.runs: dict[str, dict[str, Any]] = {}
        index = json.dumps(task_assets_index({"load": [("out",)]}, []))
        dag_tags = [{"key": "airlift/dag", "value": tag_value("prod", "etl")}]
        task_tags = [*dag_tags, {"key": "airlift/task", "value": tag_value("prod", "etl", "load")}]
        self.nodes = {
            ("prod", "dag", "etl"): graphql_node(
                ["prod", "dag", "etl"], dag_tags, executable=False, index=index
            ),
            ("out",): graphql_node(["out"], task_tags),
        }

    def add_run(self, run_id: str, status: str, tags: Mapping[str, str]) -> None:
        """A run Dagster already has."""
        pairs = [{"key": k, "value": v} for k, v in tags.items()]
        self._store(run_id, status, pairs)

    def new_run_id(self) -> str:
        """The id Dagster gives the next run it makes."""
        return f"run{len(self.runs) + 1}"

    def _store(self, run_id: str, status: str, pairs: list[dict[str, str]]) -> None:
        creation = float(len(self.runs))
        self.runs[run_id] = {
            "runId": run_id,
            "status": status,
            "creationTime": creation,
            "tags": pairs,
        }

    def _create(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Dagster's create_run from a launch's ``params`` (its GraphQL
        ``ExecutionMetadata`` takes no run id); the launch's answer."""
        assert set(params["executionMetadata"]) == {"tags"}, "not in Dagster's GraphQL schema"
        run_id = self.new_run_id()
        self._store(run_id, "QUEUED", list(params["executionMetadata"]["tags"]))
        return {"__typename": "LaunchRunSuccess", "run": {"runId": run_id, "status": "QUEUED"}}

    def _listed(self) -> Iterable[dict[str, Any]]:
        """Every run as the GraphQL API answers it."""
        return self.runs.values()

    def _polled(self, run_id: str) -> dict[str, Any]:
        """Run ``run_id`` as a poll finds it: a success from its first poll on."""
        run = self.runs[run_id]
        run["status"] = "SUCCESS"
        return run

    def _found(self, variables: Mapping[str, Any]) -> dict[str, Any]:
        wanted = {(t["key"], t["value"]) for t in variables["filter"]["tags"]}
        found = [r for r in self._listed() if wanted <= set(run_tags(r).items())]
        return {"__typename": "Runs", "results": found}

    def _nodes(self, variables: Mapping[str, Any]) -> list[dict[str, Any]]:
        keys = [tuple(k["path"]) for k in variables["keys"]]
        return [self.nodes[k] for k in keys if k in self.nodes]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        operation = operation_name(payload["query"])
        self.operations.append(operation)
        return self._answer(request, operation, payload["variables"])

    def _answer(
        self, request: httpx.Request, operation: str, variables: Mapping[str, Any]
    ) -> httpx.Response:
        if operation == "AirliftLaunchRun":
            return self._launch(request, variables["params"])
        if operation == "AirliftRun":
            run = {"__typename": "Run", **self._polled(variables["runId"])}
            return httpx.Response(200, json={"data": {"runOrError": run}})
        return httpx.Response(200, json={"data": self._read(operation, variables)})

    def _read(self, operation: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The data answering a query that reads runs or asset nodes."""
        if operation == "AirliftRunsAndAssetNodes":
            return {"runsOrError": self._found(variables), "assetNodes": self._nodes(variables)}
        if operation == "AirliftAssetNodes":
            return {"assetNodes": self._nodes(variables)}
        if operation == "AirliftAssetTags":  # the tag scan: every node, its key and tags
            nodes = self.nodes.values()
            return {"assetNodes": [{"assetKey": n["assetKey"], "tags": n["tags"]} for n in nodes]}
        if operation == "AirliftRuns":
            return {"runsOrError": self._found(variables)}
        raise AssertionError(f"unexpected operation {operation}")

    def _launch(self, request: httpx.Request, params: Mapping[str, Any]) -> httpx.Response:
        return httpx.Response(200, json={"data": {"launchRun": self._create(params)}})


def graphql_runner(
    fake: FakeDagsterGraphQL, url: str = DAGSTER_URL, **client_options: Any
) -> DagsterRunner:
    """The proxy's runner talking to ``fake`` at ``url``, on a :class:`Clock` of its own;
    ``client_options``: more arguments of its ``DagsterClient``."""
    clock = Clock()
    session = httpx.Client(transport=httpx.MockTransport(fake))
    client = DagsterClient(url, session=session, **client_options)
    return DagsterRunner(client, log=logging.getLogger("test"), sleep=clock.sleep, clock=clock)
