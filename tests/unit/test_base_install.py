"""The base install: `airlift validate` needs neither Dagster nor Airflow."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "tests" / "corpus" / "good"
HEAVY = ("dagster", "airflow")

_REPORT_MODULES = """
import runpy, sys
sys.argv = ["airlift", *sys.argv[1:]]
try:
    runpy.run_module("airlift_component", run_name="__main__")
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("dagster", "airflow"))
print("HEAVY:" + ",".join(heavy))
sys.exit(code)
"""

_BLOCK_HEAVY = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0].startswith(("dagster", "airflow")):
            raise ImportError(f"{name} is blocked in this test")
        return None
sys.meta_path.insert(0, Block())
"""


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_validate_imports_neither_dagster_nor_airflow() -> None:
    result = _python(_REPORT_MODULES, "validate", str(GOOD))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HEAVY:\n" in result.stdout


def test_help_imports_neither_dagster_nor_airflow() -> None:
    result = _python(_REPORT_MODULES, "--help")
    assert result.returncode == 0, result.stderr
    assert "HEAVY:\n" in result.stdout


@pytest.mark.parametrize("cache", ["--no-cache", "--format=text"], ids=["checked", "remembered"])
def test_importtime_lists_no_dagster_or_airflow_module(cache: str) -> None:
    """Checked in full, and (run twice) with the pass remembered by the verdict cache."""
    command = [sys.executable, "-X", "importtime", "-m", "airlift_component", "validate", cache]
    for _ in range(1 if cache == "--no-cache" else 2):
        result = subprocess.run(
            [*command, str(GOOD)], cwd=REPO, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()]
    if cache == "--no-cache":
        assert "airlift_component.config.validation.validate" in imported
    else:
        assert "airlift_component.config.validation.verdict_cache" in imported
    assert not [m for m in imported if m.split(".")[0] in HEAVY]


def test_validate_works_when_dagster_and_airflow_cannot_be_imported() -> None:
    result = _python(_BLOCK_HEAVY + _REPORT_MODULES, "validate", str(GOOD))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "files checked, no problems" in result.stdout
    bad = REPO / "tests" / "corpus" / "bad" / "duplicate_asset_key"
    result = _python(_BLOCK_HEAVY + _REPORT_MODULES, "validate", str(bad))
    assert result.returncode == 1
    assert "is produced twice" in result.stdout


def test_the_blocker_really_blocks() -> None:
    result = _python(_BLOCK_HEAVY + "import dagster")
    assert result.returncode == 1
    assert "blocked in this test" in result.stderr
