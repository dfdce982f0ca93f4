"""plain_values: the values the node-tree reader builds, or None (then the tree is used)."""

from __future__ import annotations

from pathlib import Path

import pytest

from airlift_component.config.yaml.events import plain_values
from airlift_component.config.yaml.read import YamlLoadError, parse_yaml_text
from airlift_component.config.yaml.values import MAX_DEPTH

CORPUS = Path(__file__).parents[1] / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())

TEXTS = {
    "scalars": "a: 1\nb: 1.5\nc: true\nd: no\ne: null\nf: ~\ng: 2026-01-01\nh: '1'\ni: 0x1F\n",
    "placeholders": "a: ${X}\nb: [x, 'y${Z:-1}']\nc: plain\n${K}: v\nd: {e: '${Y}'}\n",
    "keys": "1: one\nfalse: yes\nnull: nothing\n1.5: x\n",
    "equal-keys": "1: one\ntrue: yes\n",
    "nan-keys": "? .nan\n: 1\n? .nan\n: 2\n",
    "nested": "a:\n  - b: [1, [2, {c: d}]]\n  - {}\n  - []\n",
    "anchor": "a: &x {b: 1}\nc: *x\n",
    "merge": "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",
    "tag": "a: !!str 1\nb: !!binary aGk=\n",
    "duplicate": "a: 1\na: 2\n",
    "complex-key": "? [a, b]\n: c\n",
    "two-documents": "a: 1\n---\nb: 2\n",
    "not-a-mapping": "- a\n- b\n",
    "empty": "",
    "syntax": "a: [1, 2\n",
    "bad-int": "a: !!int x\n",
    "too-deep": "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n",
    "nul": "a: b\x00\n",
}
NEEDS_TREE = [
    "anchor",
    "merge",
    "tag",
    "duplicate",
    "two-documents",
    "complex-key",
    "not-a-mapping",
    "empty",
    "syntax",
    "bad-int",
    "too-deep",
    "nul",
    "nan-keys",
    "equal-keys",
]


def _tree(text: str) -> tuple[object, object] | None:
    try:
        doc = parse_yaml_text(text, "f.yaml", what="x")
    except YamlLoadError:
        return None
    return doc.data, doc.placeholder_strings


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_corpus_files_read_as_the_node_tree_reads_them(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace")
    plain = plain_values(text)
    if plain is not None:
        assert plain == _tree(text)


@pytest.mark.parametrize("text", TEXTS.values(), ids=TEXTS.keys())
def test_plain_or_none(text: str) -> None:
    plain = plain_values(text)
    if plain is not None:
        assert plain == _tree(text)


@pytest.mark.parametrize(
    "name",
    NEEDS_TREE,
)
def test_what_needs_the_tree_is_left_to_it(name: str) -> None:
    assert plain_values(TEXTS[name]) is None


def test_plain_files_are_read_here() -> None:
    for name in ("scalars", "placeholders", "keys", "nested"):
        assert plain_values(TEXTS[name]) is not None, name
    good = [p for p in FILES if "/good/" in str(p) and "anchors" not in str(p)]
    assert good and all(plain_values(p.read_text()) is not None for p in good)
