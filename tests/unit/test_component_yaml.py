"""AirliftComponent loaded from a defs.yaml, as `dg` and a code location load it."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
import yaml
from component_fixtures import AIRLIFT_YAML, airflows, factory
from dagster.components.testing import create_defs_folder_sandbox

from airlift_component.airflow_state.fetch import cache_file, fetch_state
from airlift_component.airflow_state.state import write_state
from airlift_component.component import AirliftComponent
from airlift_component.config.airlift_load import load_airlift_file

OTHER_COMPONENT = """\
import dagster as dg
import pytest


@dg.asset(key=["analytics", "customers"])
def customers_model() -> None:
    ...
"""


def _seed_cache(airlift_yaml: Path, cache_dir: str | None = None) -> None:
    """Write the state cache as `airlift refresh` would, so loading makes no REST call."""
    model = load_airlift_file(airlift_yaml, cross_file=False)
    make = factory(airflows())
    for instance in model.instances:
        write_state(
            cache_file(airlift_yaml, instance.name, cache_dir),
            fetch_state(make(instance), instance),
        )


def _write_component(folder: Path, attributes: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "airlift.yaml").write_text(AIRLIFT_YAML)
    body = {"type": "airlift_component.component.AirliftComponent", "attributes": attributes}
    (folder / "defs.yaml").write_text(yaml.safe_dump(body))
    _seed_cache(folder / "airlift.yaml", attributes.get("cache_dir"))  # type: ignore[arg-type]


def test_defs_yaml_points_at_sibling_airlift_yaml() -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {"airlift_yaml": "airlift.yaml", "instances": ["prod"]})
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
            assert isinstance(component, AirliftComponent)
            keys = defs.resolve_asset_graph().get_all_asset_keys()
            assert dg.AssetKey(["prod", "dag", "customers"]) in keys
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
        _write_component(folder, {"airlift_yml": "typo.yaml"})
        with (
            pytest.raises(Exception, match="Error while loading component") as info,
            sandbox.load_component_and_build_defs(defs_path=folder),
        ):
            pass
        assert "airlift_yml" in str(info.getrepr())


def test_cache_dir_and_ttl_are_honoured_without_touching_airflow(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        _write_component(folder, {"cache_dir": "state", "cache_ttl_seconds": None})
        cached = folder / "state" / "prod.json"
        before = cached.stat().st_mtime_ns
        with sandbox.load_component_and_build_defs(defs_path=folder) as (_, defs):
            assert dg.AssetKey(["prod", "dag", "orders"]) in defs.resolve_all_asset_keys()
        assert cached.stat().st_mtime_ns == before
        assert "could not be reached" not in caplog.text  # nothing asked Airflow


def test_every_component_field_is_exercised_by_a_test() -> None:
    tests = "".join(p.read_text() for p in Path(__file__).parent.glob("test_component*.py"))
    missing = [name for name in AirliftComponent.model_fields if f'"{name}"' not in tests]
    assert missing == []
