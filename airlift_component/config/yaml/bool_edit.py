"""Rewriting boolean values inside YAML text while keeping every other byte.

:func:`set_bools` finds each value's exact character span in the text and
replaces only the word (``false`` → ``true``), the way a person edits a file:
comments, quoting, flow style, indentation, line endings and a missing final
newline stay as they were. Tags and anchors in front of the value stay too
(``!!bool False`` → ``!!bool True``). The new word follows the old one's
capitalisation (``false``/``False``/``FALSE``); YAML 1.1 words
(``yes``/``no``/``on``/``off``) become ``true``/``false`` in the same
capitalisation, because YAML 1.2 readers take them for strings.

Only when a value is spelled in a way the span rewrite does not recognise (an
escaped quoted word such as ``!!bool "f\\x61lse"``) does it fall back to a
ruamel.yaml round-trip, which keeps comments, key order and quoting but may
re-indent. Callers must read the result back and check it.

Locations are paths into the document, e.g. ``("tasks", 2, "proxied")``.
"""

from __future__ import annotations

import io
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
) -> str | None:
    """Rewrite only the word of each value; ``None`` when one is spelled unusually.

    ``root`` is ``text``'s node tree when the caller has it already (libyaml's).
    Raises :class:`SharedValueError` when a value (or a mapping holding it) is
    shared through an alias, or inherited through a merge key.
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
            return None
        edits.append((match.start("word"), match.end("word"), spelling(match["word"], value)))
    pieces = []
    done = 0
    for start, end, word in sorted(edits):
        pieces += [text[done:start], word]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _guess_indent(root: yaml.MappingNode) -> dict[str, int]:
    """ruamel.yaml indent settings reproducing the layout of the first block list."""
    for key, value in root.value:
        if isinstance(value, yaml.SequenceNode) and value.value and not value.flow_style:
            offset = max(value.start_mark.column - key.start_mark.column, 0)
            mapping = max(value.value[0].start_mark.column - value.start_mark.column, 2)
            return {"mapping": mapping, "sequence": offset + mapping, "offset": offset}
    return {"mapping": 2, "sequence": 2, "offset": 0}


def roundtrip_edit(text: str, locs: Sequence[Loc], value: bool) -> str:
    """Set each value through a ruamel.yaml round-trip (the fallback; may re-indent)."""
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 1 << 30
    rt.indent(**_guess_indent(compose(text)))
    newline = "\r\n" if "\r\n" in text else "\n"
    data = rt.load(text.replace("\r\n", "\n"))
    for loc in locs:
        parent: Any = data
        for part in loc[:-1]:
            parent = parent[part]
        parent[loc[-1]] = value
    out = io.StringIO()
    rt.dump(data, out)
    result = out.getvalue()
    if not text.endswith(("\n", "\r")):
        result = result.rstrip("\n")
    return result.replace("\n", newline)


def set_bools(
    text: str, locs: Sequence[Loc], value: bool, root: yaml.MappingNode | None = None
) -> tuple[str, str]:
    """Set the booleans at ``locs`` to ``value``; returns (new text, ``"span"`` or ``"roundtrip"``).

    ``root``: ``text``'s node tree, when the caller has composed it already.
    """
    if not locs:
        return text, "none"
    edited = span_edit(text, locs, value, root)
    if edited is not None:
        return edited, "span"
    return roundtrip_edit(text, locs, value), "roundtrip"
