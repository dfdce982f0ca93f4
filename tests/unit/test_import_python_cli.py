"""`airlift import-python`: writes a new file only, never a secret, names every
placeholder and every finding, and needs neither Dagster nor Airflow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from import_python_support import copy_case, validate_problems

from airlift_component.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def test_writes_the_file_names_the_placeholders_and_lists_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = copy_case("basic", tmp_path)
    out = tmp_path / "airlift.yaml"
    assert main(["import-python", str(module), "--out", str(out)]) == 1  # one finding
    captured = capsys.readouterr()
    assert validate_problems(out) == []
    assert f"wrote {out}: 1 instance(s)" in captured.out
    assert "AIRFLOW_PASSWORD (password of instance shop)" in captured.out
    assert "AIRFLOW_USER" in captured.out
    assert f"{module}:57: Definitions(asset_checks=...) stays in Python" in captured.err


def test_everything_translated_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = tmp_path / "defs.py"
    module.write_text(
        "from dagster_airlift.core import AirflowInstance, AirflowBasicAuthBackend, "
        "build_defs_from_airflow_instance\n"
        "defs = build_defs_from_airflow_instance(airflow_instance=AirflowInstance("
        "auth_backend=AirflowBasicAuthBackend(webserver_url='http://127.0.0.1:8080', "
        "username='admin', password='admin'), name='local'))\n"
    )
    out = tmp_path / "airlift.yaml"
    assert main(["import-python", str(module), "--out", str(out)]) == 0
    assert capsys.readouterr().err == ""
    assert "password: ${AIRFLOW_PASSWORD}" in out.read_text()


@pytest.mark.parametrize(
    ("case", "secret"), [("basic", "admin"), ("several", "not-a-real-token-0123")]
)
def test_a_literal_secret_reaches_neither_the_file_nor_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, secret: str
) -> None:
    module = copy_case(case, tmp_path)
    assert f'"{secret}"' in module.read_text()
    out = tmp_path / "airlift.yaml"
    main(["import-python", str(module), "--out", str(out)])
    captured = capsys.readouterr()
    assert secret not in out.read_text() + captured.out + captured.err


def test_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = copy_case("mwaa", tmp_path)
    out = tmp_path / "airlift.yaml"
    out.write_text("# mine\n")
    assert main(["import-python", str(module), "--out", str(out)]) == 1
    assert out.read_text() == "# mine\n"
    assert "never overwrites" in capsys.readouterr().err


def test_a_broken_module_is_one_line_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = tmp_path / "broken.py"
    module.write_text("defs = (\n")
    out = tmp_path / "airlift.yaml"
    assert main(["import-python", str(module), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{module}:1:" in err and "Traceback" not in err
    assert not out.exists()


def test_module_name_for_code_references_can_be_given(tmp_path: Path) -> None:
    module = copy_case("leftovers", tmp_path)
    out = tmp_path / "airlift.yaml"
    main(["import-python", str(module), "--out", str(out), "--module", "legacy.defs"])
    assert "code: legacy.defs:local_asset" in out.read_text()


def test_imports_neither_dagster_nor_airflow(tmp_path: Path) -> None:
    module = copy_case("basic", tmp_path)
    code = (
        "import sys\n"
        "from airlift_component.cli.main import main\n"
        f"main(['import-python', {str(module)!r}, '--out', {str(tmp_path / 'a.yaml')!r}])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dagster', 'airflow')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
