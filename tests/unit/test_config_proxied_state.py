"""Proxied-state files: the dagster-airlift format, read one by one or by folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.proxied_state.file import (
    ProxiedStateFile,
    read_proxied_state_dir,
    read_proxied_state_file,
)
from airlift_component.errors import ConfigError


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_task_level_file_as_dagster_airlift_writes_it(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "customers.yaml",
        "tasks:\n- id: load\n  proxied: True\n- id: report\n  proxied: False\n",
    )
    state, problems = read_proxied_state_file(path)
    assert problems == [] and state is not None
    assert state.dag_id == "customers"
    assert dict(state.tasks) == {"load": True, "report": False}
    assert state.proxied_tasks == ["load"]
    assert state.is_task_proxied("load") and not state.is_task_proxied("unknown")
    assert not state.dag_level
    assert state.task_lines == {"load": 2}


def test_dag_level_file(tmp_path: Path) -> None:
    state, _ = read_proxied_state_file(_write(tmp_path, "orders.yml", "proxied: true\n"))
    assert state is not None and state.dag_level and state.proxied is True


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("tasks: []\nproxied: true\n", 2, "sets both"),
        ("{}\n", 1, "sets neither"),
        ("tasks:\n", 1, "expected a list, got nothing (null)"),
        ("proxied:\n", 1, "expected true or false, got nothing (null)"),
        ("tasks:\n  - {id: a, proxied: true}\n  - {id: a, proxied: false}\n", 3, "listed twice"),
        ("tasks:\n  - {id: a, proxied: 'yes'}\n", 2, "expected true or false"),
    ],
)
def test_problems_are_located(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    state, problems = read_proxied_state_file(_write(tmp_path, "d.yaml", text))
    assert state is None
    assert [p.line for p in problems] == [line]
    assert fragment in problems[0].message


def test_model_refuses_explicit_null_but_allows_absence() -> None:
    assert ProxiedStateFile.model_validate({"proxied": False}).tasks is None
    with pytest.raises(ValueError):
        ProxiedStateFile.model_validate({"proxied": False, "tasks": None})


def test_folder_keeps_broken_files_apart(tmp_path: Path) -> None:
    folder = tmp_path / "proxied_state"
    _write(folder, "good.yaml", "proxied: false\n")
    _write(folder, "broken.yaml", "proxied: [\n")
    _write(folder, "notes.txt", "ignored\n")
    states = read_proxied_state_dir(folder)
    assert set(states.states) == {"good"}
    assert states.get("good") is not None and states.get("absent") is None
    with pytest.raises(ConfigError, match="YAML syntax error"):
        states.get("broken")
    assert len(states.all_problems()) == 1


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="proxied-state folder not found"):
        read_proxied_state_dir(tmp_path / "nope")
