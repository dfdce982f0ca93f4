"""load_for_build: the definitions build's view of airlift.yaml holds the same mappings
as the full load, the spec-only ones as text validated one DAG at a time."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from component_fixtures import AIRLIFT_YAML, airflows, factory, write_project

from airlift_component.component.defs_builder import defs_from_state, load_model
from airlift_component.config.airlift_yaml.load import (
    load_airlift_file,
    load_for_build,
    load_for_refresh,
)
from airlift_component.config.airlift_yaml.mapped_dags import (
    SPEC_ONLY_FIELDS,
    BuildFile,
    PlainAsset,
    PlainMapping,
    spec_only,
)
from airlift_component.config.airlift_yaml.model import (
    AirliftFile,
    AssetSpecModel,
    DagMapping,
    TaskMapping,
)

CORPUS = Path(__file__).parents[1] / "corpus" / "good"
ENV = {
    "AIRFLOW_USER": "ann",
    "AIRFLOW_PASSWORD": "pw",
    "AIRFLOW_TOKEN": "t",
    "ASTRO_API_TOKEN": "a",
}
DECOMMISSIONED = """\
      - dag: nightly
        tasks:
          - task: run
            assets: [{key: marts/nightly, code: "my_project.marts:nightly"}]
        decommissioned:
          cron: "0 3 * * *"
          timezone: UTC
          first_tick: "2026-01-02T03:00:00+00:00"
          logical_date: interval_start
          paused_by_airlift: true
"""


def test_what_spec_only_leaves_out_is_what_the_passes_over_an_instance_read() -> None:
    # A field added to a mapping keeps its DAG a model until it is listed here.
    assert set(DagMapping.model_fields) - SPEC_ONLY_FIELDS["dag"] == {"checks", "decommissioned"}
    assert set(TaskMapping.model_fields) - SPEC_ONLY_FIELDS["task"] == {"code", "select", "checks"}
    assert set(AssetSpecModel.model_fields) - SPEC_ONLY_FIELDS["asset"] == {"code", "checks"}
    assert SPEC_ONLY_FIELDS["asset"] <= set(AssetSpecModel.model_fields)


@pytest.mark.parametrize(
    "mapping, expected",
    [
        pytest.param({"dag": "d", "tasks": [{"task": "t", "assets": ["a/b"]}]}, True, id="keys"),
        pytest.param({"dag": "d", "assets": [{"key": "a", "group": "g"}]}, True, id="spec"),
        pytest.param({"dag": "d", "checks": []}, False, id="dag-checks"),
        pytest.param({"dag": "d", "tasks": [{"task": "t", "code": "m:x"}]}, False, id="task-code"),
        pytest.param({"dag": "d", "assets": [{"key": "a", "code": "m:x"}]}, False, id="code"),
        pytest.param({"dag": "d", "tasks": [{"task": "t", "assets": "a"}]}, False, id="odd"),
    ],
)
def test_spec_only(mapping: dict[str, object], expected: bool) -> None:
    assert spec_only(mapping) is expected


def _same_as_full(built: BuildFile, full: AirliftFile) -> None:
    assert [i.name for i in built.model.instances] == [i.name for i in full.instances]
    for instance, whole in zip(built.model.instances, full.instances, strict=True):
        assert instance.model_copy(update={"mappings": []}) == whole.model_copy(
            update={"mappings": []}
        )
        mapped = built.mapped[instance.name]
        assert mapped.dags == tuple(m.dag for m in whole.mappings)
        for mapping in whole.mappings:
            assert mapped.get(mapping.dag) == mapping
        held = [m for m in whole.mappings if m in instance.mappings]
        assert held == list(instance.mappings)
        assert all(
            m in instance.mappings
            for m in whole.mappings
            if not spec_only(m.model_dump(exclude_unset=True, by_alias=True))
        )
        assert mapped.get("not_mapped_here") is None


@pytest.mark.parametrize(
    "source", sorted(CORPUS.glob("*/airlift.y*ml")), ids=lambda source: source.parent.name
)
def test_the_build_view_has_every_mapping_of_the_full_load(tmp_path: Path, source: Path) -> None:
    path = tmp_path / source.name
    path.write_text(source.read_text())
    full = load_airlift_file(path, ENV)
    _same_as_full(load_for_build(path, ENV), full)  # nothing shipped
    model, shipped = load_for_refresh(path, ENV)
    assert model == full
    _same_as_full(load_for_build(path, ENV, shipped=shipped), full)


def _plain_fields(asset: AssetSpecModel | PlainAsset) -> dict[str, object]:
    """The spec-only fields of ``asset``, sequences as lists (no owners: none)."""
    fields: dict[str, object] = {}
    for name in sorted(SPEC_ONLY_FIELDS["asset"]):
        value = getattr(asset, name)
        if name == "owners" and value is None:
            value = []
        fields[name] = list(value) if isinstance(value, list | tuple) else value
    return fields


@pytest.mark.parametrize(
    "source", sorted(CORPUS.glob("*/airlift.y*ml")), ids=lambda source: source.parent.name
)
def test_the_build_reads_each_spec_only_text_as_the_model_holds_it(
    tmp_path: Path, source: Path
) -> None:
    path = tmp_path / source.name
    path.write_text(source.read_text())
    full, shipped = load_for_refresh(path, ENV)
    built = load_for_build(path, ENV, shipped=shipped)
    for instance in full.instances:
        for mapping in instance.mappings:
            found = built.mapped[instance.name].for_specs(mapping.dag)
            if not isinstance(found, PlainMapping):
                assert found == mapping  # held as a model, or nothing shipped
                continue
            assert found.dag == mapping.dag
            assert [t.task for t in found.tasks] == [t.task for t in mapping.tasks]
            plain = [*found.assets, *(a for t in found.tasks for a in t.assets)]
            models = [*mapping.assets, *(a for t in mapping.tasks for a in t.assets)]
            assert [_plain_fields(a) for a in plain] == [_plain_fields(a) for a in models]
            assert all(a.code is None for a in plain)


def test_only_mappings_that_ask_for_more_than_specs_are_models(tmp_path: Path) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_text(AIRLIFT_YAML.replace("  - name: staging", DECOMMISSIONED + "  - name: staging"))
    _, shipped = load_for_refresh(path, ENV)
    built = load_for_build(path, ENV, shipped=shipped)
    prod = built.model.instance("prod")
    assert [m.dag for m in prod.mappings] == ["nightly"]
    assert built.mapped["prod"].dags == ("customers", "nightly")
    assert built.model.instance("staging").mappings == []


def test_a_damaged_shipped_text_is_read_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "airlift.yaml"
    path.write_text(AIRLIFT_YAML)
    full = load_airlift_file(path, ENV)
    _, shipped = load_for_refresh(path, ENV)
    assert shipped is not None
    shipped["mappings"]["0"]["texts"][0] = '{"dag":"customers","tasks":[{"task":1}]}'
    built = load_for_build(path, ENV, shipped=shipped)
    assert built.mapped["prod"].get("customers") == full.instance("prod").mappings[0]


def _specs(defs: dg.Definitions) -> dict[dg.AssetKey, dg.AssetSpec]:
    graph = defs.resolve_asset_graph()
    return {key: graph.get(key).to_asset_spec() for key in graph.get_all_asset_keys()}


def test_definitions_from_the_build_view_equal_those_of_the_full_model(tmp_path: Path) -> None:
    path = write_project(tmp_path)
    from airlift_component.component import build_defs

    build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
    from airlift_component.airflow_state.state_file import default_state_file, read_state_file

    state = read_state_file(default_state_file(path))
    assert state is not None and state.airlift_yaml is not None
    lazy = defs_from_state(path, state, where="test")  # the shipped mappings
    full = defs_from_state(path, state, where="test", model=load_model(path))
    assert _specs(lazy) == _specs(full)
    assert [s.name for s in lazy.sensors or ()] == [s.name for s in full.sensors or ()]
