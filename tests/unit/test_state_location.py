"""Finding the component's state file without Dagster: project, defs folder, key, path."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.airflow_state.state_location import (
    components_reading,
    default_state_key,
    find_dg_project,
    local_state_path,
    refresh_targets,
)

PYPROJECT = '[tool.dg]\ndirectory_type = "project"\n\n[tool.dg.project]\nroot_module = "acme"\n'


def _project(tmp_path: Path, defs_yaml: str, *, src: bool = True) -> Path:
    root = tmp_path / "proj"
    defs = root / ("src" if src else "") / "acme" / "defs"
    (defs / "airflow").mkdir(parents=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    (defs / "airflow" / "defs.yaml").write_text(defs_yaml)
    (defs / "airflow" / "airlift.yaml").write_text("version: 1\ninstances: []\n")
    return root


@pytest.mark.parametrize("src", [True, False], ids=["src-layout", "flat-layout"])
def test_the_defs_folder_is_found_from_the_root_module(tmp_path: Path, src: bool) -> None:
    root = _project(tmp_path, "type: x.AirliftComponent\n", src=src)
    project = find_dg_project(root / "anything.txt")
    assert project is not None and project.root == root
    assert project.defs_dir == root / ("src" if src else "") / "acme" / "defs"


def test_default_key_is_the_path_from_the_project_root_and_sanitized_like_dagster(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path, "type: airlift_component.component.AirliftComponent\n")
    airlift = root / "src" / "acme" / "defs" / "airflow" / "airlift.yaml"
    key = default_state_key(airlift, root)
    assert key == "AirliftComponent[src/acme/defs/airflow/airlift.yaml]"
    assert default_state_key(tmp_path / "outside" / "airlift.yaml", root) == (
        "AirliftComponent[../outside/airlift.yaml]"
    )
    assert local_state_path(root, key).parent.name == (
        "AirliftComponent__src__acme__defs__airflow__airlift.yaml__"
    )


def test_components_reading_honour_key_and_management_type(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        "type: airlift_component.component.AirliftComponent\n"
        "attributes:\n  defs_state: {key: prod_airflow}\n"
        "---\n"
        "type: airlift_component.component.registry.AirliftComponent\n"
        "attributes:\n  defs_state: {management_type: VERSIONED_STATE_STORAGE}\n"
        "---\n"
        "type: other.Component\n",
    )
    defs = root / "src" / "acme" / "defs"
    project = find_dg_project(root)
    assert project is not None
    found = components_reading(defs / "airflow" / "airlift.yaml", project)
    assert [(c.key, c.management_type) for c in found] == [
        ("prod_airflow", "LOCAL_FILESYSTEM"),
        ("AirliftComponent[src/acme/defs/airflow/airlift.yaml]", "VERSIONED_STATE_STORAGE"),
    ]
    assert found[0].path == defs / ".local_defs_state" / "prod_airflow" / "state"
    assert found[1].path is None
    targets = refresh_targets(defs / "airflow" / "airlift.yaml", root)
    assert targets.paths == [found[0].path]
    assert targets.versioned == [found[1]]


def test_a_file_no_component_reads_goes_next_to_airlift_yaml(tmp_path: Path) -> None:
    root = _project(tmp_path, "type: airlift_component.component.AirliftComponent\n")
    other = root / "elsewhere" / "airlift.yaml"
    other.parent.mkdir()
    other.write_text("version: 1\n")
    assert refresh_targets(other, root).paths == [other.parent / ".airlift" / "state.json"]


def test_an_absolute_airlift_yaml_keys_by_its_path_wherever_the_project_sits(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "etc" / "airlift" / "airlift.yaml"
    outside.parent.mkdir(parents=True)
    outside.write_text("version: 1\ninstances: []\n")
    keys = set()
    for place in ("ci/proj", "opt/dagster/app"):
        root = tmp_path / place
        defs = root / "src" / "acme" / "defs" / "airflow"
        defs.mkdir(parents=True)
        (root / "pyproject.toml").write_text(PYPROJECT)
        (defs / "defs.yaml").write_text(
            "type: airlift_component.component.AirliftComponent\n"
            f"attributes:\n  airlift_yaml: {outside}\n"
        )
        project = find_dg_project(root)
        assert project is not None
        (found,) = components_reading(outside, project)
        assert found.key == default_state_key(outside, root, configured=str(outside))
        keys.add(found.key)
    assert keys == {f"AirliftComponent[{outside.as_posix()}]"}


def test_without_a_dg_project_the_plain_state_file_is_the_one_state_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """state_location keeps the plain-Python path itself (it imports no state model):
    the same as state_file's."""
    from airlift_component.airflow_state import state_file, state_location

    assert state_location.PLAIN_STATE_FILE == state_file.DEFAULT_STATE_FILE
    (tmp_path / "dagster").mkdir()
    airlift_yaml = tmp_path / "dagster" / "airlift.yaml"
    monkeypatch.chdir(tmp_path)
    targets = refresh_targets(airlift_yaml)
    assert targets.paths == [state_file.default_state_file(airlift_yaml.resolve())]
    assert targets.versioned == []
