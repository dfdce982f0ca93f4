"""The Dagster side never imports Airflow: users install it without Airflow."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent

_PROGRAM = """
import sys
sys.path.insert(0, {here!r})

class BlockAirflow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "airflow":
            raise ImportError(name + " is blocked: the Dagster side must not need Airflow")
        return None

sys.meta_path.insert(0, BlockAirflow())

import pkgutil, importlib, pathlib, tempfile
import airlift_component
for package in ("airlift_component.component", "airlift_component.airflow_api",
                "airlift_component.dagster_api", "airlift_component.cli"):
    module = importlib.import_module(package)
    for info in pkgutil.iter_modules(module.__path__):
        importlib.import_module(package + "." + info.name)

from component_fixtures import airflows, factory, write_project
from airlift_component.component import build_defs

defs = build_defs(write_project(pathlib.Path(tempfile.mkdtemp())), refresh="if_missing", client_factory=factory(airflows()))
keys = sorted(key.to_user_string() for key in defs.resolve_all_asset_keys())
print("KEYS:" + ",".join(keys))
print("AIRFLOW:" + ",".join(sorted(m for m in sys.modules if m.split(".")[0] == "airflow")))
"""


def test_component_builds_definitions_with_airflow_unimportable() -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_PROGRAM.format(here=str(HERE)))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines() if ":" in line)
    assert "prod/dag/customers" in lines["KEYS"].split(",")
    assert "raw/customers" in lines["KEYS"].split(",")
    assert lines["AIRFLOW"] == ""
