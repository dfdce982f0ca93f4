"""`airlift proxy on` and `airlift validate` warn when a proxied TaskFlow task's return
value may be read downstream, from the stored Airflow state only."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from airlift_component.airflow_api.types import AirflowDag, AirflowTask
from airlift_component.airflow_state import xcom_hint
from airlift_component.airflow_state.state import AirflowState, DagState
from airlift_component.airflow_state.state_file import (
    AirliftStateFile,
    default_state_file,
    write_state_file,
)
from airlift_component.airflow_state.xcom_hint import is_taskflow, validate_hints
from airlift_component.cli.main import main
from airlift_component.config.validation.validate import validate_paths
from tests.unit.cli_project import one_instance

AIRLIFT = one_instance(
    """\
- dag: tutorial_taskflow_api
  tasks:
    - {task: extract, assets: [shop/raw]}
    - {task: transform, assets: [shop/summary]}
    - {task: load, assets: [shop/report]}
- dag: classic
  tasks:
    - {task: run_sql, assets: [shop/sql]}
""",
    name="shop",
    auth="{type: none}",
    extra="proxied_state_dir: dags/proxied_state",
)

STATE = """\
tasks:
  - id: extract
    proxied: false
  - id: transform
    proxied: false
  - id: load
    proxied: false
"""

CLASSIC = "tasks:\n  - id: run_sql\n    proxied: true\n"

#: The TaskFlow tutorial (extract -> transform -> load) as Airflow's REST API
#: reports it; "classic" is a PythonOperator followed by another task.
TASKS = {
    "tutorial_taskflow_api": [
        AirflowTask("extract", ("transform",), "@task"),
        AirflowTask("transform", ("load",), "@task"),
        AirflowTask("load", (), "@task"),
    ],
    "classic": [
        AirflowTask("run_sql", ("notify",), "PythonOperator"),
        AirflowTask("notify", (), "EmailOperator"),
    ],
}


def _state(tasks: dict[str, list[AirflowTask]] = TASKS) -> AirliftStateFile:
    now = datetime(2026, 11, 29, 18, 0, tzinfo=timezone.utc)
    dags = {dag: DagState(AirflowDag(dag), tuple(items)) for dag, items in tasks.items()}
    shop = AirflowState("shop", "http://127.0.0.1:8080", "v2", "3.3.2", now, "0" * 16, dags=dags)
    return AirliftStateFile(now, {"shop": shop})


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """airlift.yaml, dags/proxied_state/ and the stored state (as `airlift refresh`
    writes it outside a dg project), the folder being the current folder."""
    (tmp_path / "airlift.yaml").write_text(AIRLIFT)
    folder = tmp_path / "dags" / "proxied_state"
    folder.mkdir(parents=True)
    (folder / "tutorial_taskflow_api.yaml").write_text(STATE)
    (folder / "classic.yaml").write_text(CLASSIC)
    write_state_file(default_state_file(tmp_path / "airlift.yaml"), _state())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        pytest.param("@task", True, id="airflow-operator-name"),
        pytest.param("@task.virtualenv", True, id="virtualenv"),
        pytest.param("_PythonDecoratedOperator", True, id="class-name"),
        pytest.param("@task.branch", False, id="branch"),
        pytest.param("_BranchPythonDecoratedOperator", False, id="branch-class"),
        pytest.param("@task.short_circuit", False, id="short-circuit"),
        pytest.param("PythonOperator", False, id="classic"),
        pytest.param("DefaultProxyTaskToDagsterOperator", False, id="already-proxy"),
        pytest.param(None, False, id="unknown"),
    ],
)
def test_which_operators_are_taskflow(operator: str | None, expected: bool) -> None:
    assert is_taskflow(operator) is expected


def test_proxy_on_warns_naming_file_dag_task_and_readers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _cli(capsys, "proxy", "on", "tutorial_taskflow_api", "transform")
    assert code == 0
    assert "Done:" in out
    (line,) = err.splitlines()
    assert line.startswith("dags/proxied_state/tutorial_taskflow_api.yaml:5:1: warning: ")
    assert "task 'transform' of DAG 'tutorial_taskflow_api' is a TaskFlow task (@task)" in line
    assert "load runs after it and may read its return value" in line
    assert "'airlift/xcom_return_value'" in line
    assert "docs/airflow-side.md, 'Return values (XCom)'" in line
    assert (
        "proxied: true" in (project / "dags/proxied_state/tutorial_taskflow_api.yaml").read_text()
    )


def test_proxy_on_is_silent_for_a_task_nothing_follows_and_for_off(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(capsys, "proxy", "on", "tutorial_taskflow_api", "load")[2] == ""
    assert _cli(capsys, "proxy", "off", "tutorial_taskflow_api", "load")[2] == ""


def test_proxy_on_all_warns_once_per_taskflow_task_with_readers(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _cli(capsys, "proxy", "on", "tutorial_taskflow_api", "--all")
    assert code == 0
    assert [line.split("task '")[1].split("'")[0] for line in err.splitlines()] == [
        "extract",
        "transform",
    ]


def test_proxy_on_create_warns_too(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "dags/proxied_state/tutorial_taskflow_api.yaml").unlink()
    argv = ["proxy", "on", "tutorial_taskflow_api", "transform", "--create"]
    code, out, err = _cli(capsys, *argv)
    assert code == 0 and "created" in out
    assert err.startswith("dags/proxied_state/tutorial_taskflow_api.yaml:1:1: warning: ")


def test_proxy_on_says_nothing_without_a_state_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default_state_file(project / "airlift.yaml").unlink()
    code, out, err = _cli(capsys, "proxy", "on", "tutorial_taskflow_api", "transform")
    assert (code, err) == (0, "")
    assert "Done:" in out


def test_proxy_on_says_nothing_with_a_corrupt_state_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default_state_file(project / "airlift.yaml").write_text("{not json")
    assert _cli(capsys, "proxy", "on", "tutorial_taskflow_api", "transform")[:3:2] == (0, "")


def test_proxy_on_with_dir_finds_the_instance_through_local_airlift_yaml(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["proxy", "on", "tutorial_taskflow_api", "transform", "--dir", "dags/proxied_state"]
    assert "warning:" in _cli(capsys, *argv)[2]


def test_proxy_on_says_nothing_once_the_state_shows_the_proxy_operator(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Refreshed after the flip, the state has the proxy, not the TaskFlow task: the
    original operator is unknown here, and Airflow's parse-time warning covers it."""
    proxied = dict(TASKS)
    proxied["tutorial_taskflow_api"] = [
        AirflowTask("transform", ("load",), "DefaultProxyTaskToDagsterOperator")
    ]
    write_state_file(default_state_file(project / "airlift.yaml"), _state(proxied))
    assert _cli(capsys, "proxy", "on", "tutorial_taskflow_api", "transform")[2] == ""


def test_validate_warns_for_a_proxied_taskflow_task_and_keeps_exit_code_0(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "dags/proxied_state/tutorial_taskflow_api.yaml").write_text(
        STATE.replace("transform\n    proxied: false", "transform\n    proxied: true")
    )
    code, out, _err = _cli(capsys, "validate")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("dags/proxied_state/tutorial_taskflow_api.yaml:4:1: warning: ")
    assert "task 'transform'" in lines[0] and "load runs after it" in lines[0]
    assert lines[1] == "3 files checked, no problems, 1 warning"

    code, out, _err = _cli(capsys, "validate", "--format", "json")
    report = json.loads(out)
    assert (code, report["problems"]) == (0, [])
    (warning,) = report["warnings"]
    assert warning["rule"] == "xcom-consumers"
    assert warning["path"] == "dags/proxied_state/tutorial_taskflow_api.yaml"
    assert (warning["line"], warning["col"]) == (4, 1)
    assert "airlift/xcom_return_value" in warning["hint"]


def test_validate_warning_sits_with_the_problems_it_does_not_count(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real problem still fails the run; the warning is reported beside it."""
    (project / "dags/proxied_state/tutorial_taskflow_api.yaml").write_text(
        STATE.replace("transform\n    proxied: false", "transform\n    proxied: true")
    )
    (project / "dags/proxied_state/orphan.yaml").write_text("proxied: true\n")
    code, out, _err = _cli(capsys, "validate")
    assert code == 1
    assert out.splitlines()[-1] == "4 files checked, 1 problem, 1 warning"
    assert "warning: task 'transform'" in out


def test_validate_hints_read_nothing_validation_read(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """airlift.yaml and the proxied-state folder come from the validation result."""
    path = project / "dags/proxied_state/tutorial_taskflow_api.yaml"
    path.write_text(STATE.replace("transform\n    proxied: false", "transform\n    proxied: true"))
    result = validate_paths(["."])

    def read_again(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("read a second time")

    monkeypatch.setattr(xcom_hint, "read_proxied_state_dir", read_again)
    hints = validate_hints(result)
    assert [(h.path, h.line) for h in hints] == [
        ("dags/proxied_state/tutorial_taskflow_api.yaml", 4)
    ]


def test_validate_named_state_file_uses_the_airlift_yaml_that_names_its_folder(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the pre-commit hook passes: only the changed proxied-state file."""
    path = project / "dags/proxied_state/tutorial_taskflow_api.yaml"
    path.write_text(STATE.replace("transform\n    proxied: false", "transform\n    proxied: true"))
    hints = validate_hints(validate_paths(["dags/proxied_state/tutorial_taskflow_api.yaml"]))
    assert [(h.path, h.line) for h in hints] == [
        ("dags/proxied_state/tutorial_taskflow_api.yaml", 4)
    ]
    # The other file of the folder was not named: nothing about it.
    assert validate_hints(validate_paths(["dags/proxied_state/classic.yaml"])) == []


def test_validate_is_unchanged_without_state_or_proxied_taskflow_tasks(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = _cli(capsys, "validate", "--format", "json")
    assert json.loads(clean[1]) == {"files_checked": 3, "problems": []}
    (project / "dags/proxied_state/tutorial_taskflow_api.yaml").write_text(
        STATE.replace("transform\n    proxied: false", "transform\n    proxied: true")
    )
    default_state_file(project / "airlift.yaml").unlink()
    assert _cli(capsys, "validate") == (0, "3 files checked, no problems\n", "")
