"""The Dagster GraphQL client: transport errors, payloads and results, without a server."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from airlift_component.dagster_api import (
    DAGSTER_CLOUD_TOKEN_HEADER,
    DagsterClient,
    dagster_plus_url,
    graphql_url,
    tag_value,
)
from airlift_component.dagster_api.client import DagsterHttpError, TransientDagsterApiError
from airlift_component.errors import DagsterApiError

URL = "http://127.0.0.1:3999"

Handler = Callable[[httpx.Request], httpx.Response]


def client_with(handler: Handler, *, token: str | None = None) -> DagsterClient:
    headers = {DAGSTER_CLOUD_TOKEN_HEADER: token} if token else {}
    session = httpx.Client(transport=httpx.MockTransport(handler), headers=headers)
    return DagsterClient(URL, session=session, timeout=5)


def answer(data: dict[str, Any]) -> Handler:
    return lambda request: httpx.Response(200, json={"data": data})


def body(request: httpx.Request) -> dict[str, Any]:
    return json.loads(request.content)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:3000", "http://h:3000/graphql"),
        ("http://h:3000/", "http://h:3000/graphql"),
        ("https://org.dagster.cloud/prod/graphql", "https://org.dagster.cloud/prod/graphql"),
    ],
    ids=["bare", "slash", "already-graphql"],
)
def test_graphql_url(given: str, expected: str) -> None:
    assert graphql_url(given) == expected


def test_dagster_plus_url() -> None:
    assert dagster_plus_url("acme", "prod") == "https://acme.dagster.cloud/prod"


def test_unreachable_names_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(DagsterApiError, match=r"127\.0\.0\.1:3999/graphql is unreachable"):
        client_with(refuse).version()


def test_real_refused_port_fails_fast_with_url() -> None:
    client = DagsterClient("http://127.0.0.1:1", timeout=2)
    with pytest.raises(DagsterApiError, match=r"127\.0\.0\.1:1/graphql"):
        client.version()
    client.close()


@pytest.mark.parametrize(
    ("status", "match"),
    [(401, "rejected the credentials"), (403, "rejected the credentials"), (502, "HTTP 502")],
    ids=["401", "403", "502"],
)
def test_http_errors_name_status(status: int, match: str) -> None:
    client = client_with(lambda r: httpx.Response(status, text="nope"))
    with pytest.raises(DagsterApiError, match=match):
        client.version()


@pytest.mark.parametrize(
    ("status", "transient"),
    [(401, False), (418, False), (429, True), (500, False), (503, True)],
    ids=["401", "418", "429", "500", "503"],
)
def test_an_http_error_carries_its_status(status: int, transient: bool) -> None:
    """Callers (the proxy's launch retry) decide on ``status``, never on the message;
    a body quoting another status changes nothing."""
    client = client_with(lambda r: httpx.Response(status, text="upstream answered HTTP 502"))
    with pytest.raises(DagsterHttpError) as caught:
        client.version()
    assert caught.value.status == status
    assert isinstance(caught.value, TransientDagsterApiError) is transient
    assert f"HTTP {status}" in str(caught.value) and "127.0.0.1:3999/graphql" in str(caught.value)
    copied = pickle.loads(pickle.dumps(caught.value))  # e.g. sent between processes
    assert (type(copied), copied.status, str(copied)) == (
        type(caught.value),
        status,
        str(caught.value),
    )


def test_not_json_is_reported() -> None:
    client = client_with(lambda r: httpx.Response(200, text="<html>"))
    with pytest.raises(DagsterApiError, match="not JSON"):
        client.version()


def test_graphql_errors_are_reported() -> None:
    client = client_with(
        lambda r: httpx.Response(200, json={"errors": [{"message": "Cannot query field"}]})
    )
    with pytest.raises(DagsterApiError, match="Cannot query field"):
        client.version()


def test_token_is_sent_and_never_shown() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get(DAGSTER_CLOUD_TOKEN_HEADER))
        return httpx.Response(401)

    client = client_with(handler, token="secret-token-123")
    with pytest.raises(DagsterApiError) as info:
        client.version()
    assert seen == ["secret-token-123"]
    assert "secret-token-123" not in str(info.value)
    assert "secret-token-123" not in repr(client)


def test_default_session_carries_token_header() -> None:
    client = DagsterClient(URL, token="tok-abcdef")
    assert client._session.headers[DAGSTER_CLOUD_TOKEN_HEADER] == "tok-abcdef"
    client.close()


def test_launch_run_sends_exact_asset_selection_and_tags() -> None:
    requests: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(body(request))
        return httpx.Response(
            200,
            json={
                "data": {
                    "launchRun": {
                        "__typename": "LaunchRunSuccess",
                        "run": {"runId": "r1", "status": "QUEUED"},
                    }
                }
            },
        )

    run = client_with(handler).launch_run(
        location="loc",
        repository="__repository__",
        asset_keys=[("a", "b")],
        tags={"airlift/airflow_dag_id": "d"},
    )
    assert run.run_id == "r1"
    params = requests[0]["variables"]["params"]
    assert params["selector"] == {
        "repositoryLocationName": "loc",
        "repositoryName": "__repository__",
        "jobName": "__ASSET_JOB",
        "assetSelection": [{"path": ["a", "b"]}],
    }
    assert params["executionMetadata"]["tags"] == [{"key": "airlift/airflow_dag_id", "value": "d"}]


def test_launch_run_error_names_type_and_message() -> None:
    client = client_with(
        answer({"launchRun": {"__typename": "PipelineNotFoundError", "message": "no job"}})
    )
    with pytest.raises(DagsterApiError, match="PipelineNotFoundError: no job"):
        client.launch_run(location="l", repository="r", asset_keys=[("a",)], tags={})


def test_find_runs_filters_by_tags_newest_first() -> None:
    requests: list[dict[str, Any]] = []
    runs = [
        {"runId": "old", "status": "FAILURE", "creationTime": 1.0, "tags": []},
        {"runId": "new", "status": "STARTED", "creationTime": 2.0, "tags": []},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(body(request))
        return httpx.Response(
            200, json={"data": {"runsOrError": {"__typename": "Runs", "results": runs}}}
        )

    found = client_with(handler).find_runs({"k": "v"})
    assert [run.run_id for run in found] == ["new", "old"]
    assert requests[0]["variables"]["filter"] == {"tags": [{"key": "k", "value": "v"}]}


def test_runs_and_asset_nodes_come_from_one_request() -> None:
    requests: list[dict[str, Any]] = []
    runs = [
        {"runId": "old", "status": "FAILURE", "creationTime": 1.0, "tags": []},
        {"runId": "new", "status": "STARTED", "creationTime": 2.0, "tags": []},
    ]
    node = {"assetKey": {"path": ["i", "dag", "d"]}, "isExecutable": False}

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(body(request))
        data = {"runsOrError": {"__typename": "Runs", "results": runs}, "assetNodes": [node]}
        return httpx.Response(200, json={"data": data})

    client = client_with(handler)
    found, nodes = client.find_runs_and_asset_nodes({"k": "v"}, [("i", "dag", "d")])
    assert [run.run_id for run in found] == ["new", "old"]
    assert [(n.key, n.is_executable) for n in nodes] == [(("i", "dag", "d"), False)]
    assert len(requests) == 1 == client.request_count
    variables = requests[0]["variables"]
    assert variables["filter"] == {"tags": [{"key": "k", "value": "v"}]}
    assert variables["keys"] == [{"path": ["i", "dag", "d"]}]
    assert "runsOrError" in requests[0]["query"]
    assert "assetNodes" in requests[0]["query"]


def test_runs_and_asset_nodes_report_a_runs_error() -> None:
    client = client_with(
        answer(
            {
                "runsOrError": {"__typename": "PythonError", "message": "db down"},
                "assetNodes": [],
            }
        )
    )
    with pytest.raises(DagsterApiError, match="list runs: PythonError: db down"):
        client.find_runs_and_asset_nodes({"k": "v"}, [("a",)])


def test_get_run_not_found() -> None:
    client = client_with(
        answer({"runOrError": {"__typename": "RunNotFoundError", "message": "gone"}})
    )
    with pytest.raises(DagsterApiError, match=r"find run r9.*gone"):
        client.get_run("r9")


def test_reload_location_reports_load_error() -> None:
    client = client_with(
        answer(
            {
                "reloadRepositoryLocation": {
                    "__typename": "WorkspaceLocationEntry",
                    "name": "loc",
                    "locationOrLoadError": {"__typename": "PythonError", "message": "SyntaxError"},
                }
            }
        )
    )
    with pytest.raises(DagsterApiError, match="failed to load: SyntaxError"):
        client.reload_location("loc")


def test_reload_unknown_location() -> None:
    client = client_with(
        answer(
            {
                "reloadRepositoryLocation": {
                    "__typename": "RepositoryLocationNotFound",
                    "message": "Location x does not exist.",
                }
            }
        )
    )
    with pytest.raises(DagsterApiError, match=r"127\.0\.0\.1:3999.*x does not exist"):
        client.reload_location("x")


@pytest.mark.parametrize(
    "parts",
    [("analytics", "customers", "load"), ("i", "d" * 60, "t" * 40)],
    ids=["short", "hashed"],
)
def test_tag_value_is_the_one_the_component_writes(parts: tuple[str, ...]) -> None:
    from airlift_component.component.asset_specs import mapping_tags

    assert mapping_tags(*parts)["airlift/task"] == tag_value(*parts)


def test_run_materializations_carry_each_assets_metadata() -> None:
    events = [
        {
            "assetKey": {"path": ["shop", "summary"]},
            "metadataEntries": [
                {"__typename": "TextMetadataEntry", "label": "note", "text": "a"},
                {"__typename": "JsonMetadataEntry", "label": "v", "jsonString": '{"x": 1}'},
            ],
        }
    ]
    run = {"__typename": "Run", "runId": "r1", "assetMaterializations": events}
    client = client_with(answer({"runOrError": run}))
    [event] = client.run_materializations("r1")
    assert event.key_string == "shop/summary"
    assert event.entry("v") == events[0]["metadataEntries"][1]
    assert event.entry("missing") is None


@pytest.mark.parametrize(
    ("entry", "value"),
    [
        ({"__typename": "JsonMetadataEntry", "jsonString": "[1, 2]"}, [1, 2]),
        ({"__typename": "TextMetadataEntry", "text": "s3://b/k"}, "s3://b/k"),
        ({"__typename": "IntMetadataEntry", "intRepr": "9007199254740993"}, 9007199254740993),
        ({"__typename": "FloatMetadataEntry", "floatRepr": "0.5"}, 0.5),
        ({"__typename": "BoolMetadataEntry", "boolValue": False}, False),
        ({"__typename": "NullMetadataEntry"}, None),
    ],
    ids=["json", "text", "big-int", "float", "bool", "null"],
)
def test_metadata_entries_as_json_values(entry: dict[str, Any], value: Any) -> None:
    from airlift_component.dagster_api.metadata_values import entry_value

    assert entry_value(entry) == value


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"__typename": "FloatMetadataEntry", "floatRepr": "nan"}, "nan has no JSON value"),
        ({"__typename": "TableMetadataEntry"}, "a TableMetadataEntry"),
    ],
    ids=["nan", "table"],
)
def test_metadata_entries_without_a_json_value(entry: dict[str, Any], match: str) -> None:
    from airlift_component.dagster_api.metadata_values import (
        UnsupportedMetadataEntry,
        entry_value,
    )

    with pytest.raises(UnsupportedMetadataEntry, match=match):
        entry_value(entry)


def test_run_url_escapes_the_run_id_as_one_path_segment() -> None:
    from airlift_component.dagster_api import DagsterClient

    with DagsterClient("http://127.0.0.1:3000") as client:
        assert client.run_url("abc-123") == "http://127.0.0.1:3000/runs/abc-123"
        assert (
            client.run_url("../admin?x=1#y") == "http://127.0.0.1:3000/runs/..%2Fadmin%3Fx%3D1%23y"
        )
