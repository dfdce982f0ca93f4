"""A small client for Dagster's GraphQL API, over any requests-like session.

It imports neither Dagster nor Airflow, so the Airflow side (proxy operators)
and ``airlift reload`` share it. Every failure raises
:class:`~airlift_component.errors.DagsterApiError` naming the URL and, when an
answer arrived, the HTTP status; tokens never appear in messages or reprs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from airlift_component.dagster_api import queries
from airlift_component.dagster_api.types import AssetNode, DagsterRun
from airlift_component.errors import DagsterApiError

DEFAULT_TIMEOUT = 30.0
#: Header Dagster+ reads a user or agent token from.
DAGSTER_CLOUD_TOKEN_HEADER = "Dagster-Cloud-Api-Token"


class Response(Protocol):
    status_code: int
    text: str

    def json(self) -> Any: ...


class Session(Protocol):
    """What the client needs from a session: ``httpx.Client`` and ``requests.Session`` fit."""

    def post(self, url: str, *, json: Any = ..., timeout: Any = ...) -> Any: ...


def graphql_url(url: str) -> str:
    """The GraphQL endpoint of a Dagster webserver URL (``.../graphql`` is kept)."""
    url = url.rstrip("/")
    return url if url.endswith("/graphql") else f"{url}/graphql"


def dagster_plus_url(organization: str, deployment: str) -> str:
    """The base URL of a Dagster+ deployment."""
    return f"https://{organization}.dagster.cloud/{deployment}"


def token_headers(token: str | None) -> dict[str, str]:
    """Headers authenticating to Dagster+ (none for an open OSS webserver)."""
    return {DAGSTER_CLOUD_TOKEN_HEADER: token} if token else {}


def new_session(token: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> Any:
    """An ``httpx.Client`` carrying the Dagster+ token header, if any."""
    import httpx

    return httpx.Client(headers=token_headers(token), timeout=timeout)


def _keys_input(keys: Iterable[Sequence[str]]) -> list[dict[str, list[str]]]:
    return [{"path": list(key)} for key in keys]


def _runs_input(tags: Mapping[str, str], limit: int) -> dict[str, Any]:
    return {"filter": {"tags": [{"key": k, "value": v} for k, v in tags.items()]}, "limit": limit}


class DagsterClient:
    """Talks to one Dagster webserver (OSS or Dagster+) over GraphQL.

    ``session`` is any object with a requests-like ``post(url, json=, timeout=)``
    (``httpx.Client``, ``requests.Session``) already carrying auth headers; by
    default an ``httpx.Client`` is made from ``token``.
    """

    def __init__(
        self,
        url: str,
        *,
        session: Session | None = None,
        token: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = url.rstrip("/")
        self.graphql_url = graphql_url(url)
        self.timeout = timeout
        self._owns_session = session is None
        self._session: Any = session if session is not None else new_session(token, timeout=timeout)
        self.request_count = 0

    def __repr__(self) -> str:
        return f"DagsterClient({self.base_url!r})"

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> DagsterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_url(self, run_id: str) -> str:
        """The Dagster UI page of a run."""
        base = self.base_url.removesuffix("/graphql")
        return f"{base}/runs/{run_id}"

    # -- transport ---------------------------------------------------------------

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send one GraphQL document; returns ``data`` or raises :class:`DagsterApiError`."""
        where = f"Dagster GraphQL at {self.graphql_url}"
        self.request_count += 1
        try:
            response = self._session.post(
                self.graphql_url,
                json={"query": query, "variables": dict(variables or {})},
                timeout=self.timeout,
            )
        except Exception as exc:  # httpx, requests and socket errors differ
            raise DagsterApiError(
                f"{where} is unreachable ({type(exc).__name__}: {exc}); "
                "check that the Dagster webserver runs and the URL is right"
            ) from None
        status = int(response.status_code)
        if status in (401, 403):
            raise DagsterApiError(
                f"{where} rejected the credentials (HTTP {status}); check the Dagster API token"
            )
        if status >= 400:
            raise DagsterApiError(
                f"{where} answered HTTP {status}: {response.text[:300]}; "
                "check the URL (it should point at the Dagster webserver)"
            )
        try:
            body = response.json()
        except ValueError:
            raise DagsterApiError(
                f"{where} answered HTTP {status} with a body that is not JSON; "
                "check the URL (it should point at the Dagster webserver)"
            ) from None
        if body.get("errors"):
            messages = "; ".join(str(e.get("message", e)) for e in body["errors"])
            raise DagsterApiError(f"{where} returned errors: {messages}")
        data = body.get("data")
        if not isinstance(data, dict):
            raise DagsterApiError(f"{where} returned no data (HTTP {status})")
        return data

    def _result(self, data: dict[str, Any], field: str, expected: str, doing: str) -> Any:
        result = data[field]
        if result.get("__typename") != expected:
            message = result.get("message") or "; ".join(
                e.get("message", "") for e in result.get("errors") or []
            )
            raise DagsterApiError(
                f"Dagster at {self.graphql_url} could not {doing}: "
                f"{result.get('__typename')}: {message}"
            )
        return result

    # -- operations --------------------------------------------------------------

    def version(self) -> str:
        return str(self.graphql(queries.VERSION)["version"])

    def asset_nodes(self, keys: Iterable[Sequence[str]]) -> list[AssetNode]:
        """The asset definitions with these keys (unknown keys are left out)."""
        keys_input = _keys_input(keys)
        if not keys_input:
            return []
        data = self.graphql(queries.ASSET_NODES_BY_KEYS, {"keys": keys_input})
        return [AssetNode.from_graphql(node) for node in data["assetNodes"]]

    def asset_keys_with_tag(self, key: str, value: str) -> list[tuple[str, ...]]:
        """Keys of asset definitions carrying a definition tag (scans keys and tags)."""
        data = self.graphql(queries.ASSET_TAGS_SCAN)
        return [
            tuple(node["assetKey"]["path"])
            for node in data["assetNodes"]
            if any(t["key"] == key and t["value"] == value for t in node.get("tags") or [])
        ]

    def launch_run(
        self,
        *,
        location: str,
        repository: str,
        asset_keys: Iterable[Sequence[str]],
        tags: Mapping[str, str],
    ) -> DagsterRun:
        """Launch one run of exactly these assets (``__ASSET_JOB``), tagged with ``tags``."""
        params = {
            "selector": {
                "repositoryLocationName": location,
                "repositoryName": repository,
                "jobName": "__ASSET_JOB",
                "assetSelection": _keys_input(asset_keys),
            },
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        data = self.graphql(queries.LAUNCH_RUN, {"params": params})
        result = self._result(data, "launchRun", "LaunchRunSuccess", "launch a run")
        return DagsterRun(result["run"]["runId"], result["run"]["status"], dict(tags))

    def get_run(self, run_id: str) -> DagsterRun:
        data = self.graphql(queries.RUN_BY_ID, {"runId": run_id})
        return DagsterRun.from_graphql(
            self._result(data, "runOrError", "Run", f"find run {run_id}")
        )

    def _runs(self, data: dict[str, Any]) -> list[DagsterRun]:
        result = self._result(data, "runsOrError", "Runs", "list runs")
        runs = [DagsterRun.from_graphql(run) for run in result["results"]]
        return sorted(runs, key=lambda run: run.creation_time, reverse=True)

    def find_runs(self, tags: Mapping[str, str], *, limit: int = 50) -> list[DagsterRun]:
        """Runs carrying all of ``tags``, newest first."""
        data = self.graphql(queries.RUNS_BY_TAGS, _runs_input(tags, limit))
        return self._runs(data)

    def find_runs_and_asset_nodes(
        self, tags: Mapping[str, str], keys: Iterable[Sequence[str]], *, limit: int = 50
    ) -> tuple[list[DagsterRun], list[AssetNode]]:
        """``find_runs(tags)`` and ``asset_nodes(keys)`` answered by one request."""
        keys_input = _keys_input(keys)
        if not keys_input:
            return self.find_runs(tags, limit=limit), []
        variables = {**_runs_input(tags, limit), "keys": keys_input}
        data = self.graphql(queries.RUNS_AND_ASSET_NODES, variables)
        nodes = [AssetNode.from_graphql(node) for node in data["assetNodes"]]
        return self._runs(data), nodes

    def reload_location(self, name: str) -> None:
        """Ask the webserver to reload a code location; raises when it fails to load."""
        data = self.graphql(queries.RELOAD_LOCATION, {"name": name})
        result = self._result(
            data, "reloadRepositoryLocation", "WorkspaceLocationEntry", f"reload location {name!r}"
        )
        loaded = result.get("locationOrLoadError") or {}
        if loaded.get("__typename") == "PythonError":
            raise DagsterApiError(
                f"Dagster at {self.graphql_url} reloaded location {name!r} but it failed "
                f"to load: {loaded.get('message', '').strip()}"
            )
