"""Shallow files read without libyaml (config/yaml/shallow.py) read as libyaml reads
them: the same values, the same position for every key and value, the same problems
from the proxied-state checks; anything outside the layout goes to libyaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airlift_component.config.proxied_state.file import state_from_document
from airlift_component.config.yaml import read
from airlift_component.config.yaml.read import YamlDocument, YamlLoadError, parse_yaml_text
from airlift_component.config.yaml.shallow import read_shallow
from airlift_component.config.yaml.values import Builder

CORPUS = Path(__file__).parents[1] / "corpus"
WHAT = "a proxied-state file"


def _by_libyaml(text: str) -> YamlDocument:
    root = read._compose(text, "d.yaml", what=WHAT)
    builder = Builder("d.yaml")
    return YamlDocument("d.yaml", builder.build(root), root, builder.placeholder_strings)


def _locs(value: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every location in ``value``, and one missing below each."""
    found = [loc, (*loc, "missing"), (*loc, 99)]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _locs(item, (*loc, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _locs(item, (*loc, index))
    return found


def _assert_same(text: str) -> None:
    try:
        expected = _by_libyaml(text)
    except YamlLoadError as exc:
        assert read_shallow(text) is None, text
        with pytest.raises(YamlLoadError) as raised:
            parse_yaml_text(text, "d.yaml", what=WHAT)
        assert raised.value.problem == exc.problem
        return
    doc = parse_yaml_text(text, "d.yaml", what=WHAT)
    assert doc.data == expected.data and repr(doc.data) == repr(expected.data), text
    assert doc.placeholder_strings == expected.placeholder_strings
    for loc in _locs(expected.data):
        for key in (False, True):
            assert doc.position(loc, key=key) == expected.position(loc, key=key), (text, loc, key)
    assert state_from_document(doc, "d") == state_from_document(expected, "d")
    assert doc.root.start_mark.line == expected.root.start_mark.line  # composed on demand


# Scalars YAML may read as other things than strings, and names it reads as strings.
_TRICKY = ["1", "1_0", "0x1F", "1e3", ".5", ".inf", "-.inf", "-", "--", "-a", ".", "a/b",
           "null", "Null", "true", "TRUE", "yes", "no", "on", "off", "y", "2026-01-01",
           "0o17", "0b101", "+1", "=", "task", "a.b-c_d", "1.0", "012", "1_000.5"]  # fmt: skip
_NAMES = st.text("abcxyz019_.-/", min_size=1, max_size=8)
_SCALARS = st.one_of(_NAMES, _NAMES, _NAMES, st.sampled_from(_TRICKY))
_KEYS = st.one_of(
    st.sampled_from(["tasks", "id", "proxied", "x", "_k", "on", "null", "yes", "Tasks"]),
    st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True),
)
_FLAGS = st.sampled_from(["true", "True", "TRUE", "false", "False", "FALSE", "yes", "off"])


@st.composite
def _files(draw: st.DrawFn) -> str:
    """Shallow files (the proxied-state layout most of all), and near misses of them."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            lines.append(f"{draw(_KEYS)}: {draw(st.one_of(_FLAGS, _SCALARS))}")
            continue
        lines.append(f"{draw(_KEYS)}:")
        indent = " " * draw(st.integers(0, 3))
        for _ in range(draw(st.integers(0, 4))):
            keys = draw(st.lists(_KEYS, min_size=1, max_size=3))
            for n, key in enumerate(keys):
                value = draw(st.one_of(_FLAGS, _SCALARS))
                lines.append(f"{indent}{'- ' if n == 0 else '  '}{key}: {value}")
    if draw(st.integers(0, 3)) == 0:  # a near miss: one line changed
        at = draw(st.integers(0, len(lines) - 1))
        lines[at] = draw(
            st.sampled_from(
                [" " + lines[at], lines[at] + "  # note", lines[at] + " ", "", "---", "  - x"]
            )
        )
    end = draw(st.sampled_from(["\n"] * 4 + ["", "\r\n"]))
    return (end if end == "\r\n" else "\n").join(lines) + end


@settings(max_examples=500, deadline=None)
@given(_files())
def test_shallow_files_read_as_libyaml_reads_them(text: str) -> None:
    _assert_same(text)


# Names YAML reads as strings: starting with a letter, not one of YAML 1.1's words.
_WORDS = st.from_regex(r"[a-z_][a-z0-9_.\-]{0,8}", fullmatch=True).filter(
    lambda name: name not in {"null", "true", "false", "yes", "no", "on", "off"}
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(_WORDS, st.sampled_from(["true", "False", "TRUE"]), st.booleans()),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 4),
)
def test_proxied_state_files_in_the_usual_layout_are_all_read_shallow(
    entries: list[tuple[str, str, bool]], indent: int
) -> None:
    pad = " " * indent
    text = "tasks:\n" + "".join(
        f"{pad}- proxied: {flag}\n{pad}  id: {task_id}\n"
        if flag_first
        else f"{pad}- id: {task_id}\n{pad}  proxied: {flag}\n"
        for task_id, flag, flag_first in entries
    )
    assert read_shallow(text) is not None, text
    _assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("tasks:\n  - id: a\n    proxied: true\n  - id: b\n    proxied: false\n", id="indented"),
        pytest.param("tasks:\n- proxied: TRUE\n  id: a\n", id="flag-first-no-indent"),
        pytest.param("proxied: false\n", id="dag-level"),
        pytest.param("tasks:\n  - id: a\n    proxied: true\n  - id: a\n    proxied: false\n", id="repeated-id"),
        pytest.param("tasks:\n  - id: 123\n    proxied: yes\n", id="int-id-and-yes"),
        pytest.param("tasks:\n  - id: a\nproxied: true\n", id="both-forms"),
    ],
)  # fmt: skip
def test_the_usual_layouts_are_read_shallow(text: str) -> None:
    assert read_shallow(text) is not None
    _assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("tasks:\n  - id: a\n    proxied: true\n    proxied: false\n", id="repeated-key"),
        pytest.param("tasks:\n  - id: a\n    proxied: true  # done\n", id="comment"),
        pytest.param("tasks:\n  - id: -\n    proxied: true\n", id="dash-value"),
        pytest.param("tasks:\nproxied: true\n", id="empty-list"),
        pytest.param("tasks:\n  - {id: a, proxied: true}\n", id="flow"),
        pytest.param("tasks:\n  - id: a\n     proxied: true\n", id="misindented"),
        pytest.param("proxied: null\n", id="null"),
        pytest.param("on: true\n", id="bool-key"),
    ],
)  # fmt: skip
def test_other_files_go_to_libyaml(text: str) -> None:
    assert read_shallow(text) is None
    _assert_same(text)


def test_every_corpus_yaml_file_reads_the_same() -> None:
    files = sorted(CORPUS.rglob("*.y*ml"))
    assert files
    shallow = 0
    for path in files:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue  # the files for the reader's decoding errors
        shallow += read_shallow(text) is not None
        _assert_same(text)
    assert shallow  # some corpus files take the shallow path
