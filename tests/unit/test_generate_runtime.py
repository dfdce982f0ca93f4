"""What generated modules call at run time: the Bash step's environment, the
values a Dagster-only run gets, and what can be handed back to Airflow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from airlift_component.generate.runtime import airflow_run, xcom_value
from airlift_component.generate.runtime.airflow_run import AirflowRun, AirflowRunError
from airlift_component.generate.runtime.bash_step import command_env, run_bash

SYSTEM = {"PATH": "/usr/bin:/bin", "HOME": "/home/x", "DAGSTER_PIPES_CONTEXT": "secret-ish"}
CTX = {"AIRFLOW_CTX_DAG_ID": "d"}


@pytest.mark.parametrize(
    ("env", "append", "expected"),
    [
        (None, False, {"PATH": "/usr/bin:/bin", "HOME": "/home/x", **CTX}),
        ({"A": "1"}, False, {"A": "1", **CTX}),
        ({"A": "1", "HOME": "/h"}, True, {"PATH": "/usr/bin:/bin", "HOME": "/h", "A": "1", **CTX}),
    ],
    ids=["inherit", "replace", "append"],
)
def test_the_command_environment_is_airflows(
    env: dict[str, str] | None, append: bool, expected: dict[str, str]
) -> None:
    extras = {"env": env, "append_env": append, "airflow_env": CTX}
    assert command_env(extras, SYSTEM) == expected


def test_bash_merges_stderr_and_returns_the_last_line() -> None:
    extras = {"command": "echo one; echo two >&2; exit 3", "env": None, "airflow_env": {}}
    code, last = run_bash(extras, {"PATH": "/usr/bin:/bin"})
    assert (code, last) == (3, "two")


def test_bash_runs_in_a_fresh_temporary_folder_without_cwd() -> None:
    code, last = run_bash({"command": "pwd", "airflow_env": {}}, {"PATH": "/usr/bin:/bin"})
    assert code == 0 and last is not None and "airflowtmp" in last


def test_a_dagster_only_run_gets_its_start_time_and_its_own_run_id() -> None:
    now = datetime(2026, 3, 4, 5, 6, 7, 890, tzinfo=UTC)
    run = airflow_run(
        {},
        "abc",
        dag_id="d",
        task_id="t",
        params={"p": 1},
        config=None,
        now=now,  # type: ignore[arg-type]
    )
    assert run.run_id == "dagster__abc" and not run.from_airflow
    assert run.logical_date == run.data_interval_end == now.replace(microsecond=0)
    assert (
        run.render("{{ ds }} {{ params.p }} {{ task_instance_key_str }}")
        == "2026-03-04 1 d__t__20260304"
    )
    with pytest.raises(AirflowRunError, match="run it from Airflow"):
        run.xcom("up")


def test_an_undefined_name_fails_as_in_airflow() -> None:
    run = AirflowRun("d", "t", "r", None, None, None)
    with pytest.raises(Exception, match="ds"):
        run.render("{{ ds }}")


@pytest.mark.parametrize(
    ("value", "handed"),
    [
        (None, None),
        ("x", "x"),
        (3, 3),
        (1.5, 1.5),
        (True, True),
        ((1, 2), [1, 2]),
        ({"a": [1]}, {"a": [1]}),
    ],
    ids=["none", "text", "int", "float", "bool", "tuple", "dict"],
)
def test_values_airflow_can_keep_as_xcom(value: object, handed: object) -> None:
    assert xcom_value(value) == handed


def test_other_values_are_refused_naming_the_type() -> None:
    with pytest.raises(AirflowRunError, match="returned a set"):
        xcom_value({1})
    with pytest.raises(AirflowRunError, match="not JSON"):
        xcom_value({"when": datetime(2026, 1, 1)})


def test_a_variable_not_set_names_the_environment_variable_to_set() -> None:
    from airlift_component.generate.runtime.templates import render_template, template_context
    from airlift_component.generate.runtime.variables import VariableNotSetError

    context = template_context(
        dag_id="d",
        task_id="t",
        run_id="r",
        logical_date=None,
        data_interval_start=None,
        data_interval_end=None,
        params={},
        environ={"AIRFLOW_VAR_BUCKET": "b1", "AIRFLOW_VAR_BAD": "{"},
    )
    assert render_template("{{ var.value.bucket }}", context) == "b1"
    with pytest.raises(VariableNotSetError, match="AIRFLOW_VAR_REGION is not set"):
        render_template("{{ var.value.region }}", context)
    with pytest.raises(VariableNotSetError, match="AIRFLOW_VAR_BAD is not JSON"):
        render_template("{{ var.json.bad }}", context)
