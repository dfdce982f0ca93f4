"""Run inside a folder holding an earlier commit's ``airlift_component``: refresh the
stub Airflows of ``tests/unit/component_fixtures.py`` into a state file with that
code and print ``{"airlift_yaml": ..., "state": ...}`` as JSON (see
``devtools/make_state_fixtures.py``)."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def main() -> None:
    old_package, tests_unit = sys.argv[1], sys.argv[2]
    sys.path[:0] = [old_package, tests_unit]
    from component_fixtures import AIRLIFT_YAML, airflows, factory, write_project

    from airlift_component.component.defs_builder import build_defs

    with tempfile.TemporaryDirectory() as tmp:
        path = write_project(Path(tmp))
        build_defs(path, refresh="if_missing", client_factory=factory(airflows()))
        state = Path(tmp) / ".airlift" / "state.json"
        print(json.dumps({"airlift_yaml": AIRLIFT_YAML, "state": json.loads(state.read_text())}))


if __name__ == "__main__":
    main()
