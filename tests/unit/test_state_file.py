"""The Airflow state file: one document for every instance, fetched only by a refresh."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from airlift_stub import StubAirflow
from component_fixtures import airflows, factory, write_project

from airlift_component.airflow_state.fetch import refresh_state_file
from airlift_component.airflow_state.state import StateFileError
from airlift_component.airflow_state.state_file import (
    AirliftStateFile,
    default_state_file,
    read_state_file,
)
from airlift_component.component import build_defs
from airlift_component.config.airlift_yaml.load import load_airlift_file
from airlift_component.config.airlift_yaml.model import Instance


def _instance(**overrides: object) -> Instance:
    data: dict[str, object] = {
        "name": "prod",
        "url": "http://127.0.0.1:8080",
        "auth": {"type": "none"},
        "mappings": [{"dag": "customers", "tasks": [{"task": "load", "assets": ["raw/c"]}]}],
    }
    data.update(overrides)
    return Instance.model_validate(data)


@pytest.fixture
def airflow() -> StubAirflow:
    airflow = StubAirflow()
    airflow.add_dag("customers", {"extract": ["load"], "load": []}, owners=("airflow",))
    airflow.add_dag("orders", {"a": []})
    return airflow


def test_a_refresh_fetches_dags_and_tasks_of_mapped_dags_only(
    airflow: StubAirflow, tmp_path: Path
) -> None:
    path = tmp_path / "state.json"
    state = refresh_state_file([_instance()], path, airflow.client).instances["prod"]
    assert set(state.dags) == {"customers", "orders"}
    assert [t.task_id for t in state.dags["customers"].tasks or ()] == ["extract", "load"]
    assert state.dags["orders"].tasks is None
    assert "tasks:orders" not in airflow.calls
    assert read_state_file(path) == AirliftStateFile(
        read_state_file(path).fetched_at,  # type: ignore[union-attr]
        {"prod": state},
    )


def test_the_file_is_written_atomically_and_documents_its_format(
    airflow: StubAirflow, tmp_path: Path
) -> None:
    path = tmp_path / "sub" / "state.json"
    refresh_state_file([_instance()], path, airflow.client)
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]
    document = json.loads(path.read_text())
    assert document["format"] == 2
    assert document["kind"] == "airlift-component/state"
    assert set(document["instances"]["prod"]) == {
        "url", "api_version", "airflow_version", "fetched_at", "fingerprint", "dags"
    }  # fmt: skip


def test_a_failed_refresh_writes_nothing_and_names_instance_and_url(
    airflow: StubAirflow, tmp_path: Path
) -> None:
    path = tmp_path / "state.json"
    refresh_state_file([_instance()], path, airflow.client)
    before = path.read_bytes()
    airflow.down = True
    with pytest.raises(StateFileError) as info:
        refresh_state_file([_instance()], path, airflow.client)
    message = str(info.value)
    assert "'prod'" in message and "http://127.0.0.1:8080" in message
    assert "last good state" in message
    assert path.read_bytes() == before


def test_corrupt_or_foreign_files_are_reported_with_their_path(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    for text in ["{", json.dumps({"format": 1}), json.dumps([1])]:
        path.write_text(text)
        with pytest.raises(StateFileError, match=str(path)) as info:
            read_state_file(path)
        assert "refresh" in str(info.value)
    assert read_state_file(tmp_path / "none.json") is None


def test_a_folder_or_fifo_is_refused_at_once_naming_it(tmp_path: Path) -> None:
    fifo = tmp_path / "state.fifo"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    for path, kind in [(tmp_path, "a folder"), (fifo, "a FIFO, device or socket")]:
        with pytest.raises(StateFileError) as info:
            read_state_file(path)
        assert str(info.value).startswith(f"{path}: is {kind}, not an Airflow state file")


def test_default_location_is_next_to_airlift_yaml(tmp_path: Path) -> None:
    assert default_state_file(tmp_path / "airlift.yaml") == tmp_path / ".airlift" / "state.json"


def test_build_defs_never_asks_airflow_once_a_state_exists(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    stubs = airflows()
    # No state yet: fetched once.
    build_defs(path, refresh="if_missing", client_factory=factory(stubs))
    for stub in stubs.values():
        stub.calls.clear()
        stub.add_dag("new_dag", {"t": []})
    defs = build_defs(path, refresh="if_missing", client_factory=factory(stubs))
    assert all(stub.calls == [] for stub in stubs.values())
    assert ("prod", "dag", "new_dag") not in {
        k.path and tuple(k.path) for k in defs.resolve_all_asset_keys()
    }
    refreshed = build_defs(path, refresh="always", client_factory=factory(stubs))
    assert ["prod", "dag", "new_dag"] in [k.path for k in refreshed.resolve_all_asset_keys()]


def test_the_default_load_never_asks_airflow_outside_dagster_dev(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DAGSTER_IS_DEV_CLI", raising=False)
    path = write_project(tmp_path)
    stubs = airflows()
    defs = build_defs(path, client_factory=factory(stubs))
    assert all(stub.calls == [] for stub in stubs.values())
    assert not default_state_file(path).exists()
    assert ["prod", "dag", "customers"] in [k.path for k in defs.resolve_all_asset_keys()]
    assert "airlift refresh" in caplog.text


def test_the_default_load_refreshes_under_dagster_dev_but_not_in_its_run_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster._core.definitions.definitions_load_context import (
        DefinitionsLoadContext,
        DefinitionsLoadType,
    )

    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    path = write_project(tmp_path)
    stubs = airflows()
    build_defs(path, client_factory=factory(stubs))
    assert all(stub.calls for stub in stubs.values())
    assert read_state_file(default_state_file(path)) is not None
    for stub in stubs.values():
        stub.calls.clear()
    worker = DefinitionsLoadContext(load_type=DefinitionsLoadType.RECONSTRUCTION)
    with DefinitionsLoadContext.scoped(worker):
        build_defs(path, client_factory=factory(stubs))
    assert all(stub.calls == [] for stub in stubs.values())


def test_a_failed_refresh_under_dagster_dev_without_state_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DAGSTER_IS_DEV_CLI", "1")
    path = write_project(tmp_path)
    stubs = airflows()
    stubs["staging"].down = True
    defs = build_defs(path, client_factory=factory(stubs))
    assert ["prod", "dag", "customers"] in [k.path for k in defs.resolve_all_asset_keys()]
    assert "Airflow state refresh failed: instance 'staging' (Airflow at" in caplog.text


def test_refresh_never_without_state_builds_the_mapped_assets_and_says_how_to_refresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_project(tmp_path)
    stubs = airflows()
    defs = build_defs(path, refresh="never", client_factory=factory(stubs))
    assert all(stub.calls == [] for stub in stubs.values())
    assert ["prod", "dag", "customers"] in [k.path for k in defs.resolve_all_asset_keys()]
    assert "airlift refresh" in caplog.text


def test_a_failed_refresh_keeps_the_last_good_state_with_the_error_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_project(tmp_path)
    stubs = airflows()
    build_defs(path, refresh="if_missing", client_factory=factory(stubs))
    stubs["staging"].down = True
    defs = build_defs(path, refresh="always", client_factory=factory(stubs))
    assert ["prod", "dag", "orders"] in [k.path for k in defs.resolve_all_asset_keys()]
    assert "Airflow state refresh failed: instance 'staging' (Airflow at" in caplog.text


def test_changed_mappings_warn_until_refreshed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_project(tmp_path)
    stubs = airflows()
    state_path = default_state_file(path)
    model = load_airlift_file(path)
    refresh_state_file(model.instances, state_path, factory(stubs))
    path.write_text(
        path.read_text().replace(
            "dag: customers\n        tasks:\n          - task: extract\n            assets: [staging",
            "dag: other\n        tasks:\n          - task: extract\n            assets: [staging",
        )
    )
    build_defs(path, refresh="if_missing", client_factory=factory(stubs))
    assert "changed in airlift.yaml since the Airflow state was fetched" in caplog.text

    caplog.clear()
    refresh_state_file(load_airlift_file(path).instances, state_path, factory(stubs))
    build_defs(path, refresh="if_missing", client_factory=factory(stubs))
    assert "changed in airlift.yaml since" not in caplog.text
