"""Mistakes in build_defs' arguments and in the stored state get one clear answer."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg
import pytest
from component_fixtures import airflows, factory, write_project

from airlift_component.component import build_defs


def _keys(defs: dg.Definitions) -> set[tuple[str, ...]]:
    return {tuple(key.path) for key in defs.resolve_all_asset_keys()}


@pytest.mark.parametrize("refresh", ["Always", True, None])
def test_an_unknown_refresh_value_is_refused_naming_the_choices(
    tmp_path: Path, refresh: object
) -> None:
    with pytest.raises(ValueError, match=r"refresh=.* is not one of 'if_dev', 'never'"):
        build_defs(write_project(tmp_path), refresh=refresh)  # type: ignore[arg-type]


@pytest.mark.parametrize("instances", ["prod", []])
def test_instances_must_be_a_list_of_names(tmp_path: Path, instances: object) -> None:
    with pytest.raises(ValueError, match="give a list of instance names"):
        build_defs(write_project(tmp_path), refresh="never", instances=instances)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "elsewhere",
    [
        ["prod/dag/orders"],
        dg.AssetKey(["prod", "dag", "orders"]),
        "prod/dag/orders",
        [("prod", "dag", "orders")],
    ],
    ids=["text", "asset-key", "one-text", "parts"],
)
def test_defined_elsewhere_takes_keys_in_every_usual_spelling(
    tmp_path: Path, elsewhere: object
) -> None:
    path = write_project(tmp_path)
    stubs = airflows()
    build_defs(path, refresh="if_missing", client_factory=factory(stubs))
    defs = build_defs(path, refresh="never", defined_elsewhere=elsewhere)  # type: ignore[arg-type]
    assert ("prod", "dag", "orders") not in _keys(defs)
    assert ("prod", "dag", "customers") in _keys(defs)


def test_defined_elsewhere_refuses_what_is_no_key(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="defined_elsewhere: 3 is not an asset key"):
        build_defs(write_project(tmp_path), refresh="never", defined_elsewhere=[3])  # type: ignore[list-item]


@pytest.mark.parametrize("refresh", ["always", "if_missing"])
def test_a_state_of_another_version_is_refreshed_over(tmp_path: Path, refresh: str) -> None:
    path = write_project(tmp_path)
    state = tmp_path / ".airlift" / "state.json"
    state.parent.mkdir()
    state.write_text('{"kind": "airlift-component/state", "format": 1}')
    stubs = airflows()
    defs = build_defs(path, refresh=refresh, client_factory=factory(stubs))  # type: ignore[arg-type]
    assert ("prod", "dag", "orders") in _keys(defs)  # only Airflow knows this DAG
    assert all(stub.calls for stub in stubs.values())
    assert '"format": 2' in state.read_text()


def test_an_unusable_state_loads_the_mapped_assets_with_an_error_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_project(tmp_path)
    state = tmp_path / ".airlift" / "state.json"
    state.parent.mkdir()
    state.write_text("{ not json")
    with caplog.at_level(logging.ERROR, logger="airlift_component"):
        defs = build_defs(path, refresh="never")
    assert ("prod", "dag", "customers") in _keys(defs)  # mapped in airlift.yaml
    assert ("prod", "dag", "orders") not in _keys(defs)
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert str(state) in record.getMessage() and "airlift refresh" in record.getMessage()
