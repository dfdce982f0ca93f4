"""`airlift generate` end to end on files: modules written, code: pointed at them with
every other byte of airlift.yaml kept, idempotent re-runs, edited modules kept
unless --force, the code passes ruff and runs in a real (in-process) Dagster."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from airlift_component.cli import cmd_generate
from tests.unit.generated_project import generate, generated_project

ROOT = Path(__file__).resolve().parents[2]

DAG_FILE = """\
from airflow.sdk import DAG, dag, task
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("shell", schedule=None, params={"who": "dag", "n": 1}) as shell:
    BashOperator(
        task_id="hello",
        bash_command='echo "start"; echo "{{ run_id }}|{{ params.who }}|{{ params.n }}"',
        params={"who": "task"},
    )
    EmptyOperator(task_id="noop")
    BashOperator(task_id="custom", bash_command="echo {{ ti.try_number }}")


@dag(schedule=None, params={"who": "world"})
def flow():
    @task
    def total(values: list, scale: int = 1):
        return {"sum": sum(values) * scale}

    total([1, 2, 3], scale=2)


flow()
"""

AIRLIFT_YAML = """\
version: 1
# peers the local Airflow
instances:
  - name: local        # the one on this machine
    url: http://127.0.0.1:8080
    auth: {type: basic, username: admin, password: admin}
    mappings:
      - dag: shell
        tasks:
          - task: hello
            assets: [shell/hello]     # flow style
          - task: noop
            assets:
              - key: shell/noop       # a block mapping
                group: shell
          - task: custom
            assets:
              - shell/custom
      - dag: flow
        tasks:
          - task: total
            assets:
              - flow/total
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    with generated_project(tmp_path, monkeypatch, {"pipelines.py": DAG_FILE}, AIRLIFT_YAML):
        yield tmp_path


def test_writes_modules_and_points_code_at_them_keeping_every_other_byte(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate("shell", "hello", "noop") == 0
    assert "shell.hello: written" in capsys.readouterr().out
    after = (project / "airlift.yaml").read_text()
    ref = "airlift_generated.shell__{0}:shell__{0}"
    expected = AIRLIFT_YAML.replace(
        "assets: [shell/hello]",
        f'assets: [{{key: shell/hello, code: "{ref.format("hello")}"}}]',
    ).replace(
        "              - key: shell/noop       # a block mapping\n",
        "              - key: shell/noop       # a block mapping\n"
        f'                code: "{ref.format("noop")}"\n',
    )
    assert after == expected
    assert (project / "airlift_generated" / "__init__.py").is_file()


def test_an_existing_code_value_is_replaced_in_place(project: Path) -> None:
    text = AIRLIFT_YAML.replace(
        "              - key: shell/noop       # a block mapping\n",
        "              - key: shell/noop       # a block mapping\n"
        "                code: old.module:thing   # was hand-written\n",
    )
    (project / "airlift.yaml").write_text(text)
    assert generate("shell", "noop") == 0
    assert (project / "airlift.yaml").read_text() == text.replace(
        "code: old.module:thing", 'code: "airlift_generated.shell__noop:shell__noop"'
    )


def test_rerun_is_idempotent_and_an_edited_module_is_kept_unless_forced(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate("shell", "hello") == 0
    module = project / "airlift_generated" / "shell__hello.py"
    config, written = (project / "airlift.yaml").read_bytes(), module.read_bytes()
    capsys.readouterr()
    assert generate("shell", "hello") == 0
    assert "shell.hello: unchanged" in capsys.readouterr().out
    assert (project / "airlift.yaml").read_bytes() == config
    assert module.read_bytes() == written

    module.write_text(module.read_text() + "\n# my own change\n")
    assert generate("shell", "hello") == 1
    assert "edited since it was generated; --force overwrites it" in capsys.readouterr().err
    assert module.read_text().endswith("# my own change\n")
    assert generate("shell", "hello", "--force") == 0
    assert module.read_bytes() == written


def test_a_refused_task_is_reported_with_file_line_and_reason(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert generate("shell") == 1
    err = capsys.readouterr().err
    assert "shell.custom: refused: dags/pipelines.py:12: template uses ti not supported" in err
    assert not (project / "airlift_generated" / "shell__custom.py").exists()


def test_generated_code_compiles_and_passes_ruff(project: Path) -> None:
    assert generate("shell", "hello", "noop") == 0
    assert generate("flow") == 0
    modules = sorted((project / "airlift_generated").glob("[!_]*.py"))
    assert len(modules) == 3
    for module in modules:
        compile(module.read_text(), str(module), "exec")
    ruff = Path(sys.executable).parent / "ruff"
    done = subprocess.run(
        [str(ruff), "check", "--isolated", *map(str, modules)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_generated_assets_run_in_dagster_from_dagster_alone(project: Path) -> None:
    """A run launched from Dagster alone: run id ``dagster__<id>``, the DAG's params,
    the Bash command's last line and the function's return value handed back."""
    import importlib

    import dagster as dg

    assert generate("shell", "hello") == 0
    assert generate("flow") == 0
    hello = importlib.import_module("airlift_generated.shell__hello").shell__hello
    total = importlib.import_module("airlift_generated.flow__total").flow__total
    result = dg.materialize([hello, total], raise_on_error=False)
    assert result.success
    handed = {
        e.asset_key.to_user_string(): e.materialization.metadata["airlift/xcom_return_value"].value
        for e in result.get_asset_materialization_events()
    }
    assert handed == {
        "shell/hello": f"dagster__{result.run_id}|task|1",
        "flow/total": {"sum": 12},
    }


def test_source_from_the_stored_state_needs_a_refresh_first(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    parser = argparse.ArgumentParser()
    cmd_generate.register(parser)
    from airlift_component.generate.refusals import GenerateError

    with pytest.raises(GenerateError, match="pass --dags-folder, or run `airlift refresh`"):
        cmd_generate.run(parser.parse_args(["shell", "hello"]))


def test_unmapped_task_is_an_error_naming_the_fix(project: Path) -> None:
    from airlift_component.generate.refusals import GenerateError

    with pytest.raises(
        GenerateError, match=textwrap.dedent("task 'ghost' of DAG 'shell' has no assets")
    ):
        generate("shell", "ghost")
