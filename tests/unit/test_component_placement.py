"""AirliftComponent learns its folder and project from the context Dagster loads it with."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from component_fixtures import AIRLIFT_YAML
from dagster.components.testing import create_defs_folder_sandbox

from airlift_component.component import AirliftComponent


def _key(folder: Path, project_root: Path, name: str = "airlift.yaml") -> str:
    return f"AirliftComponent[{(folder / name).relative_to(project_root).as_posix()}]"


def test_a_defs_yaml_without_attributes_reads_its_sibling_airlift_yaml() -> None:
    with create_defs_folder_sandbox() as sandbox:
        folder = sandbox.defs_folder_path / "airflow"
        folder.mkdir()
        (folder / "airlift.yaml").write_text(AIRLIFT_YAML)
        (folder / "defs.yaml").write_text("type: airlift_component.component.AirliftComponent\n")
        with sandbox.load_component_and_build_defs(defs_path=folder) as (component, defs):
            assert isinstance(component, AirliftComponent)
            assert component.airlift_path == (folder / "airlift.yaml").resolve()
            assert component.defs_state_config.key == _key(folder, sandbox.project_root)
            assert dg.AssetKey(["prod", "dag", "customers"]) in defs.resolve_all_asset_keys()


def test_two_components_in_one_load_each_keep_their_own_folder() -> None:
    with create_defs_folder_sandbox() as sandbox:
        folders = [sandbox.defs_folder_path / name for name in ("east", "west")]
        for folder in folders:
            folder.mkdir()
            (folder / "other.yaml").write_text(AIRLIFT_YAML)
            (folder / "defs.yaml").write_text(
                "type: airlift_component.component.AirliftComponent\n"
                "attributes:\n  airlift_yaml: other.yaml\n"
            )
        with sandbox.build_component_tree() as tree:
            for folder in folders:
                component = tree.load_component(folder)
                assert isinstance(component, AirliftComponent)
                assert component.airlift_path == (folder / "other.yaml").resolve()
                assert component.defs_state_config.key == _key(
                    folder, sandbox.project_root, "other.yaml"
                )
