"""A valid proxied-state file in the usual shape is read without pydantic
(proxied_state/file.py's _usual_state), to the state the models give; anything
else is left to the models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.config.proxied_state import file
from airlift_component.config.yaml.read import parse_yaml_text

_IDS = st.sampled_from(["load", "load", "t.1-x", "a b", "", "ü", "x\n", "1", "yes"])
_VALUES = st.one_of(st.booleans(), st.sampled_from([None, 1, 0, "true", "yes", [], {}, 1.0, "x"]))
_TASK = st.one_of(
    st.fixed_dictionaries({"id": _IDS, "proxied": st.booleans()}),
    st.fixed_dictionaries({"id": _IDS | _VALUES, "proxied": _VALUES}),
    st.fixed_dictionaries({"id": _IDS, "proxied": st.booleans(), "extra": _VALUES}),
    st.fixed_dictionaries({"id": _IDS}),
    _VALUES,
)
_VALID_TASK = st.fixed_dictionaries(
    {"id": st.sampled_from(["load", "t.1-x", "report", "A_9"]), "proxied": st.booleans()}
)
_FILES = st.one_of(
    st.fixed_dictionaries({"tasks": st.lists(_VALID_TASK, max_size=5)}),
    st.fixed_dictionaries({"tasks": st.lists(_VALID_TASK | _TASK, max_size=3)}),
    st.fixed_dictionaries({"proxied": st.booleans()}),
    st.fixed_dictionaries({"tasks": st.lists(_TASK, max_size=4)}),
    st.fixed_dictionaries({"tasks": st.lists(_TASK, max_size=4) | _VALUES}),
    st.fixed_dictionaries({"proxied": _VALUES}),
    st.fixed_dictionaries({"proxied": st.booleans(), "tasks": st.lists(_TASK, max_size=2)}),
    st.dictionaries(st.sampled_from(["tasks", "proxied", "other"]), _VALUES),
)


@settings(max_examples=800, deadline=None)
@given(_FILES, st.booleans())
def test_usual_files_read_as_the_models_read_them(data: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, sort_keys=False)
    doc = parse_yaml_text(text, "d.yaml", what=file.WHAT)
    usual = file._usual_state(doc, "d")
    checked, problems = file._checked_state(doc, "d")
    if usual is not None:
        assert problems == [] and checked == usual
        assert checked.task_lines == usual.task_lines
    assert file.state_from_document(doc, "d") == (checked, problems)


def test_reading_a_usual_file_imports_no_pydantic(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("tasks:\n  - id: load\n    proxied: true\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks:\n  - id: load\n    proxied: maybe\n", encoding="utf-8")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from airlift_component.config.proxied_state.file import read_proxied_state_file\n"
        "state, problems = read_proxied_state_file(Path(sys.argv[1]))\n"
        "print(state is not None, 'pydantic' in sys.modules)\n"
        "state, problems = read_proxied_state_file(Path(sys.argv[2]))\n"
        "print(state is not None, 'pydantic' in sys.modules, problems[0].line)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(good), str(bad)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[:2] == ["True False", "False True 3"]
