"""airlift.yaml: checking (no environment) and loading (placeholders resolved)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.airlift_load import (
    load_airlift_file,
    parse_airlift_text,
)
from airlift_component.config.airlift_model import (
    AirliftFile,
    AssetSpecModel,
    dag_asset_key,
    is_loopback_url,
)
from airlift_component.errors import ConfigError

SECRET = "Sup3r-S3cret-Value"
BASE = """\
version: 1
instances:
  - name: analytics
    url: {url}
    auth:
      type: basic
      username: ${{AIRFLOW_USER:-admin}}
      password: {password}
    mappings:
      - dag: customers
        assets: [customers/report]
        tasks:
          - task: load
            assets:
              - raw/customers
              - key: raw/addresses
                deps: [raw/customers]
"""


def _text(url: str = "https://airflow.example.com", password: str = "${AIRFLOW_PASSWORD}") -> str:
    return BASE.format(url=url, password=password)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "airlift.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_needs_no_environment() -> None:
    model, problems = parse_airlift_text(_text())
    assert problems == []
    assert model is not None
    assert model.instances[0].auth.password.get_secret_value() == "${AIRFLOW_PASSWORD}"


def test_load_resolves_placeholders_and_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, _text())
    model = load_airlift_file(path, environ={"AIRFLOW_PASSWORD": SECRET})
    auth = model.instances[0].auth
    assert (auth.username, auth.password.get_secret_value()) == ("admin", SECRET)
    assert SECRET not in repr(model)
    assert SECRET not in str(model)


def test_load_names_the_unset_variable_with_position(tmp_path: Path) -> None:
    path = _write(tmp_path, _text())
    with pytest.raises(ConfigError) as info:
        load_airlift_file(path, environ={})
    (problem,) = info.value.problems
    assert (problem.line, problem.col) == (8, 17)
    assert "AIRFLOW_PASSWORD is not set" in problem.message
    assert str(path) in str(info.value)


def test_load_reports_an_environment_value_that_does_not_fit(tmp_path: Path) -> None:
    path = _write(tmp_path, _text(url="${AIRFLOW_URL}"))
    with pytest.raises(ConfigError) as info:
        load_airlift_file(path, environ={"AIRFLOW_URL": "airflow:8080", "AIRFLOW_PASSWORD": SECRET})
    (problem,) = info.value.problems
    assert problem.line == 4
    assert "environment variable" in problem.hint
    assert SECRET not in str(info.value)


def test_defaults_and_helpers() -> None:
    model, _ = parse_airlift_text(_text())
    assert isinstance(model, AirliftFile)
    instance = model.instance("analytics")
    assert instance.api == "auto"
    assert instance.dags.include == ["*"]
    assert instance.sensor.interval_seconds == 30
    assert instance.http.verify is True
    mapping = instance.mapping_for("customers")
    assert mapping is not None and instance.mapping_for("nope") is None
    assert [a.key for a in mapping.tasks[0].assets] == ["raw/customers", "raw/addresses"]
    assert mapping.tasks[0].assets[1].deps == ["raw/customers"]
    assert AssetSpecModel(key="a/b/c").path == ["a", "b", "c"]
    assert dag_asset_key("analytics", "customers") == ["analytics", "dag", "customers"]


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://localhost", True),
        ("http://[::1]:8080/", True),
        ("http://127.10.0.3/x", True),
        ("http://localhost.example.com", False),
        ("https://127.0.0.1.nip.io", False),
        ("https://airflow.example.com", False),
    ],
)
def test_loopback_urls(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


@pytest.mark.parametrize(
    "text",
    [
        _text(password=SECRET),
        _text(password=f"[{SECRET}]"),
        _text(password=f"{{value: {SECRET}}}"),
        _text(url="https://user:" + SECRET + "@airflow.example.com", password=SECRET),
        _text().replace("password:", "pasword:").replace("${AIRFLOW_PASSWORD}", SECRET),
        _text(password=f"'{SECRET}${{'"),
        _text()
        .replace("type: basic", "type: token")
        .replace("password:", "token:")
        .replace("${AIRFLOW_PASSWORD}", SECRET),
    ],
    ids=["literal", "list", "mapping", "userinfo", "typo", "bad-placeholder", "token"],
)
def test_secrets_never_appear_in_problems(text: str) -> None:
    _, problems = parse_airlift_text(text)
    assert problems
    for problem in problems:
        assert SECRET not in problem.format()
        assert SECRET not in repr(problem)
        assert SECRET not in str(problem.as_dict())


def test_all_problems_in_one_pass() -> None:
    text = _text(password=SECRET).replace("name: analytics", "name: Analytics") + "    extra: 1\n"
    _, problems = parse_airlift_text(text)
    messages = [p.message for p in problems]
    assert any("'Analytics' is not a valid value" in m for m in messages)
    assert any("unknown key 'extra'" in m for m in messages)
    assert any("literal secret" in m for m in messages)
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_unknown_key_suggests_the_close_one() -> None:
    _, problems = parse_airlift_text(_text().replace("mappings:", "mapings:"))
    (problem,) = problems
    assert problem.format().endswith("unknown key 'mapings' (did you mean 'mappings'?)")
    assert (problem.line, problem.col) == (9, 5)


def test_credentials_in_a_bad_url_are_masked() -> None:
    _, problems = parse_airlift_text(_text(url=f"'https://user:{SECRET}@bad host'"))
    (problem,) = problems
    assert "is not a valid value" in problem.message
    assert "//***@" in problem.message
    assert SECRET not in problem.format()
