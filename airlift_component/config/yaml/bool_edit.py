"""Rewriting boolean values inside YAML text while keeping every other byte.

:func:`set_bools` finds each value's exact character span in the text and
replaces only the word (``false`` → ``true``), the way a person edits a file:
comments, quoting, flow style, indentation, line endings and a missing final
newline stay as they were. Tags and anchors in front of the value stay too
(``!!bool False`` → ``!!bool True``). The new word follows the old one's
capitalisation (``false``/``False``/``FALSE``); YAML 1.1 words
(``yes``/``no``/``on``/``off``) become ``true``/``false`` in the same
capitalisation, because YAML 1.2 readers take them for strings.

A value the reader takes for a boolean but whose text is not one plain word (an
escaped quoted word such as ``!!bool "f\\x61lse"``, a block scalar under
``!!bool``) is refused with :class:`UnusualSpellingError`, naming its line: no
file in the corpus or the tests is written that way, and rewriting one would take
a second YAML library whose round-trip may re-indent the whole file.

Locations are paths into the document, e.g. ``("tasks", 2, "proxied")``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml

Loc = Sequence[str | int]
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_BOOL_WORDS = {"true", "false", "yes", "no", "on", "off"}
_TOKEN = re.compile(r"(?P<props>(?:[!&]\S*\s+)*)(?P<quote>[\"']?)(?P<word>[A-Za-z]+)(?P=quote)")


class SharedValueError(ValueError):
    """The value is shared with other entries: an anchor used by an alias, or a
    value inherited through a ``<<`` merge key. Changing it in place would change
    them all, or could not change this entry alone."""

    def __init__(self, line: int, how: str) -> None:
        self.line = line
        self.how = how
        super().__init__(f"line {line}: the value is {how}")


class UnusualSpellingError(ValueError):
    """The value is a boolean to YAML, but its text is not one plain word
    (``true``, ``"False"``, ``!!bool no``...), e.g. an escaped quoted word."""

    def __init__(self, line: int, written: str) -> None:
        self.line = line
        self.written = written
        super().__init__(f"line {line}: the value is written {written!r}")


_ALIASED = "a YAML anchor/alias shared with other entries"
_MERGED = "inherited through a YAML merge key (<<)"


def spelling(old_word: str, value: bool) -> str:
    """``true``/``false`` written in the capitalisation of ``old_word``."""
    word = "true" if value else "false"
    if old_word.isupper() and len(old_word) > 1:
        return word.upper()
    if old_word[:1].isupper():
        return word.capitalize()
    return word


def compose(text: str) -> yaml.MappingNode:
    """The node tree of a YAML mapping document (``text`` without a byte-order mark).

    libyaml composes it, as it does for the reader
    (:mod:`~airlift_component.config.yaml.read`), so the editor accepts exactly
    the files the reader accepts (a tab after ``id:`` included). Its mark indexes
    count characters of ``text``; :func:`span_edit` still checks that each span
    holds the word it expects before touching it.
    """
    root = yaml.compose(text, Loader=_LOADER)
    if not isinstance(root, yaml.MappingNode):
        raise ValueError("the document is not a YAML mapping")
    return root


def node_path(root: yaml.Node, loc: Loc) -> list[yaml.Node]:
    """The nodes from ``root`` down to the scalar at ``loc`` (``KeyError`` when absent).

    Raises :class:`SharedValueError` when the value is only inherited through ``<<``.
    """
    path = [root]
    for part in loc:
        node = path[-1]
        if isinstance(part, int) and isinstance(node, yaml.SequenceNode):
            path.append(node.value[part])
            continue
        if not isinstance(node, yaml.MappingNode):
            raise KeyError(part)
        found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
        if found:
            path.append(found[0])
        elif any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
            raise SharedValueError(node.start_mark.line + 1, _MERGED)
        else:
            raise KeyError(part)
    if not isinstance(path[-1], yaml.ScalarNode):
        raise KeyError(loc[-1] if loc else "")
    return path


def _shared_nodes(root: yaml.Node) -> set[int]:
    """The ids of the nodes reached more than once (anchored values used by aliases)."""
    seen: set[int] = set()
    shared: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
    return shared


def span_edit(
    text: str, locs: Sequence[Loc], value: bool, root: yaml.MappingNode | None = None
) -> str:
    """Rewrite only the word of each value.

    ``root`` is ``text``'s node tree when the caller has it already (libyaml's).
    Raises :class:`SharedValueError` when a value (or a mapping holding it) is
    shared through an alias, or inherited through a merge key, and
    :class:`UnusualSpellingError` when its text is not one plain word.
    """
    root = compose(text) if root is None else root
    shared = _shared_nodes(root)
    edits: list[tuple[int, int, str]] = []
    for loc in locs:
        chain = node_path(root, loc)
        node = chain[-1]
        if any(id(n) in shared for n in chain):
            raise SharedValueError(node.start_mark.line + 1, _ALIASED)
        start, end = node.start_mark.index, node.end_mark.index
        match = _TOKEN.fullmatch(text, start, end)
        if match is None or match["word"].lower() not in _BOOL_WORDS:
            raise UnusualSpellingError(node.start_mark.line + 1, text[start:end])
        edits.append((match.start("word"), match.end("word"), spelling(match["word"], value)))
    pieces = []
    done = 0
    for start, end, word in sorted(edits):
        pieces += [text[done:start], word]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def set_bools(
    text: str, locs: Sequence[Loc], value: bool, root: yaml.MappingNode | None = None
) -> str:
    """Set the booleans at ``locs`` to ``value`` (see :func:`span_edit` for refusals).

    ``root``: ``text``'s node tree, when the caller has composed it already.
    """
    if not locs:
        return text
    return span_edit(text, locs, value, root)
