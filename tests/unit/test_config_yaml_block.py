"""block_values (config/yaml/block.py): the values and placeholder strings libyaml's
node tree gives, or None (then libyaml reads the file); never values for a file
libyaml refuses."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airlift_component.config.yaml import read
from airlift_component.config.yaml.block import block_values
from airlift_component.config.yaml.read import YamlLoadError, parse_yaml_values
from airlift_component.config.yaml.values import Builder

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from bench_validate import write_project

CORPUS = Path(__file__).parents[1] / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _by_libyaml(text: str) -> tuple[Any, list[str] | None] | None:
    """The node tree's values and placeholder strings, None when libyaml refuses."""
    try:
        root = read._compose(text, "f.yaml", what="x")
        builder = Builder("f.yaml")
        return builder.build(root), builder.placeholder_strings
    except YamlLoadError:
        return None


def _assert_same(text: str) -> None:
    block = block_values(text)
    if block is not None:
        expected = _by_libyaml(text)
        assert expected is not None, text
        assert block == expected and repr(block) == repr(expected), text


#: Read here: (text, the values).
READ_HERE = {
    "scalars": (
        "a: 1\nb: 1.5\nc: true\nd: no\ne: 2026-01-01\nf: '1'\ng: 0x1F\nh: -3\ni: 1:30\n",
        {"a": 1, "b": 1.5, "c": True, "d": False, "e": "2026-01-01", "f": "1", "g": 31}
        | {"h": -3, "i": 90},
    ),
    "comments-and-blanks": (
        "# head\n\na: x # after\n  # indented\nb: 'y # not a comment'\nc: p#q\n",
        {"a": "x", "b": "y # not a comment", "c": "p#q"},
    ),
    "document-start": ("---\na: b\n", {"a": "b"}),
    "quote-and-comment": ("a: 'x' # c\nb: [\"y\"]  # d\n", {"a": "x", "b": ["y"]}),
    "indentless-list": ("a:\n- x\n- k: 1\n  j: [2, 'three']\nb: {}\n", None),
    "nested": (
        "a:\n  b:\n    - c: d\n      e:\n        - f\n    -   g: h\n  i: []\n",
        {"a": {"b": [{"c": "d", "e": ["f"]}, {"g": "h"}], "i": []}},
    ),
    "flow": (
        "auth: {type: basic, password: '${PW}'}\nl: [a b, \"c,d\", 3, '${X}']\n",
        {"auth": {"type": "basic", "password": "${PW}"}, "l": ["a b", "c,d", 3, "${X}"]},
    ),
    "block-plain": ("url: https://x.example:8080/a?b=1\nv: ${URL}/x, [y]\n", None),
    "quoted": ("a: \"x: y\"\nb: ''\nc: '${A}'\nd: \"${B}\"\n", None),
}
#: Left to libyaml (None here), whether libyaml reads them or not.
LEFT = {
    "null-value": "a:\nb: 1\n",
    "last-key-empty": "a: 1\nb:\n",
    "anchor": "a: &x 1\nb: *x\n",
    "tag": "a: !!str 1\n",
    "block-scalar": "a: |\n  text\n",
    "multi-line-plain": "a: one\n  two\n",
    "duplicate": "a: 1\na: 2\n",
    "bool-key": "yes: 1\n",
    "null-key": "~: 1\n",
    "tab": "a:\tb\n",
    "crlf": "a: b\r\n",
    "nel": "a: b\x85c\n",
    "two-documents": "a: 1\n---\nb: 2\n",
    "two-starts": "---\n---\na: 1\n",
    "only-start": "---\n",
    "empty": "",
    "comment-only": "# x\n",
    "list-root": "- a\n",
    "indented-root": "  a: 1\n",
    "bad-indent": "a:\n    b: 1\n  c: 2\n",
    "key-after-list": "a:\n  - x\n  b: 1\n",
    "deeper-after-scalar": "a: 1\n  b: 2\n",
    "colon-in-plain": "a: b: c\n",
    "trailing-colon": "a: b:\n",
    "nested-flow": "a: [b, [c]]\n",
    "trailing-comma": "a: [b, c,]\n",
    "escape": 'a: "b\\n"\n',
    "doubled-quote": "a: 'it''s'\n",
    "unclosed": "a: [b, c\n",
    "dash-alone": "a:\n  -\n    b\n",
    "list-in-list": "a:\n  - - b\n",
    "merge": "a:\n  <<: {b: 1}\n",
    "value-tag": "a: =\n",
    "indicator": "a: @x\n",
    "flow-colon": "a: {b: c:d}\n",
    "flow-placeholder": "a: [${X}]\n",
    "hidden-comment": "a: it's # x 'y'\n",
    "long-key": "k" * 1100 + ": 1\n",
    "too-deep": "".join(f"{'  ' * i}k{i}:\n" for i in range(60)) + "  " * 60 + "x: 1\n",
}


@pytest.mark.parametrize("name", READ_HERE)
def test_read_here_as_libyaml_reads_it(name: str) -> None:
    text, values = READ_HERE[name]
    block = block_values(text)
    assert block is not None
    if values is not None:
        assert block[0] == values
    _assert_same(text)


@pytest.mark.parametrize("name", LEFT)
def test_left_to_libyaml(name: str) -> None:
    assert block_values(LEFT[name]) is None


def test_placeholders_in_document_order_once_per_use() -> None:
    text = "a: ${X}\nb: ['${X}', \"${Y}\"]\nc:\n  - ${X}\n  - ${X}\nd: {e: '${Z}'}\n"
    assert block_values(text) == (
        {"a": "${X}", "b": ["${X}", "${Y}"], "c": ["${X}", "${X}"], "d": {"e": "${Z}"}},
        ["${X}", "${X}", "${Y}", "${X}", "${X}", "${Z}"],
    )
    _assert_same(text)


def test_repeated_lines_build_new_collections() -> None:
    block = block_values("a:\n  - k: [x]\n  - k: [x]\n")
    assert block is not None
    first, second = block[0]["a"]
    assert first["k"] == second["k"] and first["k"] is not second["k"]


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_corpus_files(path: Path) -> None:
    _assert_same(path.read_bytes().decode("utf-8", errors="replace"))


#: Good corpus airlift files left to libyaml, and why.
LEFT_GOOD = {
    "anchors_and_merges": "anchors",
    "airflow_assets": "a quoted key",
    "every_asset_field": "a ':' and an '@' in a flow list",
}


def test_good_airlift_files_are_read_here() -> None:
    good = [p for p in FILES if "/good/" in str(p) and p.name.startswith("airlift")]
    read_here = {p.parent.name for p in good if block_values(p.read_text()) is not None}
    assert len(good) > 10
    assert read_here == {p.parent.name for p in good} - set(LEFT_GOOD)


def test_the_benchmark_airlift_yaml(tmp_path: Path) -> None:
    """The file bench_validate.py measures is read here, as libyaml reads it, and
    parse_yaml_values reads it here."""
    write_project(tmp_path)
    text = (tmp_path / "dagster" / "airlift.yaml").read_text()
    assert block_values(text) is not None
    _assert_same(text)
    assert parse_yaml_values(text, "a.yaml", what="x").data == block_values(text)[0]


_PIECES = [
    "a",
    "b1",
    "dag_0",
    "k.x-y",
    "tasks",
    "yes",
    "null",
    "~",
    "1",
    "-1",
    "0x1F",
    "1.5",
    "1:30",
    "2026-01-01",
    "${X}",
    "x/y",
    "https://h:1/p",
    "'q'",
    "'q''r'",
    '"d"',
    '"e\\n"',
    "[a, b]",
    "[]",
    "{}",
    "{k: v}",
    "{k: 'v'}",
    "[a, [b]]",
    "&a x",
    "*a",
    "!!str 1",
    "|",
    ">",
    "@x",
    "%x",
    "#c",
    "x #c",
    "a: b",
    "a:",
    "=",
    "<<",
    "-",
    "- x",
    "---",
    "...",
    "",
    " ",
    "\t",
    ",",
    "?",
    ":",
]
_INDENTS = st.sampled_from([0, 0, 2, 2, 4, 4, 6, 1, 3]).map(lambda n: " " * n)
_DASHES = st.sampled_from(["", "", "- ", "-  ", "-"])
_KEYS = st.sampled_from(["a", "b", "c", "d", "yes", "k.x-y", "'q'", "-", "${K}"])
_LINE = st.one_of(
    st.tuples(_INDENTS, _DASHES, _KEYS, st.sampled_from([":", ": ", ":  ", " :"])).map(
        lambda t: "".join(t)
    ),
    st.tuples(
        _INDENTS, _DASHES, _KEYS, st.sampled_from([": ", ":", ":  "]), st.sampled_from(_PIECES)
    ).map(lambda t: "".join(t)),
    st.tuples(_INDENTS, _DASHES, st.sampled_from(_PIECES)).map(lambda t: "".join(t)),
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, min_size=1, max_size=12))
def test_random_files(lines: list[str]) -> None:
    """Generated lines of YAML's pieces, most of them not YAML: whatever is read here
    is read so by libyaml too."""
    _assert_same("\n".join(lines) + "\n")


_SCALARS = st.sampled_from(
    [
        *["a", "dag_0", "yes", "1", "-1", "1.5", "1:30", "2026-01-01", "${X}", "x/y", "'q'"],
        *['"d"', "[a, b]", "[]", "{}", "{k: v}", "{k: 'v'}", "x #c", "'x' # c", "~", "0x1F"],
        *["https://h:1/p", "a b", "=", "[a, 'b']", "&a x", "|", "it's", "''"],
    ]
)
_TREES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "k.x-y", "on", "c"]), inner, min_size=1),
    ),
    max_leaves=12,
)


def _render(data: st.DataObject, node: Any, indent: int) -> list[str]:
    """Block lines of ``node`` (a mapping or list) at ``indent``, in styles drawn."""
    lines: list[str] = []
    pad = " " * indent
    if data.draw(st.booleans()):
        lines.append(pad + data.draw(st.sampled_from(["# c", "", "  # d"])))
    items = node.items() if isinstance(node, dict) else [(None, v) for v in node]
    for key, value in items:
        head = pad + ("" if key is not None else data.draw(st.sampled_from(["- ", "-  "])))
        if isinstance(value, str):
            lines.append(head + (f"{key}: {value}" if key is not None else value))
            continue
        step = data.draw(st.sampled_from([1, 2, 4]))
        if key is None:  # an item that is a block: its first line after the dash
            inner = _render(data, value, len(head))
            while inner and (not inner[0].strip(" ") or inner[0].lstrip(" ")[:1] == "#"):
                lines.append(inner.pop(0))
            if not inner:
                continue
            lines.append(head + inner[0][len(head) :])
            lines += inner[1:]
            continue
        indentless = isinstance(value, list) and data.draw(st.booleans())
        lines.append(f"{head}{key}:")
        lines += _render(data, value, indent if indentless else indent + step)
    return lines


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.dictionaries(st.sampled_from(["a", "b", "c"]), _TREES, min_size=1))
def test_random_trees(data: st.DataObject, tree: dict[str, Any]) -> None:
    """Generated block YAML (indents of 1, 2 or 4, lists at their key's indent or
    below, comments and blank lines), maybe with one line dropped or moved: whatever
    is read here is read so by libyaml too."""
    lines = _render(data, tree, 0)
    edit = data.draw(st.sampled_from(["none", "none", "drop", "indent", "outdent"]))
    if edit != "none":
        at = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        line = lines[at]
        lines[at] = {"drop": "", "indent": " " + line, "outdent": line[1:]}[edit]
    _assert_same("\n".join(lines) + "\n")


_SAMPLE = (
    "version: 1\ninstances:\n  - name: prod\n    url: ${URL}\n"
    "    auth: {type: basic, password: '${PW}'}\n    mappings:\n"
    "      - dag: d\n        tasks:\n          - task: t\n            assets:\n"
    "              - key: d/t\n                deps: [d/s, 'x']\n"
)


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(_SAMPLE)),
            st.integers(min_value=0, max_value=3),
            st.sampled_from([" ", "  ", "-", "- ", ":", ": ", "#", " #", "'", '"', "[", "]"])
            | st.sampled_from(["{", "}", ",", "\n", "\n  ", "&", "*", "!", "|", "x", "1", "~"]),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_random_edits_of_an_airlift_yaml(edits: list[tuple[int, int, str]]) -> None:
    """An airlift.yaml with characters removed and inserted here and there."""
    text = _SAMPLE
    for at, drop, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + drop :]
    _assert_same(text)
