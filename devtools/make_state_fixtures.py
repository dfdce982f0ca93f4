"""Write tests/fixtures/states/: Airflow state files written by earlier commits' own code.

A state file the code wrote is one users hold (on S3, in a container image) until
their next refresh. For each commit in :data:`COMMITS` (each a change of what the
state holds or how it is laid out), this takes that commit's ``airlift_component``
out of git (``git archive``) into a temporary folder, runs
``devtools/state_fixture_driver.py`` with it over the stub Airflows of
``tests/unit/component_fixtures.py``, and saves the ``airlift.yaml`` and the state
it wrote as ``<commit>.json``. ``tests/unit/test_state_upgrade.py`` builds from them
with today's code.

Run from the repository root::

    .venv/bin/python -m devtools.make_state_fixtures
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from devtools.make_cursor_fixtures import checkout

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "states"
DRIVER = Path(__file__).with_name("state_fixture_driver.py")

#: (commit, what its state file was): the first commit of each form, and the last
#: before the refresh shipped airlift.yaml's checked mappings.
COMMITS = (
    ("2da2538", "format 2: one state file for every instance"),
    ("63dea0b", "format 2 + the Airflow assets of peered DAGs"),
    ("102f749", "format 2, one line per DAG"),
    ("2c6e066", "format 2, the last without shipped mappings"),
)


def main() -> None:
    """Write one fixture per commit of :data:`COMMITS`."""
    OUT.mkdir(parents=True, exist_ok=True)
    for commit, what in COMMITS:
        with tempfile.TemporaryDirectory() as tmp:
            checkout(commit, Path(tmp))
            done = subprocess.run(
                [sys.executable, str(DRIVER), tmp, str(ROOT / "tests" / "unit")],
                cwd=tmp,
                check=True,
                capture_output=True,
                text=True,
            )
        found = json.loads(done.stdout.strip().splitlines()[-1])
        fixture = {"commit": commit, "what": what, **found}
        (OUT / f"{commit}.json").write_text(json.dumps(fixture, indent=1) + "\n")
        print(f"wrote {OUT / f'{commit}.json'}")


if __name__ == "__main__":
    main()
