"""load_airlift_file: values from the environment end up in the model, and only there."""

from __future__ import annotations

from pathlib import Path

import pytest
from component_fixtures import write_project

from airlift_component.config.airlift_yaml.load import load_airlift_file
from airlift_component.errors import ConfigError
from tests.unit.airlift_yaml_texts import prod_from_env

TEXT = (
    prod_from_env('"from ${SOURCE_NAME:-the lake}"')
    + """\
  - name: plain
    url: http://127.0.0.1:8080
    auth: {type: none}
    mappings:
      - dag: orders
        assets: [raw/orders]
"""
)


def _write(tmp_path: Path, text: str = TEXT) -> Path:
    return write_project(tmp_path, text)


def test_placeholders_are_resolved_everywhere(tmp_path: Path) -> None:
    env = {"AIRFLOW_USER": "ann", "AIRFLOW_PASSWORD": "pw-123", "SOURCE_NAME": "s3"}
    model = load_airlift_file(_write(tmp_path), env)
    prod = model.instance("prod")
    assert prod.url == "https://airflow.example.com"
    assert prod.auth.type == "basic"
    assert prod.auth.username == "ann"
    assert prod.auth.password.get_secret_value() == "pw-123"
    assert prod.sensor.interval_seconds == 45
    assert prod.mappings[0].tasks[0].assets[0].description == "from s3"
    assert model.instance("plain").mappings[0].assets[0].key == "raw/orders"


def test_untouched_mappings_are_kept(tmp_path: Path) -> None:
    text = TEXT.replace('"from ${SOURCE_NAME:-the lake}"', "plain text")
    env = {"AIRFLOW_USER": "ann", "AIRFLOW_PASSWORD": "pw-123", "AIRFLOW_URL": "https://b.example"}
    model = load_airlift_file(_write(tmp_path, text), env)
    prod = model.instance("prod")
    assert prod.url == "https://b.example"
    assert [t.task for t in prod.mappings[0].tasks] == ["load"]
    assert prod.mappings[0].tasks[0].assets[0].description == "plain text"


def test_an_environment_value_that_does_not_fit_is_located(tmp_path: Path) -> None:
    env = {"AIRFLOW_USER": "ann", "AIRFLOW_PASSWORD": "pw-123", "AIRFLOW_URL": "not a url"}
    with pytest.raises(ConfigError) as caught:
        load_airlift_file(_write(tmp_path), env)
    assert ":4:" in str(caught.value)
    assert "pw-123" not in str(caught.value)
