"""A task mapped to a whole asset definition (`code:` on the task), and `checks:` in airlift.yaml.

Built from real Dagster objects (a real ``@multi_asset``, ``@asset_check``,
Dagster's own freshness checks) against a stub Airflow; e2e on real Airflow and
Dagster: ``tests/e2e/test_multi_asset_mapping_e2e.py``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest
from airlift_stub import StubAirflow
from component_fixtures import write_project

from airlift_component.component import build_defs
from airlift_component.component.checks import cron_interval, schedule_cron
from airlift_component.component.sensor import sensor_name
from airlift_component.errors import ConfigError
from tests.unit.airlift_yaml_texts import PROD_HEAD

MODULE = """\
import dagster as dg


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["dbt", "stg_customers"], group_name="staging"),
        dg.AssetSpec(["dbt", "customers"], deps=[["dbt", "stg_customers"]], group_name="marts"),
        dg.AssetSpec(["dbt", "orders"], deps=[["dbt", "stg_customers"]], group_name="marts"),
    ],
    can_subset=True,
)
def dbt_project(context: dg.AssetExecutionContext):
    for key in sorted(context.selected_asset_keys):
        yield dg.MaterializeResult(asset_key=key)


@dg.asset_check(asset=["raw", "customers"])
def raw_customers_not_empty() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@dg.asset_check(asset=["elsewhere"])
def on_another_key() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


def row_count_between(key: dg.AssetKey):
    return dg.build_metadata_bounds_checks(
        assets=[key], metadata_key="rows", min_value=1
    )


def not_a_check_factory(key: dg.AssetKey):
    return 42


NOT_A_CHECK = 42
"""

AIRLIFT_YAML = (
    PROD_HEAD
    + """\
    mappings:
      - dag: rebuild_customers_list
        checks:
          - type: freshness
        tasks:
          - task: load_raw
            assets:
              - key: raw/customers
                checks:
                  - type: code
                    code: MODULE:raw_customers_not_empty
                  - type: freshness
                    max_lag: 90m
          - task: build_dbt_models
            code: MODULE:dbt_project
          - task: export
            assets:
              - key: exports/customers_csv
                checks:
                  - type: code
                    code: MODULE:row_count_between
"""
)


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"user_code_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def _airflow(schedule: str | None = "@daily") -> StubAirflow:
    stub = StubAirflow("http://127.0.0.1:8080")
    stub.add_dag(
        "rebuild_customers_list",
        {"load_raw": ["build_dbt_models"], "build_dbt_models": ["export"], "export": []},
        schedule=schedule,
    )
    return stub


def _build(tmp_path: Path, text: str, stub: StubAirflow | None = None) -> dg.Definitions:
    airflow = stub or _airflow()
    return build_defs(
        write_project(tmp_path, text),
        refresh="if_missing",
        client_factory=lambda instance: airflow.client(instance),
    )


def _yaml(module: str, text: str = AIRLIFT_YAML) -> str:
    return text.replace("MODULE", module)


def _swapped(module: str, old: str, new: str) -> str:
    """The file with the reference to ``module:old`` made one to ``module:new``."""
    return _yaml(module).replace(f"{module}:{old}", f"{module}:{new}")


def _after_task_code(module: str, lines: str) -> str:
    """The file with ``lines`` after the ``code:`` of task build_dbt_models (line 20)."""
    code = f"            code: {module}:dbt_project\n"
    return _yaml(module).replace(code, code + lines)


KEYS = [dg.AssetKey(["dbt", name]) for name in ("stg_customers", "customers", "orders")]


def test_a_task_mapped_by_code_produces_every_key_of_the_multi_asset(
    tmp_path: Path, module: str
) -> None:
    defs = _build(tmp_path, _yaml(module))
    graph = defs.resolve_asset_graph()
    for key in KEYS:
        spec = graph.get(key).to_asset_spec()
        assert graph.get(key).is_materializable
        assert spec.tags["airlift/task"] == "prod.rebuild_customers_list.build_dbt_models"
        assert spec.metadata["airlift/dag_id"] == "rebuild_customers_list"
    # The multi-asset's own lineage is kept.
    assert graph.get(KEYS[1]).parent_keys == {KEYS[0]}
    # One definition computes all three: a proxied task runs it in one Dagster run.
    assert defs.get_assets_def(KEYS[0]) is defs.get_assets_def(KEYS[2])
    # The DAG asset's index (what the Airflow side and the sensor read) lists them.
    dag = graph.get(dg.AssetKey(["prod", "dag", "rebuild_customers_list"])).to_asset_spec()
    index = dag.metadata["airlift/task_assets"].value
    assert index["tasks"]["build_dbt_models"] == [key.path for key in sorted(KEYS)]


def test_select_narrows_the_task_to_some_keys(tmp_path: Path, module: str) -> None:
    text = _after_task_code(module, "            select: group:marts\n")
    defs = _build(tmp_path, text)
    graph = defs.resolve_asset_graph()
    dag = graph.get(dg.AssetKey(["prod", "dag", "rebuild_customers_list"])).to_asset_spec()
    index = dag.metadata["airlift/task_assets"].value
    assert index["tasks"]["build_dbt_models"] == [["dbt", "customers"], ["dbt", "orders"]]
    # The key it leaves out is still defined (it is part of the definition), unmapped.
    assert "airlift/task" not in graph.get(KEYS[0]).to_asset_spec().tags


@pytest.mark.parametrize(
    ("select", "message"),
    [
        pytest.param("group:nothing_here", "picks none of the keys", id="empty"),
        pytest.param("key:(((", "is not a Dagster asset selection", id="malformed"),
    ],
)
def test_a_bad_select_is_a_located_config_error(
    tmp_path: Path, module: str, select: str, message: str
) -> None:
    text = _after_task_code(module, f"            select: '{select}'\n")
    with pytest.raises(ConfigError, match=message) as caught:
        _build(tmp_path, text)
    assert caught.value.problems[0].line == 21  # the select: line


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        pytest.param("NOT_A_CHECK", "not a Dagster asset definition", id="not-an-asset"),
        pytest.param("raw_customers_not_empty", "not a Dagster asset definition", id="a-check"),
        pytest.param("missing", "has no attribute 'missing'", id="missing"),
    ],
)
def test_a_task_code_that_is_not_an_asset_definition_is_a_located_error(
    tmp_path: Path, module: str, attr: str, message: str
) -> None:
    text = _swapped(module, "dbt_project", attr)
    with pytest.raises(ConfigError, match=message) as caught:
        _build(tmp_path, text)
    problem = caught.value.problems[0]
    assert (problem.line, problem.col) == (20, 19)  # the task's code: value


def test_a_task_code_whose_module_is_missing_names_it(tmp_path: Path, module: str) -> None:
    text = _yaml(module).replace(f"{module}:dbt_project", "no_such_module_here:assets")
    with pytest.raises(ConfigError, match="cannot import 'no_such_module_here'"):
        _build(tmp_path, text)


def test_checks_are_built_on_the_mapped_keys_and_the_dag_asset(tmp_path: Path, module: str) -> None:
    defs = _build(tmp_path, _yaml(module))
    check_keys = {key for checks in defs.asset_checks or () for key in checks.check_keys}
    assert check_keys == {
        dg.AssetCheckKey(dg.AssetKey(["raw", "customers"]), "raw_customers_not_empty"),
        dg.AssetCheckKey(dg.AssetKey(["raw", "customers"]), "freshness_check"),
        dg.AssetCheckKey(dg.AssetKey(["exports", "customers_csv"]), "rows_bounds_check"),
        dg.AssetCheckKey(dg.AssetKey(["prod", "dag", "rebuild_customers_list"]), "freshness_check"),
    }
    sensors = {sensor.name for sensor in defs.sensors or ()}
    assert sensors == {sensor_name("prod"), "airlift_prod_freshness_checks"}


def test_a_user_check_runs_against_its_mapped_key(tmp_path: Path, module: str) -> None:
    defs = _build(tmp_path, _yaml(module))
    checks = [
        c
        for c in defs.asset_checks or ()
        if c.check_keys and any(k.name == "raw_customers_not_empty" for k in c.check_keys)
    ]
    result = dg.materialize(
        [*checks, dg.AssetSpec(["raw", "customers"])],
        selection=dg.AssetSelection.checks(*checks),
    )
    evaluations = result.get_asset_check_evaluations()
    assert [(e.asset_key, e.passed) for e in evaluations] == [
        (dg.AssetKey(["raw", "customers"]), True)
    ]


def test_freshness_lag_comes_from_the_dag_schedule_or_max_lag(tmp_path: Path, module: str) -> None:
    defs = _build(tmp_path, _yaml(module), _airflow("0 6 * * 1-5"))
    lags = {}
    for checks in defs.asset_checks or ():
        for spec in checks.check_specs:
            if spec.name == "freshness_check":
                params = spec.metadata["dagster/freshness_params"].value
                lags[spec.asset_key.to_user_string()] = params["lower_bound_delta_seconds"]
    assert lags == {
        "raw/customers": 90 * 60,
        # weekdays at 06:00: the longest gap is Friday to Monday
        "prod/dag/rebuild_customers_list": 3 * 24 * 3600,
    }


@pytest.mark.parametrize("schedule", [None, "Dataset", "@once"])
def test_freshness_without_lag_needs_a_cron_schedule(
    tmp_path: Path, module: str, schedule: str | None
) -> None:
    with pytest.raises(ConfigError, match="is not on a cron schedule") as caught:
        _build(tmp_path, _yaml(module), _airflow(schedule))
    problem = caught.value.problems[0]
    assert problem.line == 9
    assert "give max_lag" in problem.format()


@pytest.mark.parametrize(
    ("attr", "message"),
    [
        pytest.param("NOT_A_CHECK", "is a int, not a Dagster asset check", id="not-a-check"),
        pytest.param("dbt_project", "not a Dagster asset check", id="an-asset"),
        pytest.param("not_a_check_factory", "returned int, not asset checks", id="bad-factory"),
        pytest.param("on_another_key", "checks elsewhere, not raw/customers", id="other-key"),
    ],
)
def test_a_code_check_that_is_not_a_check_on_its_key_is_a_located_error(
    tmp_path: Path, module: str, attr: str, message: str
) -> None:
    text = _swapped(module, "raw_customers_not_empty", attr)
    with pytest.raises(ConfigError, match=message) as caught:
        _build(tmp_path, text)
    problem = caught.value.problems[0]
    assert (problem.path, problem.line, problem.col) == (str(tmp_path / "airlift.yaml"), 16, 27)


def test_a_file_without_the_new_keys_builds_no_checks(tmp_path: Path, module: str) -> None:
    text = (
        PROD_HEAD
        + """\
    mappings:
      - dag: rebuild_customers_list
        tasks:
          - task: load_raw
            assets: [raw/customers]
"""
    )
    defs = _build(tmp_path, text)
    assert not defs.asset_checks
    assert [sensor.name for sensor in defs.sensors or ()] == [sensor_name("prod")]


@pytest.mark.parametrize(
    ("schedule", "cron"),
    [
        ("@daily", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("*/5 * * * *", "*/5 * * * *"),
        (None, None),
        ("@once", None),
        ("1 day, 0:00:00", None),
        ("Dataset", None),
    ],
)
def test_schedule_cron(schedule: str | None, cron: str | None) -> None:
    assert schedule_cron(schedule) == cron


def test_cron_interval_is_the_longest_gap() -> None:
    assert cron_interval("0 0 * * *") == timedelta(days=1)
    assert cron_interval("0 0 1 * *") == timedelta(days=31)
    assert cron_interval("0 6 * * 1-5") == timedelta(days=3)


def test_freshness_from_a_schedule_is_left_out_without_state(
    tmp_path: Path, module: str, caplog: pytest.LogCaptureFixture
) -> None:
    defs = build_defs(write_project(tmp_path, _yaml(module)), refresh="never")
    freshness = {
        spec.asset_key.to_user_string()
        for checks in defs.asset_checks or ()
        for spec in checks.check_specs
        if spec.name == "freshness_check"
    }
    assert freshness == {"raw/customers"}  # its max_lag needs no schedule
    assert "the freshness check of prod/dag/rebuild_customers_list is left out" in caplog.text


def test_select_of_a_part_needs_a_subsettable_definition(tmp_path: Path, module: str) -> None:
    (tmp_path / f"{module}.py").write_text(MODULE.replace("can_subset=True", "can_subset=False"))
    text = _after_task_code(module, "            select: group:marts\n")
    with pytest.raises(ConfigError, match="cannot run a part of itself") as caught:
        _build(tmp_path, text)
    assert caught.value.problems[0].line == 21


def _task_checks(module: str, checks: str) -> str:
    return _after_task_code(module, "            checks:\n" + checks)


def test_checks_on_a_task_apply_to_every_key_it_produces(tmp_path: Path, module: str) -> None:
    checks = (
        "              - type: freshness\n                max_lag: 2d\n"
        f"              - type: code\n                code: {module}:row_count_between\n"
    )
    defs = _build(tmp_path, _task_checks(module, checks))
    names: dict[str, set[str]] = {}
    for definition in defs.asset_checks or ():
        for key in definition.check_keys:
            names.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
    for key in KEYS:
        assert names[key.to_user_string()] == {"freshness_check", "rows_bounds_check"}


def test_a_check_on_one_key_declared_on_a_task_of_several_is_a_located_error(
    tmp_path: Path, module: str
) -> None:
    checks = f"              - type: code\n                code: {module}:raw_customers_not_empty\n"
    with pytest.raises(ConfigError, match="checks raw/customers, not dbt/") as caught:
        _build(tmp_path, _task_checks(module, checks))
    assert (caught.value.problems[0].line, caught.value.problems[0].col) == (23, 23)
