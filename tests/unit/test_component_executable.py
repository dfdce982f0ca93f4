"""`code:` in airlift.yaml: a mapped key computed by a real Dagster asset."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from component_fixtures import AIRLIFT_YAML, airflows, factory, write_project

from airlift_component.component import build_defs
from airlift_component.errors import ConfigError

MODULE = """\
import dagster as dg


@dg.asset(key=["raw", "customers"], tags={"own": "yes"})
def raw_customers() -> None:
    ...


NOT_AN_ASSET = 42
"""


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"migrated_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def _with_code(ref: str) -> str:
    return AIRLIFT_YAML.replace(
        "              - key: raw/customers\n",
        f"              - key: raw/customers\n                code: {ref}\n",
        1,
    )


def test_code_ref_replaces_spec_with_executable_asset_and_merges_mapping(
    tmp_path: Path, module: str
) -> None:
    path = write_project(tmp_path, _with_code(f"{module}:raw_customers"))
    defs = build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
    node = defs.resolve_asset_graph().get(dg.AssetKey(["raw", "customers"]))
    assert node.is_materializable
    spec = node.to_asset_spec()
    assert spec.tags["own"] == "yes"
    assert spec.tags["airlift/task"] == "prod.customers.extract"
    assert spec.metadata["airlift/dag_id"] == "customers"
    assert dg.materialize([defs.get_assets_def(dg.AssetKey(["raw", "customers"]))]).success


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        pytest.param("NOT_AN_ASSET", "not a Dagster asset", id="not-an-asset"),
        pytest.param("missing", "has no attribute", id="missing-attribute"),
    ],
)
def test_bad_code_ref_is_a_config_error(
    tmp_path: Path, module: str, attr: str, message: str
) -> None:
    path = write_project(tmp_path, _with_code(f"{module}:{attr}"))
    with pytest.raises(ConfigError, match=message):
        build_defs(path, refresh="if_missing", client_factory=factory(airflows()))


def test_code_ref_computing_another_key_is_a_config_error(tmp_path: Path, module: str) -> None:
    text = _with_code(f"{module}:raw_customers").replace(
        "              - key: raw/customers\n", "              - key: raw/other\n", 1
    )
    with pytest.raises(ConfigError, match="not the mapped key raw/other"):
        build_defs(
            write_project(tmp_path, text), refresh="if_missing", client_factory=factory(airflows())
        )


def test_unimportable_module_is_a_config_error(tmp_path: Path) -> None:
    path = write_project(tmp_path, _with_code("no_such_module_xyz:thing"))
    with pytest.raises(ConfigError, match="cannot import 'no_such_module_xyz'"):
        build_defs(path, refresh="if_missing", client_factory=factory(airflows()))


DECOMMISSIONED = """\
        decommissioned:
          cron: "0 3 * * *"
          timezone: "Europe/Amsterdam"
          first_tick: "2026-12-08T02:00:00+00:00"
          logical_date: "interval_start"
          paused_by_airlift: true
"""


def test_a_decommissioned_dag_gets_a_schedule_over_its_runnable_assets(
    tmp_path: Path, module: str
) -> None:
    text = _with_code(f"{module}:raw_customers").replace(
        "      - dag: customers\n", "      - dag: customers\n" + DECOMMISSIONED, 1
    )
    defs = build_defs(
        write_project(tmp_path, text), refresh="if_missing", client_factory=factory(airflows())
    )
    schedule = defs.resolve_schedule_def("prod__customers__schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "0 3 * * *",
        "Europe/Amsterdam",
    )
    job = defs.resolve_job_def(schedule.job_name)
    assert job.asset_layer.selected_asset_keys == {dg.AssetKey(["raw", "customers"])}


def test_a_decommissioned_dag_without_code_gets_no_schedule_and_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = AIRLIFT_YAML.replace(
        "      - dag: customers\n", "      - dag: customers\n" + DECOMMISSIONED, 1
    )
    defs = build_defs(
        write_project(tmp_path, text), refresh="if_missing", client_factory=factory(airflows())
    )
    assert list(defs.schedules or []) == []
    assert "decommissioned but none of its assets has code:" in caplog.text


def test_a_decommissioned_block_with_an_unknown_timezone_is_a_located_error(
    tmp_path: Path,
) -> None:
    text = AIRLIFT_YAML.replace(
        "      - dag: customers\n",
        "      - dag: customers\n" + DECOMMISSIONED.replace("Europe/Amsterdam", "Mars/Olympus"),
        1,
    )
    with pytest.raises(ConfigError) as caught:
        build_defs(
            write_project(tmp_path, text), refresh="if_missing", client_factory=factory(airflows())
        )
    assert "'Mars/Olympus' is not an IANA timezone name" in str(caught.value)
    assert "airlift.yaml:11:21: " in str(caught.value)
