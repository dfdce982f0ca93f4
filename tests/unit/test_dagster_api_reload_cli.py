"""``airlift reload``: exit codes and messages naming the URL, without a server."""

from __future__ import annotations

import json

import httpx
import pytest

from airlift_component.cli.main import main
from airlift_component.dagster_api import client as client_module


def fake_dagster(monkeypatch: pytest.MonkeyPatch, typename: str, seen: list[httpx.Request]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        result = {"__typename": typename, "name": "loc", "message": "Location nope does not exist."}
        if typename == "WorkspaceLocationEntry":
            result["locationOrLoadError"] = {"__typename": "RepositoryLocation"}
        return httpx.Response(200, json={"data": {"reloadRepositoryLocation": result}})

    def session(token: str | None = None, *, timeout: float = 30.0) -> httpx.Client:
        headers = client_module.token_headers(token)
        return httpx.Client(transport=httpx.MockTransport(handler), headers=headers)

    monkeypatch.setattr(client_module, "new_session", session)


def test_reload_success(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[httpx.Request] = []
    fake_dagster(monkeypatch, "WorkspaceLocationEntry", seen)
    monkeypatch.setenv("MY_TOKEN", "token-abcdef")
    code = main(
        ["reload", "--location", "loc", "--dagster-url", "http://d:3000", "--token-env", "MY_TOKEN"]
    )
    assert code == 0
    assert "reloaded code location 'loc' at http://d:3000/graphql" in capsys.readouterr().out
    assert json.loads(seen[0].content)["variables"] == {"name": "loc"}
    assert seen[0].headers["Dagster-Cloud-Api-Token"] == "token-abcdef"


def test_reload_unknown_location(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_dagster(monkeypatch, "RepositoryLocationNotFound", [])
    code = main(["reload", "--location", "nope", "--dagster-url", "http://d:3000"])
    err = capsys.readouterr().err
    assert code == 1
    assert "http://d:3000/graphql" in err
    assert "Location nope does not exist" in err


def test_reload_unreachable_names_url(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["reload", "--location", "x", "--dagster-url", "http://127.0.0.1:1", "--timeout", "2"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "http://127.0.0.1:1/graphql is unreachable" in err
    assert "Traceback" not in err


def fake_workspace(
    monkeypatch: pytest.MonkeyPatch, names: list[str], seen: list[dict[str, object]]
) -> None:
    """A webserver whose workspace lists ``names`` and reloads any of them."""

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if "workspaceOrError" in body["query"]:
            entries = [{"name": name} for name in names]
            data = {"workspaceOrError": {"__typename": "Workspace", "locationEntries": entries}}
        else:
            result = {
                "__typename": "WorkspaceLocationEntry",
                "name": body["variables"]["name"],
                "locationOrLoadError": {"__typename": "RepositoryLocation"},
            }
            data = {"reloadRepositoryLocation": result}
        return httpx.Response(200, json={"data": data})

    def session(token: str | None = None, *, timeout: float = 30.0) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(handler))

    monkeypatch.setattr(client_module, "new_session", session)


def test_reload_without_location_reloads_the_only_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[dict[str, object]] = []
    fake_workspace(monkeypatch, ["airlift_example"], seen)
    assert main(["reload", "--dagster-url", "http://d:3000"]) == 0
    assert "reloaded code location 'airlift_example'" in capsys.readouterr().out
    assert seen[-1]["variables"] == {"name": "airlift_example"}


def test_reload_without_location_among_several_names_them_and_reloads_none(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[dict[str, object]] = []
    fake_workspace(monkeypatch, ["b_loc", "a_loc"], seen)
    assert main(["reload", "--dagster-url", "http://d:3000"]) == 2
    err = capsys.readouterr().err
    assert "has 2 code locations (a_loc, b_loc): name one with --location NAME" in err
    assert all("reloadRepositoryLocation" not in str(body["query"]) for body in seen)


def test_reload_without_location_and_no_location_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_workspace(monkeypatch, [], [])
    assert main(["reload", "--dagster-url", "http://d:3000"]) == 2
    assert "has no code location to reload" in capsys.readouterr().err
