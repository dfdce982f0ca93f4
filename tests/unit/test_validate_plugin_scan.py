"""`airlift validate` builds its pydantic models without pydantic's plugin scan (a
look at every installed distribution's entry points, which costs more than the
checks), whichever models a run needs: the ``airlift.yaml`` models on a full check of
a file the usual check (config/airlift_yaml/usual.py) leaves to them, none of them
when its summary is remembered or the usual check passes it, the stored state's for
the warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from airlift_component.airflow_state.state_file import default_state_file, write_state_file
from airlift_component.config.validation import verdict_cache
from tests.unit.test_xcom_hint import AIRLIFT, STATE, _state

REPO = Path(__file__).resolve().parents[2]

#: Runs the command line, then says how often the distributions were listed, and
#: how often after asking pydantic for its plugins (which shows the count works).
SCRIPT = """
import importlib.metadata as metadata
import sys

listed = []
real = metadata.distributions


def counting(*args, **kwargs):
    listed.append(1)
    return real(*args, **kwargs)


metadata.distributions = counting
from airlift_component.cli.main import main

code = main(sys.argv[1:])
during = len(listed)
from pydantic.plugin._loader import get_plugins

list(get_plugins())
models = "airlift_component.config.airlift_yaml.model" in sys.modules
sys.stderr.write(f"scans {during} {len(listed)}, models {models}\\n")
sys.exit(code)
"""


def _validate(project: Path, cache: Path, *args: str) -> tuple[str, str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(REPO)}
    for name in (verdict_cache.ENV_VAR, "PYDANTIC_DISABLE_PLUGINS"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, "validate", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    scans = [line for line in result.stderr.splitlines() if line.startswith("scans ")]
    assert scans, result.stderr
    return result.stdout, scans[-1]


def test_no_run_scans_for_plugins(tmp_path: Path) -> None:
    project = tmp_path / "project"
    state_file = project / "dags" / "proxied_state" / "tutorial_taskflow_api.yaml"
    state_file.parent.mkdir(parents=True)
    (project / "airlift.yaml").write_text(AIRLIFT)
    state_file.write_text(
        STATE.replace("transform\n    proxied: false", "transform\n    proxied: true")
    )
    write_state_file(default_state_file(project / "airlift.yaml"), _state())
    cache = tmp_path / "cache"
    full = _validate(project, cache)  # checks airlift.yaml and remembers its summary
    state_file.write_text(state_file.read_text() + "# reviewed\n")
    summarized = _validate(project, cache)  # the pass is not reused, the summary is
    remembered = _validate(project, cache)  # the pass is reused
    uncached = _validate(project, cache, "--no-cache")
    # A custom auth is left to the models: they are built, still without the scan.
    (project / "airlift.yaml").write_text(
        AIRLIFT.replace("{type: none}", "{type: custom, class: 'pkg.auth:Auth'}")
    )
    modelled = _validate(project, cache)
    runs = [full, summarized, remembered, uncached, modelled]
    assert [scans for _out, scans in runs] == [
        *["scans 0 1, models False"] * 4,
        "scans 0 1, models True",
    ]
    assert len({out for out, _scans in runs}) == 1
    assert full[0].endswith("2 files checked, no problems, 1 warning\n")
