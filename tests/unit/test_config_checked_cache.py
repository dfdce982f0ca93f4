"""load_airlift_file with a checked cache: an unchanged file skips YAML parsing, and
nothing about the result or its errors changes."""

from __future__ import annotations

import datetime
import json
import stat
from pathlib import Path

import pytest

from airlift_component.config.airlift_yaml import checked_cache
from airlift_component.config.airlift_yaml import load as airlift_load
from airlift_component.config.airlift_yaml.checked_cache import (
    CheckedDocument,
    cache_file_for,
    content_digest,
    read_checked,
    write_checked,
)
from airlift_component.config.airlift_yaml.load import load_airlift_file
from airlift_component.errors import ConfigError

TEXT = """\
version: 1
instances:
  - name: prod
    url: ${AIRFLOW_URL:-https://airflow.example.com}
    auth:
      type: basic
      username: ${AIRFLOW_USER}
      password: ${AIRFLOW_PASSWORD}
    sensor: {interval_seconds: 45}
    mappings:
      - dag: customers
        tasks:
          - task: load
            assets: [{key: raw/customers, description: "from ${SOURCE:-the lake}"}]
"""
ENV = {"AIRFLOW_USER": "ann", "AIRFLOW_PASSWORD": "pw-123"}


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "airlift.yaml"
    path.write_text(TEXT)
    return path, tmp_path / "cache" / "checked.json"


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths load_airlift_file parsed as YAML."""
    seen: list[str] = []
    real = airlift_load._parse

    def counting(text: str, path: str):  # type: ignore[no-untyped-def]
        seen.append(path)
        return real(text, path)

    monkeypatch.setattr(airlift_load, "_parse", counting)
    return seen


def test_unchanged_file_loads_without_parsing_yaml(
    project: tuple[Path, Path], parses: list[str]
) -> None:
    path, cache = project
    first = load_airlift_file(path, ENV, checked_cache=cache)
    second = load_airlift_file(path, ENV, checked_cache=cache)
    assert parses == [str(path)]
    assert second == first


def test_changed_file_is_parsed_and_checked_again(
    project: tuple[Path, Path], parses: list[str]
) -> None:
    path, cache = project
    load_airlift_file(path, ENV, checked_cache=cache)
    path.write_text(TEXT.replace("customers", "orders"))
    model = load_airlift_file(path, ENV, checked_cache=cache)
    assert len(parses) == 2
    assert model.instance("prod").mappings[0].dag == "orders"
    path.write_text(TEXT + "unknown_key: 1\n")
    with pytest.raises(ConfigError, match="unknown_key"):
        load_airlift_file(path, ENV, checked_cache=cache)


def test_placeholders_are_resolved_from_the_current_environment(
    project: tuple[Path, Path],
) -> None:
    path, cache = project
    load_airlift_file(path, ENV, checked_cache=cache)
    env = {**ENV, "AIRFLOW_USER": "bob", "AIRFLOW_URL": "https://b.example", "SOURCE": "s3"}
    prod = load_airlift_file(path, env, checked_cache=cache).instance("prod")
    assert prod.auth.username == "bob"  # type: ignore[union-attr]
    assert prod.url == "https://b.example"
    assert prod.mappings[0].tasks[0].assets[0].description == "from s3"


def test_no_value_from_the_environment_is_written(project: tuple[Path, Path]) -> None:
    path, cache = project
    load_airlift_file(path, ENV, checked_cache=cache)
    text = cache.read_text()
    assert "pw-123" not in text and "ann" not in text
    assert "${AIRFLOW_PASSWORD}" in text
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600


def test_unset_variable_still_reports_file_line_and_column(project: tuple[Path, Path]) -> None:
    path, cache = project
    load_airlift_file(path, ENV, checked_cache=cache)
    with pytest.raises(ConfigError) as raised:
        load_airlift_file(path, {"AIRFLOW_USER": "ann"}, checked_cache=cache)
    assert f"{path}:8:" in str(raised.value)
    assert "AIRFLOW_PASSWORD" in str(raised.value)


def test_environment_value_that_does_not_fit_reports_its_position(
    project: tuple[Path, Path],
) -> None:
    path, cache = project
    load_airlift_file(path, ENV, checked_cache=cache)
    with pytest.raises(ConfigError) as raised:
        load_airlift_file(path, {**ENV, "AIRFLOW_URL": "not a url"}, checked_cache=cache)
    assert f"{path}:4:" in str(raised.value)
    assert "environment variable" in str(raised.value)


def test_corrupt_or_foreign_cache_is_ignored_and_rewritten(
    project: tuple[Path, Path], parses: list[str]
) -> None:
    path, cache = project
    cache.parent.mkdir()
    cache.write_text("{not json")
    model = load_airlift_file(path, ENV, checked_cache=cache)
    assert json.loads(cache.read_text())["digest"] == content_digest(path.read_text())
    cache.write_text(json.dumps({"digest": content_digest(path.read_text()), "document": []}))
    assert load_airlift_file(path, ENV, checked_cache=cache) == model
    assert len(parses) == 2


def test_changed_checking_code_checks_the_file_again(
    project: tuple[Path, Path], parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cache = project
    load_airlift_file(path, ENV, checked_cache=cache)
    monkeypatch.setattr(checked_cache, "checking_code_fingerprint", lambda: "edited rules")
    load_airlift_file(path, ENV, checked_cache=cache)
    load_airlift_file(path, ENV, checked_cache=cache)
    assert len(parses) == 2


def test_the_fingerprint_covers_the_rules_and_models_source() -> None:
    # No version number kept by hand: the key is the checking code's own bytes.
    config = Path(checked_cache.__file__).resolve().parents[1]
    covered = {
        source.relative_to(config).as_posix()
        for name in checked_cache._CHECKING_CODE
        for source in (
            sorted((config / name).glob("*.py")) if (config / name).is_dir() else [config / name]
        )
    }
    assert {"airlift_yaml/rules.py", "airlift_yaml/model.py", "yaml/events.py"} <= covered
    assert all((config / name).exists() for name in checked_cache._CHECKING_CODE)
    assert len(checked_cache.checking_code_fingerprint()) == 64


def test_unreadable_checking_code_means_no_cache(
    project: tuple[Path, Path], parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, cache = project
    monkeypatch.setattr(checked_cache, "checking_code_fingerprint", lambda: "")
    load_airlift_file(path, ENV, checked_cache=cache)
    load_airlift_file(path, ENV, checked_cache=cache)
    assert len(parses) == 2 and not cache.exists()


def test_the_cache_lives_in_the_users_cache_folder_never_the_code_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checked_cache.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    code = tmp_path / "project" / "airlift.yaml"
    found = cache_file_for(code)
    assert found is not None and found.is_relative_to(tmp_path / "xdg" / "airlift-component")
    assert cache_file_for(tmp_path / "other" / "airlift.yaml") != found
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_file_for(code).is_relative_to(tmp_path / "home" / ".cache")  # type: ignore[union-attr]
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv("HOME")
    assert cache_file_for(code) is None


def test_file_with_problems_is_not_cached(tmp_path: Path) -> None:
    path, cache = tmp_path / "airlift.yaml", tmp_path / "checked.json"
    path.write_text(TEXT.replace("version: 1", "version: 2"))
    with pytest.raises(ConfigError):
        load_airlift_file(path, ENV, checked_cache=cache)
    assert not cache.exists()


def test_document_json_cannot_hold_exactly_is_not_cached(tmp_path: Path) -> None:
    cache = tmp_path / "checked.json"
    write_checked(cache, "d", CheckedDocument({"when": datetime.date(2026, 1, 1)}, []))
    write_checked(cache, "d", CheckedDocument({"keys": {1: "one"}}, []))
    assert not cache.exists()
    write_checked(cache, "d", CheckedDocument({"keys": {"1": "one"}}, [("keys", "1")]))
    assert read_checked(cache, "d") == CheckedDocument({"keys": {"1": "one"}}, [("keys", "1")])
    assert read_checked(cache, "other") is None


@pytest.mark.parametrize(
    "case", ["every_asset_field", "basic_auth", "airflow_assets", "with_proxied_state"]
)
def test_mappings_read_back_as_json_text_give_the_same_model(tmp_path: Path, case: str) -> None:
    source = Path(__file__).parents[1] / "corpus" / "good" / case / "airlift.yaml"
    path, cache = tmp_path / "airlift.yaml", tmp_path / "checked.json"
    path.write_text(source.read_text())
    env = {"AIRFLOW_USER": "ann", "AIRFLOW_PASSWORD": "pw", "AIRFLOW_TOKEN": "t"}
    full = load_airlift_file(path, env)
    first = load_airlift_file(path, env, checked_cache=cache)
    cached = read_checked(cache, content_digest(path.read_text()))
    assert cached is not None and cached.mappings_json
    assert load_airlift_file(path, env, checked_cache=cache) == first == full


def test_mappings_with_a_placeholder_stay_in_the_document(project: tuple[Path, Path]) -> None:
    path, cache = project
    load_airlift_file(path, ENV, checked_cache=cache)
    cached = read_checked(cache, content_digest(path.read_text()))
    assert cached is not None and not cached.mappings_json
    assert cached.data["instances"][0]["mappings"][0]["dag"] == "customers"
