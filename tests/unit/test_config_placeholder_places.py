"""Every place a ``${VAR}`` is used is resolved, however the loader finds the places.

The loader skips walking the mappings when the reader's list of placeholder strings
is all found outside them; these tests hold the cases where that list and the places
could differ: a placeholder in a mapping, and one shared through a YAML alias.
"""

from __future__ import annotations

from pathlib import Path

from airlift_component.config.airlift_yaml.load import (
    load_airlift_file,
    load_for_build,
    load_for_refresh,
)

IN_A_MAPPING = """\
version: 1
instances:
  - name: prod
    url: ${AIRFLOW_URL}
    auth: {type: none}
    mappings:
      - dag: customers
        tasks:
          - task: load
            assets: [{key: raw/customers, owners: ["${OWNER}"]}]
"""

# The tags written once, under the custom auth's options, and used again in a mapping.
THROUGH_AN_ALIAS = """\
version: 1
instances:
  - name: prod
    url: http://127.0.0.1:8080
    auth: {type: custom, class: "pkg.mod:Auth", options: &shared {region: "${REGION}"}}
    mappings:
      - dag: customers
        tasks:
          - task: load
            assets: [{key: raw/customers, tags: *shared}]
"""

ENV = {"AIRFLOW_URL": "http://127.0.0.1:8080", "OWNER": "ann@example.com", "REGION": "eu"}


def _both_loads(tmp_path: Path, text: str) -> list[object]:
    """The first asset's model from a full load and from the build's load of what a
    refresh ships after it."""
    path = tmp_path / "airlift.yaml"
    path.write_text(text)
    first, shipped = load_for_refresh(path, ENV)
    second = load_for_build(path, ENV, shipped=shipped).mapped["prod"].get("customers")
    assert first == load_airlift_file(path, ENV) and second is not None
    return [first.instance("prod").mappings[0].tasks[0].assets[0], second.tasks[0].assets[0]]


def test_a_placeholder_in_a_mapping_is_resolved(tmp_path: Path) -> None:
    for asset in _both_loads(tmp_path, IN_A_MAPPING):
        assert asset.owners == ["ann@example.com"]  # type: ignore[attr-defined]


def test_a_placeholder_used_again_through_an_alias_is_resolved_in_both_places(
    tmp_path: Path,
) -> None:
    for asset in _both_loads(tmp_path, THROUGH_AN_ALIAS):
        assert asset.tags == {"region": "eu"}  # type: ignore[attr-defined]
