"""A build from the stored state needs no HTTP client: httpx (and rich and anyio with
it) is imported by the sensor's first tick, not by a run worker's or a code
server's load."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
from component_fixtures import airflows, factory, write_project

from airlift_component.component import build_defs

_PROGRAM = """
import json, sys

class BlockHttpx:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("httpx", "httpcore", "rich", "anyio"):
            raise ImportError(name + " is blocked: a build from the state must not need it")
        return None

sys.meta_path.insert(0, BlockHttpx())

from airlift_component.component import build_defs

defs = build_defs({yaml!r}, refresh="never")
print(json.dumps([
    sorted(key.to_user_string() for key in defs.resolve_all_asset_keys()),
    sorted(sensor.name for sensor in defs.sensors or ()),
]))
"""


def _built(defs: dg.Definitions) -> list[list[str]]:
    return [
        sorted(key.to_user_string() for key in defs.resolve_all_asset_keys()),
        sorted(sensor.name for sensor in defs.sensors or ()),
    ]


def test_a_build_from_the_stored_state_imports_no_http_client(tmp_path: Path) -> None:
    yaml = write_project(tmp_path)
    expected = _built(build_defs(yaml, refresh="if_missing", client_factory=factory(airflows())))
    program = textwrap.dedent(_PROGRAM.format(yaml=str(yaml)))
    run = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads(run.stdout.splitlines()[-1]) == expected
    assert "airlift_prod_sensor" in expected[1]
