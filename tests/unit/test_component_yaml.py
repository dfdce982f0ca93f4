"""AirliftComponent loaded from a defs.yaml, as `dg` and a code location load it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml
from component_fixtures import AIRLIFT_YAML, airflows, factory
from dagster.components.testing import create_defs_folder_sandbox

from airlift_component.airflow_state.fetch import fetch_state_file
from airlift_component.airflow_state.state_file import write_state_file
from airlift_component.airflow_state.state_location import components_reading, find_dg_project
from airlift_component.component import AirliftComponent
from airlift_component.config.airlift_yaml.load import load_airlift_file

OTHER_COMPONENT = """\
import dagster as dg
import pytest


@dg.asset(key=["analytics", "customers"])
def customers_model() -> None:
    ...
"""


def _seed_state(airlift_yaml: Path) -> Path:
    """Write the local defs state as `airlift refresh` would, so loading makes no REST call."""
    model = load_airlift_file(airlift_yaml)
    project = find_dg_project(airlift_yaml)
    assert project is not None
    (target,) = components_reading(airlift_yaml, project)
    assert target.path is not None
    write_state_file(target.path, fetch_state_file(model.instances, factory(airflows())))
    return target.path


def _write_component(folder: Path, attributes: dict[str, object], seed: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "airlift.yaml").write_text(AIRLIFT_YAML)
    body = {"type": "airlift_component.component.AirliftComponent", "attributes": attributes}
    (folder / "defs.yaml").write_text(yaml.safe_dump(body))
    if seed:
        _seed_state(folder / "airlift.yaml")


def test_defs_yaml_points_at_sibling_airlift_yaml() -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {"airlift_yaml": "airlift.yaml", "instances": ["prod"]})
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
            assert isinstance(component, AirliftComponent)
            keys = defs.resolve_asset_graph().get_all_asset_keys()
            assert dg.AssetKey(["prod", "dag", "customers"]) in keys
            assert dg.AssetKey(["prod", "dag", "orders"]) in keys  # only the state knows it
            assert dg.AssetKey(["staging", "dag", "customers"]) not in keys
            assert {s.name for s in defs.sensors or []} == {"airlift_prod_sensor"}


def test_defer_to_avoids_duplicate_keys_with_another_component() -> None:
    with create_defs_folder_sandbox() as sandbox:
        _write_component(sandbox.defs_folder_path / "airflow", {"defer_to": ["dbt"]})
        (sandbox.defs_folder_path / "dbt").mkdir()
        (sandbox.defs_folder_path / "dbt" / "models.py").write_text(OTHER_COMPONENT)
        with sandbox.build_all_defs() as defs:
            node = defs.resolve_asset_graph().get(dg.AssetKey(["analytics", "customers"]))
            assert node.is_materializable


def test_unknown_attribute_is_rejected() -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {"airlift_yml": "typo.yaml"}, seed=False)
        with (
            pytest.raises(Exception, match="Error while loading component") as info,
            sandbox.load_component_and_build_defs(defs_path=folder),
        ):
            pass
        assert "airlift_yml" in str(info.getrepr())


def test_a_load_reads_the_state_and_never_asks_airflow(caplog: pytest.LogCaptureFixture) -> None:
    # The instances' URLs point at closed loopback ports: any REST call would fail loudly.
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {"defs_state": {"management_type": "LOCAL_FILESYSTEM"}})
        state = next((sandbox.defs_folder_path / ".local_defs_state").rglob("state"))
        before = state.stat().st_mtime_ns
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
            assert dg.AssetKey(["prod", "dag", "orders"]) in defs.resolve_all_asset_keys()
            assert (
                component.defs_state_config.key
                == "AirliftComponent[src/"
                + str(folder.relative_to(sandbox.project_root / "src").as_posix())
                + "/airlift.yaml]"
            )
        assert state.stat().st_mtime_ns == before
        assert "could not be reached" not in caplog.text


def test_without_state_the_mapped_assets_load_with_a_refresh_hint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {}, seed=False)
        with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
            keys = defs.resolve_all_asset_keys()
            assert dg.AssetKey(["prod", "dag", "customers"]) in keys
            assert dg.AssetKey(["prod", "dag", "orders"]) not in keys
        assert "dg utils refresh-defs-state" in caplog.text


def test_every_component_field_is_exercised_by_a_test() -> None:
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_component*.py"))
    missing = [name for name in AirliftComponent.model_fields if f'"{name}"' not in tests]
    assert missing == []


@pytest.mark.parametrize(
    ("defer_to", "says"),
    [
        ("airflow", "is this component's own folder or holds it"),
        (".", "is this component's own folder or holds it"),
        ("dbtt", "no such folder under the defs folder"),
    ],
    ids=["own-folder", "defs-root", "missing"],
)
def test_a_defer_to_mistake_is_one_clear_error(defer_to: str, says: str) -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {"defer_to": [defer_to]})
        with (
            pytest.raises(Exception) as info,
            sandbox.load_component_and_build_defs(defs_path=folder),
        ):
            pass
        text = str(info.getrepr())
        assert f"defs.yaml: defer_to: '{defer_to}': {says}" in text
        assert "RecursionError" not in text


def test_an_unusable_defs_state_loads_the_mapped_assets(caplog: pytest.LogCaptureFixture) -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {"defs_state": {"management_type": "LOCAL_FILESYSTEM"}})
        state = next((sandbox.defs_folder_path / ".local_defs_state").rglob("state"))
        state.write_text('{"kind": "airlift-component/state", "format": 1}')
        with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
            keys = defs.resolve_all_asset_keys()
            assert dg.AssetKey(["prod", "dag", "customers"]) in keys  # mapped
            assert dg.AssetKey(["prod", "dag", "orders"]) not in keys  # only the state knew it
        assert "cannot be used" in caplog.text and "format 1" in caplog.text


def test_an_absolute_airlift_yaml_keys_the_state_by_its_path(tmp_path: Path) -> None:
    outside = tmp_path / "etc" / "airlift.yaml"
    outside.parent.mkdir()
    outside.write_text(AIRLIFT_YAML)
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {"airlift_yaml": str(outside)}, seed=False)
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, _):
            assert component.defs_state_config.key == f"AirliftComponent[{outside.as_posix()}]"
            project = find_dg_project(folder)
            assert project is not None
            (found,) = components_reading(outside, project)
            assert found.key == component.defs_state_config.key
