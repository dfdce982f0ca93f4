"""import-python: each dagster-airlift form becomes the airlift.yaml it means, which
`airlift validate` accepts; what cannot be translated is listed with its line and why."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_python_support import MODULES, data_of, run_import, validate_problems

from airlift_component.import_python import (
    ImportPythonError,
    import_definitions,
    render_airlift_yaml,
)


@pytest.mark.parametrize("case", sorted(MODULES), ids=sorted(MODULES))
def test_every_case_writes_a_file_validate_accepts(tmp_path: Path, case: str) -> None:
    _, out, _ = run_import(case, tmp_path)
    assert validate_problems(out) == []


def test_basic_auth_task_mappings_specs_and_code_assets(tmp_path: Path) -> None:
    result, _, text = run_import("basic", tmp_path)
    (instance,) = data_of(text)["instances"]
    assert instance["name"] == "shop"
    assert instance["url"] == "https://airflow.shop.example.com"  # a module constant
    assert instance["auth"] == {
        "type": "basic",
        "username": "${AIRFLOW_USER}",  # os.environ["AIRFLOW_USER"]
        "password": "${AIRFLOW_PASSWORD}",  # a literal in the module: never written
    }
    assert instance["sensor"] == {"interval_seconds": 45}
    assert instance["dags"] == {"include": ["shop_daily", "shop_hourly"]}
    (mapping,) = instance["mappings"]
    assert mapping["dag"] == "shop_daily"
    tasks = {t["task"]: t.get("assets", t) for t in mapping["tasks"]}
    assert tasks["load_customers"] == [
        {
            "key": "raw/customers",
            "group": "raw",
            "owners": ["team:data"],
            "kinds": ["s3"],
            "tags": {"tier": "bronze"},
            "metadata": {"table": "raw.customers", "columns": 12},
        }
    ]
    # A task whose assets all come from one asset definition: one line, code: on the task.
    assert tasks["clean_customers"] == {
        "task": "clean_customers",
        "code": "shop.assets:customers_clean",
    }
    assert tasks["build_marts"] == {"task": "build_marts", "code": "shop.assets:marts"}
    assert tasks["export"] == [
        {
            "key": "orders_csv",
            "deps": ["mart/orders", "mart/revenue"],
            "description": "Orders as CSV for finance.",
        }
    ]
    (finding,) = result.findings
    assert finding.line == 57 and "asset_checks" in finding.message
    assert "admin" not in text


def test_mwaa_and_load_airflow_dag_asset_specs_with_the_polling_sensor(tmp_path: Path) -> None:
    result, _, text = run_import("mwaa", tmp_path)
    (instance,) = data_of(text)["instances"]
    assert instance["auth"] == {
        "type": "mwaa",
        "environment_name": "prod-airflow",
        "region": "eu-west-1",
    }
    assert instance["url"] == "${AIRFLOW_URL}"
    assert instance["sensor"] == {"interval_seconds": 120}
    assert instance["mappings"] == [
        {"dag": "reports", "assets": ["report_pdf", {"key": "report_html", "deps": ["report_pdf"]}]}
    ]
    (finding,) = result.findings
    assert finding.line == 14 and "WebServerHostname" in finding.message


def test_custom_auth_backend_and_dag_defs(tmp_path: Path) -> None:
    result, _, text = run_import("custom_auth", tmp_path)
    (instance,) = data_of(text)["instances"]
    assert instance["url"] == "https://gateway.example.com/airflow"  # from get_webserver_url
    assert instance["auth"] == {
        "type": "custom",
        "class": "billing.definitions:GatewayAuth",
        "options": {"header": "X-Api-Key", "env_var": "GATEWAY_KEY"},
    }
    assert instance["sensor"] == {"default_status": "stopped"}
    assert instance["mappings"] == [
        {
            "dag": "billing",
            "tasks": [
                {"task": "invoice", "assets": ["invoices"]},
                {"task": "send", "assets": [{"key": "sent_invoices", "deps": ["invoices"]}]},
            ],
        }
    ]
    (finding,) = result.findings
    assert finding.line == 34 and "auth_headers()" in finding.message


def test_several_instances_merged_with_aliases_token_and_filter(tmp_path: Path) -> None:
    result, _, text = run_import("several", tmp_path)
    east, west = data_of(text)["instances"]
    assert east["name"] == "east" and west["name"] == "west"
    assert east["auth"]["password"] == "${EAST_PASSWORD}"  # os.getenv("EAST_PASSWORD")
    assert west["auth"] == {"type": "token", "token": "${WEST_AIRFLOW_TOKEN}"}
    assert "not-a-real-token-0123" not in text
    assert east["mappings"] == [{"dag": "ingest", "assets": ["east/raw_events"]}]
    assert west["mappings"][0]["tasks"][1] == {
        "task": "store",
        "assets": [{"key": "west/events", "deps": ["west/raw_events"]}],
    }
    assert west["dags"] == {"include": ["*ingest*"], "tags": ["prod"]}
    (finding,) = result.findings
    assert finding.line == 45 and "case-sensitively" in finding.message


def test_what_cannot_be_translated_is_listed_with_line_and_reason(tmp_path: Path) -> None:
    result, _, text = run_import("leftovers", tmp_path)
    found = {f.line: f.message for f in result.findings}
    expected = {
        31: "written as 'legacy_airflow'",
        42: "@dbt_assets dbt_models is defined in definitions.py itself",
        43: "built by calling load_table_asset(...)",
        44: "written as raw/orders (2 parts)",
        45: "defined in definitions.py itself",
        48: "assets_with_multiple_task_mappings(...) not translated",
        52: "asset orphan is mapped to no DAG or task",
        55: "event_transformer_fn has no airlift.yaml equivalent",
        56: "dag_selector_fn=`lambda dag: len(dag.dag_id) > 3` not translated",
    }
    assert sorted(found) == sorted(expected)
    for line, words in expected.items():
        assert words in found[line], found[line]
    assert all(str(f.path).endswith("lefty/definitions.py") for f in result.findings)
    mapping = data_of(text)["instances"][0]["mappings"][0]
    assert [t["task"] for t in mapping["tasks"]] == ["dbt", "split", "local"]
    assert mapping["tasks"][0] == {"task": "dbt", "code": "lefty.definitions:dbt_models"}


def test_a_module_without_an_instance_is_refused(tmp_path: Path) -> None:
    module = tmp_path / "plain.py"
    module.write_text("from dagster import Definitions\n\ndefs = Definitions()\n")
    with pytest.raises(ImportPythonError, match=r"plain\.py: no build_defs_from_airflow_instance"):
        import_definitions(module)


def test_a_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    module = tmp_path / "broken.py"
    module.write_text("x = 1\ndefs = build(\n")
    with pytest.raises(ImportPythonError, match=r"broken\.py:2:\d+: not valid Python"):
        import_definitions(module)


_HEADER = (
    "from dagster import AssetSpec, Definitions\n"
    "from dagster_airlift.core import AirflowInstance, AirflowBasicAuthBackend, "
    "assets_with_task_mappings, build_defs_from_airflow_instance\n"
)


def _module(tmp_path: Path, body: str) -> Path:
    module = tmp_path / "defs.py"
    module.write_text(_HEADER + body)
    return module


def test_what_airlift_yaml_would_refuse_is_a_finding_not_a_broken_file(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        "defs = build_defs_from_airflow_instance(\n"
        "    airflow_instance=AirflowInstance(auth_backend=AirflowBasicAuthBackend(\n"
        "        webserver_url='https://a.example.com', username='u', password='p'), name='a'),\n"
        "    defs=Definitions(assets=assets_with_task_mappings(dag_id='d', task_mappings={\n"
        "        'bad task': [AssetSpec('x')],\n"
        "        'ok': [AssetSpec('y', group_name='not a group'), AssetSpec('z')],\n"
        "    })),\n"
        ")\n",
    )
    result = import_definitions(module)
    messages = {f.line: f.message for f in result.findings}
    assert "'bad task' is not an Airflow id" in messages[7]
    assert messages[8].startswith("asset y not translated: group:")
    (instance,) = result.instances
    assert instance.data["mappings"] == [{"dag": "d", "tasks": [{"task": "ok", "assets": ["z"]}]}]


def test_custom_auth_options_that_look_secret_become_placeholders(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        "class KeyAuth:\n"
        "    def auth_headers(self): ...\n"
        "defs = build_defs_from_airflow_instance(airflow_instance=AirflowInstance(\n"
        "    auth_backend=KeyAuth(webserver_url='https://a.example.com', api_key='k-123', "
        "header='X-Key'), name='a'))\n",
    )
    result = import_definitions(module)
    text, placeholders = render_airlift_yaml(result)
    assert "k-123" not in text
    assert data_of(text)["instances"][0]["auth"] == {
        "type": "custom",
        "class": "defs:KeyAuth",
        "options": {"api_key": "${AIRFLOW_API_KEY}", "header": "X-Key"},
    }
    assert [p.name for p in placeholders] == ["AIRFLOW_API_KEY"]
    assert result.findings == []  # the class already has auth_headers()


def test_a_url_with_a_password_is_neither_written_nor_shown(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        "defs = build_defs_from_airflow_instance(airflow_instance=AirflowInstance(\n"
        "    auth_backend=AirflowBasicAuthBackend(webserver_url=url_of('https://u:s3cret@h.example.com'),\n"
        "        username='u', password='p'), name='a'))\n",
    )
    result = import_definitions(module)
    text, _ = render_airlift_yaml(result)
    shown = "\n".join(f.format() for f in result.findings)
    assert "s3cret" not in text + shown
    assert data_of(text)["instances"][0]["url"] == "${AIRFLOW_URL}"


def test_partitions_are_kept_when_literal_and_named_when_not(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        "from dagster import DailyPartitionsDefinition, HourlyPartitionsDefinition\n"
        "from dagster._time import get_current_datetime_midnight\n"
        "DAILY = DailyPartitionsDefinition(start_date='2024-01-01', timezone='Europe/Berlin')\n"
        "TODAY = HourlyPartitionsDefinition(start_date=get_current_datetime_midnight())\n"
        "defs = build_defs_from_airflow_instance(\n"
        "    airflow_instance=AirflowInstance(auth_backend=AirflowBasicAuthBackend(\n"
        "        webserver_url='https://a.example.com', username='u', password='p'), name='a'),\n"
        "    defs=Definitions(assets=assets_with_task_mappings(dag_id='d', task_mappings={\n"
        "        't': [AssetSpec('x', partitions_def=DAILY), AssetSpec('y', partitions_def=TODAY,\n"
        "              group_name='g', code_version='1', automation_condition=None)],\n"
        "    })),\n"
        ")\n",
    )
    result = import_definitions(module)
    (task,) = result.instances[0].data["mappings"][0]["tasks"]
    assert task["assets"] == [
        {
            "key": "x",
            "partitions": {"schedule": "daily", "start": "2024-01-01", "timezone": "Europe/Berlin"},
        },
        {"key": "y", "group": "g"},
    ]
    (finding,) = result.findings
    assert finding.line == 11
    assert "AssetSpec y: left out: partitions_def (" in finding.message
    assert "automation_condition (no airlift.yaml field)" in finding.message
    assert "code_version" not in finding.message


def test_deps_on_an_asset_or_spec_by_name_are_its_keys(tmp_path: Path) -> None:
    module = _module(
        tmp_path,
        "from dagster import asset\n"
        "@asset(key_prefix=['stage'])\n"
        "def cleaned(): ...\n"
        "RAW = AssetSpec(['raw', 'rows'])\n"
        "defs = build_defs_from_airflow_instance(\n"
        "    airflow_instance=AirflowInstance(auth_backend=AirflowBasicAuthBackend(\n"
        "        webserver_url='https://a.example.com', username='u', password='p'), name='a'),\n"
        "    defs=Definitions(assets=assets_with_task_mappings(dag_id='d', task_mappings={\n"
        "        'load': [RAW],\n"
        "        'report': [AssetSpec('report', deps=[cleaned, RAW])],\n"
        "    })),\n"
        ")\n",
    )
    result = import_definitions(module)
    tasks = result.instances[0].data["mappings"][0]["tasks"]
    assert tasks == [
        {"task": "load", "assets": ["raw/rows"]},
        {"task": "report", "assets": [{"key": "report", "deps": ["stage/cleaned", "raw/rows"]}]},
    ]
    assert result.findings == []  # a dep names the asset; it is not mapped here
