"""A decommissioned DAG that Airflow assets triggered: its assets with ``code:`` run when
the Dagster assets of those Airflow assets are updated, as Dagster evaluates the condition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster._core.definitions.declarative_automation.automation_condition_tester import (
    EvaluateAutomationConditionsResult,
)
from decommissioned_project import decommissioned_defs

from airlift_component.errors import ConfigError

UPSTREAM = [dg.AssetKey(["analytics", "published"]), dg.AssetKey(["reports", "customers"])]
TARGET = dg.AssetKey(["raw", "customers"])


def _block(mode: str) -> str:
    return (
        "        decommissioned:\n"
        '          first_tick: "2026-12-08T02:00:00+00:00"\n'
        "          paused_by_airlift: true\n"
        '          on_assets: ["analytics/published", "reports/customers"]\n'
        f'          on_assets_updated: "{mode}"\n'
    )


def _requested(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: Any
) -> EvaluateAutomationConditionsResult:
    return dg.evaluate_automation_conditions(
        defs=defs,
        instance=instance,
        asset_selection=dg.AssetSelection.assets(TARGET),
        cursor=cursor,
    )


def _report(instance: dg.DagsterInstance, key: dg.AssetKey) -> None:
    instance.report_runless_asset_event(dg.AssetMaterialization(key))


@pytest.mark.parametrize(
    ("mode", "runs"),
    [
        # any: each update of either runs it; all: only once both were updated
        pytest.param("any", [1, 1], id="any"),
        pytest.param("all", [0, 1], id="all"),
    ],
)
def test_the_dags_assets_run_when_the_airflow_assets_they_were_scheduled_on_update(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, runs: list[int]
) -> None:
    defs = decommissioned_defs(tmp_path, monkeypatch, _block(mode))
    sensor = defs.resolve_sensor_def("prod__customers__automation")
    assert isinstance(sensor, dg.AutomationConditionSensorDefinition)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    node = defs.resolve_asset_graph().get(TARGET)
    assert node.automation_condition is not None
    with dg.instance_for_test() as instance:
        result = _requested(defs, instance, None)
        assert result.total_requested == 0  # nothing updated yet
        seen = []
        for key in UPSTREAM:
            _report(instance, key)
            result = _requested(defs, instance, result.cursor)
            seen.append(result.total_requested)
        assert seen == runs
        result = _requested(defs, instance, result.cursor)
        assert result.total_requested == 0  # one run per update, not one per evaluation


def test_a_block_mixing_cron_and_assets_is_a_located_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = _block("any") + '          cron: "0 3 * * *"\n'
    with pytest.raises(ConfigError, match="either cron, timezone and logical_date"):
        decommissioned_defs(tmp_path, monkeypatch, block)
