"""A small client for Dagster's GraphQL API, over any requests-like session.

It imports neither Dagster nor Airflow, so the Airflow side (proxy operators)
and ``airlift reload`` share it. Every failure raises
:class:`~airlift_component.errors.DagsterApiError` naming the URL and, when an
answer arrived, the HTTP status; tokens never appear in messages or reprs::

    DagsterApiError
    ├── TransientDagsterApiError   worth asking again: no answer, a timeout, a
    │   │                          dropped connection
    │   └── TransientDagsterHttpError   HTTP 429/502/503/504
    └── DagsterHttpError           an HTTP error status, in ``status``
        └── TransientDagsterHttpError

Callers decide on the type and ``status``, never on a message's text (which
quotes the answer's body).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from airlift_component.dagster_api import queries
from airlift_component.dagster_api.types import AssetNode, DagsterRun, MaterializationMetadata
from airlift_component.errors import DagsterApiError
from airlift_component.redact import redact_url, scrub_userinfo, userinfo_is_encoded

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
#: HTTP statuses that say "ask again later" rather than "this is wrong".
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})

#: Reads one root field out of a GraphQL HTTP response (an operator's
#: ``get_valid_graphql_response``); raises when the answer is not usable.
FieldReader = Callable[[Any, str], Any]


class TransientDagsterApiError(DagsterApiError):
    """A failure worth asking again: no answer, a timeout, a dropped connection, or
    HTTP 429/502/503/504. Callers that poll retry it within their own deadline."""


class DagsterHttpError(DagsterApiError):
    """Dagster's webserver (or a proxy before it) answered with an HTTP error
    status, held in :attr:`status`."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        #: The HTTP status of the answer (400 or more).
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.status))


class TransientDagsterHttpError(TransientDagsterApiError, DagsterHttpError):
    """HTTP 429/502/503/504: "ask again later", with its status."""


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


def execution_params(
    *,
    location: str,
    repository: str,
    asset_keys: Iterable[Sequence[str]],
    tags: Mapping[str, str],
) -> dict[str, Any]:
    """Dagster's ``ExecutionParams`` for one run of exactly these assets (``__ASSET_JOB``)."""
    return {
        "selector": {
            "repositoryLocationName": location,
            "repositoryName": repository,
            "jobName": "__ASSET_JOB",
            "assetSelection": _keys_input(asset_keys),
        },
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }


def _operation(query: str) -> str:
    """The operation name of a GraphQL document (``AirliftRun``), for messages."""
    found = re.search(r"\b(?:query|mutation)\s+(\w+)", query)
    return found.group(1) if found else "query"


def read_field(response: Any, key: str) -> Any:
    """Root field ``key`` of a GraphQL HTTP response, checked strictly.

    The default of an operator's ``get_valid_graphql_response``. Raises
    :class:`TransientDagsterHttpError` for HTTP 429/502/503/504,
    :class:`DagsterHttpError` for any other error status, and
    :class:`DagsterApiError` for anything else unusable (messages say what and
    the fix; the caller adds which request).
    """
    status = int(response.status_code)
    if status in (401, 403):
        raise DagsterHttpError(
            f"rejected the credentials (HTTP {status}); check the Dagster API token", status
        )
    if status in TRANSIENT_STATUSES:
        raise TransientDagsterHttpError(f"answered HTTP {status}; try again later", status)
    if status >= 400:
        raise DagsterHttpError(
            f"answered HTTP {status}: {response.text[:300]}; "
            "check the URL (it should point at the Dagster webserver)",
            status,
        )
    try:
        body = response.json()
    except ValueError:
        raise DagsterApiError(
            f"answered HTTP {status} with a body that is not JSON; "
            "check the URL (it should point at the Dagster webserver)"
        ) from None
    if not isinstance(body, dict):
        raise DagsterApiError(
            f"answered a JSON {type(body).__name__}, not a GraphQL response object; "
            "check the URL (it should point at the Dagster webserver)"
        )
    errors = body.get("errors")
    if errors:
        items = errors if isinstance(errors, list) else [errors]
        messages = "; ".join(
            str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in items
        )
        raise DagsterApiError(f"returned errors: {messages}")
    data = body.get("data")
    if not isinstance(data, dict):
        raise DagsterApiError(f"returned no data (HTTP {status})")
    value = data.get(key)
    if value is None:
        raise DagsterApiError(
            f"answered {key}: null; is this a Dagster webserver of a supported version?"
        )
    return value


def _reworded(exc: DagsterApiError, message: str) -> DagsterApiError:
    """An error of ``exc``'s type saying ``message``, with its HTTP status if it has one."""
    if isinstance(exc, DagsterHttpError):
        return type(exc)(message, exc.status)
    return type(exc)(message)


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
        read_field: FieldReader | None = None,
    ) -> None:
        if not userinfo_is_encoded(url):  # else a client reads a piece of it as host/port
            raise DagsterApiError(
                f"the Dagster URL {redact_url(url)} has a user:password@ part that is not "
                "percent-encoded (not shown here): percent-encode the user and the password "
                "('/' as %2F, '@' as %40, '#' as %23, '?' as %3F, '%' as %25, a space as %20), "
                "or send a token instead; an '@' in the path is written %40"
            )
        # What messages, logs and run links show: never a user:password@ part.
        self.base_url = redact_url(url.rstrip("/"))
        self.graphql_url = graphql_url(self.base_url)
        self._endpoint = graphql_url(url)
        self.timeout = timeout
        self._read_field = read_field
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
        """The Dagster UI page of a run (the run id escaped as one path segment)."""
        from urllib.parse import quote

        base = self.base_url.removesuffix("/graphql")
        return f"{base}/runs/{quote(run_id, safe='')}"

    # -- transport ---------------------------------------------------------------

    def graphql(
        self, query: str, variables: Mapping[str, Any] | None = None, *, fields: Sequence[str]
    ) -> dict[str, Any]:
        """Send one GraphQL document; returns the root ``fields`` the caller reads, or
        raises :class:`DagsterApiError` naming the request (and the HTTP status)."""
        where = f"Dagster GraphQL at {self.graphql_url}"
        request = f"[request {_operation(query)}]"
        self.request_count += 1
        try:
            response = self._session.post(
                self._endpoint,
                json={"query": query, "variables": dict(variables or {})},
                timeout=self.timeout,
            )
        except Exception as exc:  # httpx, requests and socket errors differ
            raise TransientDagsterApiError(
                f"{where} is unreachable ({type(exc).__name__}: {scrub_userinfo(str(exc))}); "
                f"check that the Dagster webserver runs and the URL is right {request}"
            ) from None
        reader = self._read_field or read_field
        data: dict[str, Any] = {}
        for field in fields:
            try:
                data[field] = reader(response, field)
            except DagsterApiError as exc:
                raise _reworded(exc, scrub_userinfo(f"{where} {exc} {request}")) from None
            except Exception as exc:  # a reader an operator supplies is user code
                raise DagsterApiError(
                    f"{where}: reading {field!r} failed ({type(exc).__name__}: "
                    f"{scrub_userinfo(str(exc))[:300]}) {request}"
                ) from None
        return data

    def _result(self, data: dict[str, Any], field: str, expected: str, doing: str) -> Any:
        result = data[field]
        if not isinstance(result, dict):
            raise DagsterApiError(
                f"Dagster at {self.graphql_url} could not {doing}: {field} is a "
                f"{type(result).__name__}, not an object"
            )
        if result.get("__typename") != expected:
            message = result.get("message") or "; ".join(
                e.get("message", "") if isinstance(e, dict) else str(e)
                for e in result.get("errors") or []
            )
            raise DagsterApiError(
                f"Dagster at {self.graphql_url} could not {doing}: "
                f"{result.get('__typename')}: {message}"
            )
        return result

    def _parsed(self, doing: str, parse: Callable[[], T]) -> T:
        """``parse()``; an answer of the wrong shape becomes a :class:`DagsterApiError`."""
        try:
            return parse()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DagsterApiError(
                f"Dagster at {self.graphql_url} answered {doing} in an unexpected shape "
                f"({type(exc).__name__}: {str(exc)[:200]}); is this a Dagster webserver "
                "of a supported version?"
            ) from None

    def fetch(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        field: str,
        typename: str,
        doing: str,
        parse: Callable[[Any], T],
    ) -> T:
        """Send ``query`` and return ``parse`` of its root ``field``, once that is a
        ``typename`` (``RepositoryConnection``, not a ``PythonError``).

        Anything else raises :class:`DagsterApiError` saying what could not be done
        (``doing``: "list schedules"): no answer, another type (with its message), or
        an answer ``parse`` cannot read (a ``KeyError``, ``TypeError`` ... it raises).
        """
        data = self.graphql(query, variables, fields=[field])
        result = self._result(data, field, typename, doing)
        return self._parsed(doing, lambda: parse(result))

    # -- operations --------------------------------------------------------------

    def version(self) -> str:
        data = self.graphql(queries.VERSION, fields=["version"])
        return self._parsed("the version query", lambda: str(data["version"]))

    def _nodes(self, data: dict[str, Any]) -> list[AssetNode]:
        nodes = data["assetNodes"]
        return self._parsed("assetNodes", lambda: [AssetNode.from_graphql(node) for node in nodes])

    def asset_nodes(self, keys: Iterable[Sequence[str]]) -> list[AssetNode]:
        """The asset definitions with these keys (unknown keys are left out)."""
        keys_input = _keys_input(keys)
        if not keys_input:
            return []
        data = self.graphql(
            queries.ASSET_NODES_BY_KEYS, {"keys": keys_input}, fields=["assetNodes"]
        )
        return self._nodes(data)

    def asset_keys_with_tag(self, key: str, value: str) -> list[tuple[str, ...]]:
        """Keys of asset definitions carrying a definition tag (scans keys and tags)."""
        data = self.graphql(queries.ASSET_TAGS_SCAN, fields=["assetNodes"])
        return self._parsed(
            "assetNodes",
            lambda: [
                tuple(node["assetKey"]["path"])
                for node in data["assetNodes"]
                if any(t["key"] == key and t["value"] == value for t in node.get("tags") or [])
            ],
        )

    def launch(self, params: Mapping[str, Any]) -> DagsterRun:
        """Launch a run from Dagster's ``ExecutionParams`` (see :func:`execution_params`)."""
        data = self.graphql(queries.LAUNCH_RUN, {"params": dict(params)}, fields=["launchRun"])
        result = self._result(data, "launchRun", "LaunchRunSuccess", "launch a run")
        tags = (params.get("executionMetadata") or {}).get("tags") or []
        return self._parsed(
            "launchRun",
            lambda: DagsterRun(
                result["run"]["runId"],
                result["run"]["status"],
                {tag["key"]: tag["value"] for tag in tags},
            ),
        )

    def launch_run(
        self,
        *,
        location: str,
        repository: str,
        asset_keys: Iterable[Sequence[str]],
        tags: Mapping[str, str],
    ) -> DagsterRun:
        """Launch one run of exactly these assets (``__ASSET_JOB``), tagged with ``tags``."""
        return self.launch(
            execution_params(
                location=location, repository=repository, asset_keys=asset_keys, tags=tags
            )
        )

    def get_run(self, run_id: str) -> DagsterRun:
        data = self.graphql(queries.RUN_BY_ID, {"runId": run_id}, fields=["runOrError"])
        result = self._result(data, "runOrError", "Run", f"find run {run_id}")
        return self._parsed(f"run {run_id}", lambda: DagsterRun.from_graphql(result))

    def run_materializations(self, run_id: str) -> list[MaterializationMetadata]:
        """Every asset materialization of a run, in the order they happened."""
        data = self.graphql(queries.RUN_MATERIALIZATIONS, {"runId": run_id}, fields=["runOrError"])
        result = self._result(data, "runOrError", "Run", f"find run {run_id}")
        return self._parsed(
            f"the materializations of run {run_id}",
            lambda: [
                MaterializationMetadata.from_graphql(event)
                for event in result["assetMaterializations"]
            ],
        )

    def _runs(self, data: dict[str, Any]) -> list[DagsterRun]:
        result = self._result(data, "runsOrError", "Runs", "list runs")
        runs = self._parsed(
            "runsOrError", lambda: [DagsterRun.from_graphql(run) for run in result["results"]]
        )
        return sorted(runs, key=lambda run: run.creation_time, reverse=True)

    def find_runs(self, tags: Mapping[str, str], *, limit: int = 50) -> list[DagsterRun]:
        """Runs carrying all of ``tags``, newest first."""
        data = self.graphql(queries.RUNS_BY_TAGS, _runs_input(tags, limit), fields=["runsOrError"])
        return self._runs(data)

    def find_runs_and_asset_nodes(
        self, tags: Mapping[str, str], keys: Iterable[Sequence[str]], *, limit: int = 50
    ) -> tuple[list[DagsterRun], list[AssetNode]]:
        """``find_runs(tags)`` and ``asset_nodes(keys)`` answered by one request."""
        keys_input = _keys_input(keys)
        if not keys_input:
            return self.find_runs(tags, limit=limit), []
        variables = {**_runs_input(tags, limit), "keys": keys_input}
        data = self.graphql(
            queries.RUNS_AND_ASSET_NODES, variables, fields=["runsOrError", "assetNodes"]
        )
        return self._runs(data), self._nodes(data)

    def location_names(self) -> list[str]:
        """The names of the webserver's code locations, as its workspace lists them."""
        data = self.graphql(queries.LOCATIONS, fields=["workspaceOrError"])
        workspace = self._result(data, "workspaceOrError", "Workspace", "list code locations")

        def parse() -> list[str]:
            return [str(entry["name"]) for entry in workspace["locationEntries"]]

        return self._parsed("list code locations", parse)

    def reload_location(self, name: str) -> None:
        """Ask the webserver to reload a code location; raises when it fails to load."""
        data = self.graphql(
            queries.RELOAD_LOCATION, {"name": name}, fields=["reloadRepositoryLocation"]
        )
        result = self._result(
            data, "reloadRepositoryLocation", "WorkspaceLocationEntry", f"reload location {name!r}"
        )
        loaded = result.get("locationOrLoadError") or {}
        if isinstance(loaded, dict) and loaded.get("__typename") == "PythonError":
            raise DagsterApiError(
                f"Dagster at {self.graphql_url} reloaded location {name!r} but it failed "
                f"to load: {str(loaded.get('message', '')).strip()}"
            )
