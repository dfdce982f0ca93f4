"""Finding the proxied-state folders for `airlift proxy`: flags, airlift.yaml, search."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.validation.proxied_state_dirs import (
    Location,
    find_edit_directory,
    find_sources,
)
from airlift_component.errors import ConfigError, UsageError

INSTANCE = """\
  - name: {name}
    url: http://127.0.0.1:8080
    auth: {{type: basic, username: admin, password: admin}}
{extra}    mappings:
      - dag: customers
        assets: [{name}/customers]
"""


def _airlift(path: Path, *instances: tuple[str, str | None]) -> Path:
    body = "".join(
        INSTANCE.format(name=name, extra=f"    proxied_state_dir: {d}\n" if d else "")
        for name, d in instances
    )
    path.write_text(f"version: 1\ninstances:\n{body}")
    return path


def test_dir_flag_wins(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    _airlift(tmp_path / "airlift.yaml", ("a", "elsewhere"))
    loc = Location(tmp_path, directory=tmp_path / "x")
    assert find_edit_directory(loc) == tmp_path / "x"
    assert [s.directory for s in find_sources(loc)] == [tmp_path / "x"]


def test_dir_matching_an_instance_gets_its_mappings(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    _airlift(tmp_path / "airlift.yaml", ("a", "state"))
    (source,) = find_sources(Location(tmp_path, directory=tmp_path / "state"))
    assert (source.instance, source.mapped_dags) == ("a", ("customers",))


def test_missing_dir_flag_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--dir .*no such folder"):
        find_edit_directory(Location(tmp_path, directory=tmp_path / "nope"))


def test_placeholder_in_proxied_state_dir_is_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dags" / "proxied_state").mkdir(parents=True)
    monkeypatch.setenv("DAGS_HOME", "dags")
    _airlift(tmp_path / "airlift.yaml", ("a", "${DAGS_HOME}/proxied_state"))
    assert find_edit_directory(Location(tmp_path)) == tmp_path / "dags" / "proxied_state"


def test_explicit_config_without_any_folder_says_what_to_add(tmp_path: Path) -> None:
    config = _airlift(tmp_path / "other.yaml", ("a", None))
    with pytest.raises(UsageError, match="no instance sets proxied_state_dir"):
        find_edit_directory(Location(tmp_path, config=config))


def test_instance_without_folder_is_refused(tmp_path: Path) -> None:
    _airlift(tmp_path / "airlift.yaml", ("a", None), ("b", "x"))
    with pytest.raises(UsageError, match=r"'a' .* sets no proxied_state_dir"):
        find_edit_directory(Location(tmp_path, instance="a"))


def test_instance_without_airlift_yaml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "proxied_state").mkdir()
    with pytest.raises(UsageError, match=r"--instance needs an airlift\.yaml"):
        find_edit_directory(Location(tmp_path, instance="a"))


def test_airlift_yaml_and_a_different_local_folder_are_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "proxied_state").mkdir()
    (tmp_path / "dags").mkdir()
    _airlift(tmp_path / "airlift.yaml", ("a", "dags"))
    for find in (find_edit_directory, find_sources):
        with pytest.raises(UsageError, match="pass --config PATH or --dir PATH"):
            find(Location(tmp_path))  # type: ignore[operator]


def test_airlift_yaml_pointing_at_the_local_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "proxied_state").mkdir()
    _airlift(tmp_path / "airlift.yaml", ("a", "proxied_state"), ("b", "./proxied_state"))
    assert find_edit_directory(Location(tmp_path)) == tmp_path / "proxied_state"


def test_broken_airlift_yaml_reports_its_problems(tmp_path: Path) -> None:
    (tmp_path / "airlift.yaml").write_text("version: 1\ninstances: []\n")
    with pytest.raises(ConfigError) as info:
        find_sources(Location(tmp_path))
    assert "airlift.yaml:2:" in str(info.value)


def test_status_lists_every_instance_even_without_folder(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    _airlift(tmp_path / "airlift.yaml", ("a", None), ("b", "x"))
    sources = find_sources(Location(tmp_path))
    assert [(s.instance, s.directory) for s in sources] == [("a", None), ("b", tmp_path / "x")]
    (only,) = find_sources(Location(tmp_path, instance="b"))
    assert only.instance == "b"


def test_search_skips_hidden_and_virtualenv_folders(tmp_path: Path) -> None:
    (tmp_path / ".venv" / "lib" / "proxied_state").mkdir(parents=True)
    (tmp_path / ".git" / "proxied_state").mkdir(parents=True)
    (tmp_path / "airflow" / "dags" / "proxied_state").mkdir(parents=True)
    found = find_edit_directory(Location(tmp_path))
    assert found == tmp_path / "airflow" / "dags" / "proxied_state"
