"""Asset checks and their history, read from Dagster's GraphQL API.

What `airlift proxy status` and `airlift proxy on` need to show acceptance checks
before and after a flip. Each execution is put on one side by the
materialization it judged (Dagster records it as the evaluation's target):

* ``airflow``: a materialization stored without a run, which is how the airlift
  sensor records what Airflow produced: the check judged Airflow's output
  ("before").
* ``proxied``: a materialization made by a Dagster run tagged
  ``airlift/airflow_task_id``, the tag every run a proxied Airflow task launches
  carries: the check judged the Dagster version ("after").
* ``dagster``: any other Dagster run (a materialization launched by hand in the
  UI, a schedule); shown as the latest outcome, on neither side.
* ``none``: the check ran before its asset had any materialization.

Three requests in all, whatever the number of checks: the checks of the keys,
their latest executions (one aliased document, in chunks), and the tags of the
runs that made the judged materializations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from airlift_component.dagster_api import queries
from airlift_component.dagster_api.client import DagsterClient
from airlift_component.errors import DagsterApiError
from airlift_component.mapping_tags import AIRFLOW_TASK_TAG

AssetKey = tuple[str, ...]
Origin = Literal["airflow", "proxied", "dagster", "none"]

#: Executions read per check: enough to find the latest on each side after a
#: flip without paging; an older side is shown as "not in the last N".
HISTORY = 50
#: Checks per GraphQL document (aliases), so one request stays small.
CHUNK = 50
#: Execution statuses that say the check did not pass.
FAILED_STATUSES = frozenset({"FAILED", "EXECUTION_FAILED"})


@dataclass(frozen=True)
class CheckKey:
    """One asset check: the asset it is on and its name."""

    asset: AssetKey
    name: str

    def __str__(self) -> str:
        return f"{'/'.join(self.asset)}:{self.name}"


@dataclass(frozen=True)
class CheckExecution:
    """One execution of a check and which side of a flip it judged."""

    status: str  # SUCCEEDED, FAILED, EXECUTION_FAILED, IN_PROGRESS, SKIPPED
    timestamp: float
    run_id: str
    origin: Origin = "none"
    severity: str | None = None
    target_run_id: str | None = None  # None: no materialization judged; "": runless

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES

    @property
    def passed(self) -> bool:
        return self.status == "SUCCEEDED"

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "timestamp": self.timestamp,
            "run_id": self.run_id,
            "origin": self.origin,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class CheckHistory:
    """A check's latest execution overall, and the latest on each side of the flip."""

    key: CheckKey
    executions: tuple[CheckExecution, ...] = field(default=(), repr=False)

    @property
    def latest(self) -> CheckExecution | None:
        return self.executions[0] if self.executions else None

    def latest_from(self, origin: Origin) -> CheckExecution | None:
        return next((e for e in self.executions if e.origin == origin), None)

    @property
    def before(self) -> CheckExecution | None:
        """The latest execution that judged a materialization recorded from Airflow."""
        return self.latest_from("airflow")

    @property
    def after(self) -> CheckExecution | None:
        """The latest execution that judged a proxied task's Dagster run."""
        return self.latest_from("proxied")


def _keys_input(keys: Iterable[Sequence[str]]) -> list[dict[str, list[str]]]:
    return [{"path": list(key)} for key in keys]


def asset_checks(client: DagsterClient, keys: Iterable[Sequence[str]]) -> list[CheckKey]:
    """The checks defined on ``keys`` (keys Dagster does not know have none)."""
    keys_input = _keys_input(dict.fromkeys(tuple(k) for k in keys))
    if not keys_input:
        return []
    data = client.graphql(queries.ASSET_CHECKS, {"keys": keys_input}, fields=["assetNodes"])

    def parse() -> list[CheckKey]:
        found: list[CheckKey] = []
        for node in data["assetNodes"]:
            key = tuple(node["assetKey"]["path"])
            result = node.get("assetChecksOrError") or {}
            if result.get("__typename") != "AssetChecks":
                raise DagsterApiError(
                    f"Dagster at {client.base_url} cannot list the checks of "
                    f"{'/'.join(key)}: {result.get('__typename')}: {result.get('message', '')}"
                )
            found.extend(CheckKey(key, str(check["name"])) for check in result["checks"])
        return found

    return client._parsed("the asset checks", parse)


def _execution(raw: Mapping[str, Any]) -> CheckExecution:
    evaluation = raw.get("evaluation") or {}
    target = evaluation.get("targetMaterialization")
    return CheckExecution(
        status=str(raw["status"]),
        timestamp=float(evaluation.get("timestamp") or raw["timestamp"]),
        run_id=str(raw["runId"]),
        severity=evaluation.get("severity"),
        target_run_id=None if target is None else str(target["runId"]),
    )


def _origin(execution: CheckExecution, proxied_runs: set[str]) -> Origin:
    target = execution.target_run_id
    if target is None:
        return "none"
    if target == "":
        return "airflow"
    return "proxied" if target in proxied_runs else "dagster"


def _raw_histories(
    client: DagsterClient, checks: Sequence[CheckKey], limit: int
) -> dict[CheckKey, list[CheckExecution]]:
    found: dict[CheckKey, list[CheckExecution]] = {}
    for start in range(0, len(checks), CHUNK):
        chunk = checks[start : start + CHUNK]
        variables: dict[str, Any] = {"limit": limit}
        for i, check in enumerate(chunk):
            variables[f"k{i}"] = {"path": list(check.asset)}
            variables[f"n{i}"] = check.name
        aliases = [f"c{i}" for i in range(len(chunk))]
        data = client.graphql(queries.check_executions_query(len(chunk)), variables, fields=aliases)
        for alias, check in zip(aliases, chunk, strict=True):
            found[check] = _parsed_executions(client, check, data[alias])
    return found


def _parsed_executions(client: DagsterClient, check: CheckKey, answer: Any) -> list[CheckExecution]:
    return client._parsed(
        f"the executions of check {check}", lambda: [_execution(e) for e in answer]
    )


def _proxied_runs(client: DagsterClient, run_ids: set[str]) -> set[str]:
    """Which of ``run_ids`` a proxied Airflow task launched."""
    if not run_ids:
        return set()
    variables = {"filter": {"runIds": sorted(run_ids)}, "limit": len(run_ids)}
    data = client.graphql(queries.RUNS_BY_IDS, variables, fields=["runsOrError"])
    return {run.run_id for run in client._runs(data) if AIRFLOW_TASK_TAG in run.tags}


def check_histories(
    client: DagsterClient, checks: Sequence[CheckKey], *, limit: int = HISTORY
) -> list[CheckHistory]:
    """The latest ``limit`` executions of each check, newest first, each on its side."""
    raw = _raw_histories(client, list(dict.fromkeys(checks)), limit)
    targets = {e.target_run_id for runs in raw.values() for e in runs if e.target_run_id}
    proxied = _proxied_runs(client, targets)
    histories = []
    for check in dict.fromkeys(checks):
        executions = sorted(raw[check], key=lambda e: e.timestamp, reverse=True)
        sided = tuple(
            CheckExecution(
                e.status, e.timestamp, e.run_id, _origin(e, proxied), e.severity, e.target_run_id
            )
            for e in executions
        )
        histories.append(CheckHistory(check, sided))
    return histories
