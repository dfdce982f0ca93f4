"""`airlift proxy on|off|status` from the command line: finding the files, messages, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from airlift_component.cli.main import main

STATE = "# customers\ntasks:\n  - id: load_raw  # first\n    proxied: false\n  - id: publish\n    proxied: false\n"

AIRLIFT = """\
version: 1
instances:
  - name: analytics
    url: http://127.0.0.1:8080
    auth: {{type: basic, username: admin, password: admin}}
    proxied_state_dir: {dir_a}
    mappings:
      - dag: customers
        tasks:
          - task: load_raw
            assets: [raw/customers]
      - dag: orders
        assets: [orders/report]
"""

SECOND = """\
  - name: finance
    url: http://127.0.0.1:8081
    auth: {{type: basic, username: admin, password: admin}}
    proxied_state_dir: {dir_b}
    mappings:
      - dag: ledger
        assets: [finance/ledger]
"""


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with ./proxied_state/customers.yaml, as the current folder."""
    (tmp_path / "proxied_state").mkdir()
    (tmp_path / "proxied_state" / "customers.yaml").write_text(STATE)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "proxied_state"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with airlift.yaml (one instance) pointing at airflow/dags/proxied_state."""
    state = tmp_path / "airflow" / "dags" / "proxied_state"
    state.mkdir(parents=True)
    (state / "customers.yaml").write_text(STATE)
    (tmp_path / "airlift.yaml").write_text(AIRLIFT.format(dir_a="airflow/dags/proxied_state"))
    monkeypatch.chdir(tmp_path)
    return state


def test_on_flips_the_task_and_reports_it(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["proxy", "on", "customers", "load_raw"], capsys)
    assert code == 0
    assert "proxied_state/customers.yaml: task 'load_raw': proxied false -> true" in out
    assert (folder / "customers.yaml").read_text() == STATE.replace(
        "proxied: false\n  - id: publish", "proxied: true\n  - id: publish"
    )


def test_off_after_on_restores_the_original_bytes(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["proxy", "on", "customers", "load_raw", "publish"], capsys)[0] == 0
    assert _run(["proxy", "off", "customers", "load_raw", "publish"], capsys)[0] == 0
    assert (folder / "customers.yaml").read_text() == STATE


def test_flip_to_current_value_is_a_no_op_exit_0(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (folder / "customers.yaml").stat().st_mtime_ns
    code, out, _ = _run(["proxy", "off", "customers", "load_raw"], capsys)
    assert code == 0
    assert "already proxied: false (unchanged)" in out
    assert "nothing to change" in out
    assert (folder / "customers.yaml").stat().st_mtime_ns == before


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        pytest.param(
            ["proxy", "on", "customers", "nope"],
            "the file lists: load_raw, publish",
            id="unknown-task",
        ),
        pytest.param(
            ["proxy", "off", "customers", "--dag"],
            "not proxied as a whole",
            id="dag-off-task-file",
        ),
        pytest.param(["proxy", "on", "missing", "t"], "--create", id="missing-file"),
    ],
)
def test_refusals_exit_1_without_touching_the_file(
    folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, _, err = _run(argv, capsys)
    assert code == 1
    assert fragment in err
    assert (folder / "customers.yaml").read_text() == STATE


def test_broken_file_prints_its_problems(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (folder / "bad.yaml").write_text("tasks:\n  - id: a\n    proxied: maybe\n")
    code, _, err = _run(["proxy", "on", "bad", "a"], capsys)
    assert code == 1
    assert "proxied_state/bad.yaml:3:14:" in err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["proxy"], id="no-action"),
        pytest.param(["proxy", "on", "customers"], id="no-task"),
        pytest.param(["proxy", "on", "customers", "load_raw", "--dag"], id="task-and-dag"),
        pytest.param(["proxy", "on", "customers", "--dag", "--all"], id="dag-and-all"),
        pytest.param(["proxy", "status", "--format", "xml"], id="bad-format"),
    ],
)
def test_usage_errors_exit_2(
    folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    assert _run(argv, capsys)[0] == 2


def test_create_makes_a_new_file(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["proxy", "on", "orders", "--dag", "--create"], capsys)
    assert code == 0
    assert "created" in out
    assert (folder / "orders.yaml").read_text().endswith("proxied: true\n")


def test_airlift_yaml_instance_folder_is_used(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["proxy", "on", "customers", "load_raw"], capsys)
    assert code == 0
    assert "airflow/dags/proxied_state/customers.yaml" in out
    assert "load_raw  # first\n    proxied: true\n" in (project / "customers.yaml").read_text()


def test_several_instances_need_instance_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "customers.yaml").write_text(STATE)
    text = AIRLIFT.format(dir_a="a") + SECOND.format(dir_b="b")
    (tmp_path / "airlift.yaml").write_text(text)
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["proxy", "on", "customers", "load_raw"], capsys)
    assert code == 2
    assert "--instance NAME" in err and "analytics" in err and "finance" in err
    code, _, err = _run(["proxy", "on", "customers", "load_raw", "--instance", "finance"], capsys)
    assert code == 1 and "no assets mapped" in err  # finance does not map customers
    assert (tmp_path / "b" / "customers.yaml").read_text() == STATE
    argv = ["proxy", "on", "customers", "load_raw", "--instance", "finance", "--force"]
    code, _, _ = _run(argv, capsys)
    assert code == 0
    assert (tmp_path / "a" / "customers.yaml").read_text() == STATE
    assert (tmp_path / "b" / "customers.yaml").read_text() != STATE
    code, _, err = _run(["proxy", "on", "customers", "load_raw", "--instance", "nope"], capsys)
    assert code == 2 and "it has: analytics, finance" in err


def test_nothing_found_says_which_flag_to_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(["proxy", "on", "customers", "load_raw"], capsys)
    assert code == 2
    assert "pass --dir PATH" in err and "--config PATH" in err


def test_nested_folders_are_found_and_ambiguity_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    one = tmp_path / "airflow" / "dags" / "proxied_state"
    one.mkdir(parents=True)
    (one / "customers.yaml").write_text(STATE)
    monkeypatch.chdir(tmp_path)
    assert _run(["proxy", "on", "customers", "load_raw"], capsys)[0] == 0
    (tmp_path / "other" / "proxied_state").mkdir(parents=True)
    code, _, err = _run(["proxy", "off", "customers", "load_raw"], capsys)
    assert code == 2
    assert "several proxied-state folders" in err and "--dir PATH" in err
    assert _run(["proxy", "off", "customers", "load_raw", "--dir", str(one)], capsys)[0] == 0
    assert (one / "customers.yaml").read_text() == STATE


def test_status_groups_by_instance_and_lists_mapped_dags_without_file(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(["proxy", "status"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "instance analytics (airflow/dags/proxied_state)"
    assert any(line.split()[:4] == ["customers", "tasks", "0/2", "0%"] for line in lines)
    assert any(line.startswith("orders") and "no file" in line for line in lines)
    assert lines[-1].split()[:5] == ["total", "2", "DAGs", "0/2", "0%"]


def test_status_json_and_html_output(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(["proxy", "on", "customers", "load_raw"], capsys)
    code, out, _ = _run(["proxy", "status", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    (instance,) = data["instances"]
    assert instance["instance"] == "analytics"
    assert instance["totals"]["tasks_proxied"] == 1
    assert [d["dag_id"] for d in instance["dags"]] == ["customers", "orders"]
    code, out, err = _run(["proxy", "status", "--format", "html", "--output", "s.html"], capsys)
    assert code == 0 and out == "" and "wrote s.html" in err
    assert "1/2 tasks" in Path("s.html").read_text()


def test_status_with_a_broken_file_exits_1(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "bad.yaml").write_text("tasks: [\n")
    code, out, err = _run(["proxy", "status"], capsys)
    assert code == 1
    assert "broken" in out
    assert "proxied_state/bad.yaml:2:1: YAML syntax error" in err


def test_base_cli_imports_neither_dagster_nor_airflow(folder: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from airlift_component.cli.main import main
        codes = [main(["proxy", "on", "customers", "load_raw"]), main(["proxy", "status"]),
                 main(["proxy", "status", "--format", "html", "--output", "x.html"])]
        assert codes == [0, 0, 0], codes
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {"dagster", "airflow"})
        assert not heavy, heavy
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=folder.parent, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_unwritable_output_is_an_error_not_a_traceback(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["proxy", "status", "--output", "no/such/dir/s.html"], capsys)
    assert code == 1
    assert "--output no/such/dir/s.html: cannot write" in err


def test_write_failure_is_reported_without_traceback(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from airlift_component.config import atomic_write

    def denied(fd: int, data: bytes) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic_write, "_write_fully", denied)
    code, _, err = _run(["proxy", "on", "customers", "load_raw"], capsys)
    assert code == 1
    assert "proxied_state/customers.yaml: cannot update the file: Permission denied" in err
    assert (folder / "customers.yaml").read_text() == STATE
    assert sorted(p.name for p in folder.iterdir()) == ["customers.yaml"]


# --- proxying needs assets mapped in airlift.yaml (when it is known) ------------------


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        pytest.param(
            ["proxy", "on", "customers", "publish"],
            "task(s) 'publish' of DAG 'customers' have no assets mapped in airlift.yaml "
            "(instance 'analytics'), so proxying them would run nothing in Dagster;",
            id="task",
        ),
        pytest.param(["proxy", "on", "customers", "--all"], "task(s) 'publish'", id="all"),
        pytest.param(
            ["proxy", "on", "unmapped", "t", "--create"],
            "task(s) 't' of DAG 'unmapped' have no assets",
            id="create",
        ),
    ],
)
def test_proxying_what_has_no_assets_is_refused_before_writing(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, out, err = _run(argv, capsys)
    assert code == 1
    assert fragment in err
    assert "'- task: " in err and "--force" in err
    assert (project / "customers.yaml").read_text() == STATE
    assert not (project / "unmapped.yaml").exists()
    code, out, err = _run([*argv, "--force"], capsys)
    assert code == 0, err
    assert "Done:" in out


def test_whole_dag_without_assets_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "bare.yaml").write_text("tasks:\n  - id: a\n    proxied: false\n")
    code, _, err = _run(["proxy", "on", "bare", "--dag"], capsys)
    assert code == 1
    assert "DAG 'bare' has no assets mapped in airlift.yaml" in err
    assert (project / "bare.yaml").read_text() == "tasks:\n  - id: a\n    proxied: false\n"
    # customers maps assets for load_raw: the DAG as a whole has something to run
    assert _run(["proxy", "on", "customers", "--dag"], capsys)[0] == 0


def test_mapped_tasks_pass_and_off_is_never_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["proxy", "on", "customers", "load_raw"], capsys)[0] == 0
    assert _run(["proxy", "off", "customers", "--all"], capsys)[0] == 0


def test_dir_matching_the_airlift_yaml_folder_is_checked_too(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["proxy", "on", "customers", "publish", "--dir", str(project)], capsys)
    assert code == 1 and "no assets mapped" in err


def test_without_airlift_yaml_nothing_is_checked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["proxy", "on", "customers", "publish"], capsys)[0] == 0


def test_an_unmapped_dag_without_a_file_says_the_file_is_missing_first(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(["proxy", "on", "nosuchdag", "t1"], capsys)
    assert code == 1
    assert "DAG 'nosuchdag' has no proxied-state file" in err and "no assets" not in err
    assert not (project / "nosuchdag.yaml").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["--dir", "airlift.yaml"], "--dir airlift.yaml: is a file, not a folder", id="dir-file"
        ),
        pytest.param(["--dir", "nope"], "--dir nope: no such folder", id="dir-missing"),
        pytest.param(
            ["--config", "airflow"],
            "--config airflow: is a folder, not a file (pass the airlift.yaml in it: "
            "--config airflow/airlift.yaml)",
            id="config-folder",
        ),
    ],
)
def test_a_path_of_the_wrong_kind_is_named_as_such(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    for command in (["proxy", "on", "customers", "load_raw"], ["proxy", "status"]):
        code, _, err = _run([*command, *argv], capsys)
        assert code == 2 and message in err
    assert (project / "customers.yaml").read_text() == STATE


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        pytest.param(["validate", "--nope"], "usage: airlift validate ", id="validate"),
        pytest.param(["proxy", "on", "customers", "--nope"], "usage: airlift proxy on ", id="on"),
        pytest.param(["drift", "--nope"], "usage: airlift drift ", id="drift"),
        pytest.param(["--nope"], "usage: airlift [-h] COMMAND", id="top-level"),
    ],
)
def test_an_unknown_option_shows_the_usage_of_its_command(
    folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str], usage: str
) -> None:
    code, _, err = _run(argv, capsys)
    assert code == 2
    assert err.startswith(usage) and "unrecognized arguments: --nope" in err
