"""The values of a file in plain block YAML, read line by line without libyaml.

``airlift.yaml`` files are written in a narrow part of YAML: block mappings and
lists, one entry a line, with one-line scalars and one-line flow lists and
mappings (``assets: [a/b]``). libyaml turns each line into three or four parser
events that Python receives one by one, with their start and end marks: reading
the 1.9 MB ``airlift.yaml`` of ``bench/bench_validate.py`` (1,000 DAGs x 10 tasks,
220,000 events) took 0.20 s CPU in :mod:`.events`, about a third of a cold
``airlift validate``. Read here, one regular expression a line (and none for a line
read before: most repeat, such as ``group: bench``), it takes 0.10 s, and a cold
``airlift validate .`` about 0.1 s less (``bench/bench_validate.py``'s notes have the
runs measured).

Only what is surely read the same way is read here; anything else makes
:func:`block_values` return ``None``, and the caller reads the file with libyaml
(:mod:`.events`, then the node tree), which gives the same values or the problem
with its line and column. Read here:

- lines ``key: value``, ``key:`` (a block below), ``- key: value``, ``- value``,
  at indents that open or close blocks exactly as YAML's do (a list may sit at
  its key's indent); blank lines and comments (a whole line, or after `` #``
  outside quotes); one ``---`` first;
- keys that are names (``[A-Za-z_][A-Za-z0-9_.-]*``) PyYAML's safe loader takes
  for strings (not ``yes`` or ``null``), never twice in one mapping;
- one-line plain scalars (the tag PyYAML's safe loader gives them and the value
  :class:`~.values.Builder` gives them; timestamps stay strings), single-quoted
  strings without ``'``, double-quoted strings without ``"`` or ``\\``;
- one-line flow lists and mappings of such scalars (plain ones of
  ``[A-Za-z0-9_./ -]``, nothing nested).

Left to libyaml: tabs, carriage returns and other characters outside printable
ASCII and the printable non-ASCII ranges that are no line break; a key left
empty (null); anchors, aliases, tags, block scalars, multi-line scalars, nested
flow collections, directives, more than one document; anything libyaml would
refuse. A test compares both readers on the corpus, on generated files and on
random edits of them.
"""

from __future__ import annotations

import re
from typing import Any

from airlift_component.config.yaml.values import plain_scalar_tag, scalar_value

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_PLAIN_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null")
)
#: Characters outside what is read here: C0 controls but the line feed (tab and
#: carriage return included), DEL, C1 controls, the NEL and Unicode line and paragraph
#: breaks, the byte-order mark, surrogates and non-characters.
_NOT_READ_HERE = (
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
#: The same for ASCII text (compiling the other takes 5 ms: only non-ASCII text needs it).
_NOT_READ_HERE_ASCII = re.compile("[^\n\x20-\x7e]")
#: One line: indent, a list dash and the spaces after it, a key and its colon, the rest.
_LINE = re.compile(r"( *)(?:(-)( +|$))?(?:([A-Za-z_][A-Za-z0-9_.\-]*):(?: +|$))?(.*)")
#: The first character of a plain scalar that YAML reads as an indicator instead.
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
_QUOTED = re.compile(r"'[^']*'|\"[^\"\\]*\"")
#: What may be a quoted scalar in a line: a `` #`` inside is no comment. A quote in a
#: plain scalar (``it's``) may hide one; such a plain scalar is then refused.
_QUOTED_ANYWHERE = re.compile(r"'[^']*'|\"[^\"]*\"")
#: One item of a flow list (a plain or quoted scalar) and the comma or end after it.
_FLOW_ITEM = re.compile(
    r" *(?:'([^']*)'|\"([^\"\\]*)\"|([A-Za-z0-9_./][A-Za-z0-9_./ \-]*?)) *(,|$)"
)
#: A plain item of a flow list without its spaces around (as _FLOW_ITEM reads it).
_FLOW_PLAIN = re.compile(r"[A-Za-z0-9_./](?:[A-Za-z0-9_./ \-]*[A-Za-z0-9_./\-])?")
_FLOW_KEY = re.compile(r" *([A-Za-z_][A-Za-z0-9_.\-]*): +")
#: Deepest nesting read here (:data:`~.values.MAX_DEPTH` is libyaml's limit).
MAX_DEPTH = 50
_KEY_MAX_LENGTH = 1000
_UNKNOWN = object()


class _NotBlock(Exception):
    """The file is not in the layout read here."""


class _Reader:
    """Scalars of one file; the placeholder strings in the order they were read."""

    def __init__(self) -> None:
        self.placeholders: list[str] = []
        #: Values of plain scalars seen before (``true``, ``bench``); bounded.
        self.known: dict[str, Any] = {}
        self.keys: set[str] = set()

    def key(self, key: str) -> str:
        if key not in self.keys:
            if plain_scalar_tag(key) != _STR:
                raise _NotBlock
            if len(self.keys) < 10_000:
                self.keys.add(key)
        return key

    def plain(self, value: str) -> Any:
        known = self.known.get(value, _UNKNOWN)
        if known is not _UNKNOWN:
            if known.__class__ is str and "${" in known:
                self.placeholders.append(known)
            return known
        tag = plain_scalar_tag(value)
        if tag in (_STR, _TIMESTAMP):
            built: Any = value
            if tag == _STR and "${" in value:
                self.placeholders.append(value)
        elif tag in _PLAIN_SCALAR_TAGS:
            import yaml

            try:
                built = scalar_value(yaml.ScalarNode(tag, value))
            except Exception:  # PyYAML's constructors raise anything on a mistagged value
                raise _NotBlock from None
        else:
            raise _NotBlock  # a merge key or a value ("=") tag
        if len(value) <= 64 and len(self.known) < 10_000:
            self.known[value] = built
        return built

    def quoted(self, value: str) -> str:
        if "${" in value:
            self.placeholders.append(value)
        return value

    def value(self, text: str) -> Any:
        """A one-line value after ``key:`` or ``-``: a scalar or a flow collection."""
        first = text[0]
        if first == "'" or first == '"':
            if _QUOTED.fullmatch(text) is None:
                raise _NotBlock
            return self.quoted(text[1:-1])
        if first == "[":
            return self.flow_list(text)
        if first == "{":
            return self.flow_mapping(text)
        if first in _INDICATORS and not (first == "-" and text[1:2].isdigit()):
            raise _NotBlock
        if ": " in text or text[-1] == ":" or " #" in text:
            raise _NotBlock
        return self.plain(text)

    def _flow_inner(self, text: str, close: str) -> str:
        if text[-1] != close:
            raise _NotBlock
        return text[1:-1]  # a nested collection matches no item: it is refused there

    def _flow_scalar(self, found: re.Match[str]) -> Any:
        single, double, plain = found.group(1, 2, 3)
        if plain is not None:
            return self.plain(plain)
        return self.quoted(single if single is not None else double)

    def flow_list(self, text: str) -> list[Any]:
        inner = self._flow_inner(text, "]")
        items: list[Any] = []
        if not inner.strip(" "):
            return items
        if "'" not in inner and '"' not in inner:  # plain items only: as _FLOW_ITEM reads them
            for part in inner.split(","):
                part = part.strip(" ")
                if _FLOW_PLAIN.fullmatch(part) is None:
                    raise _NotBlock
                items.append(self.plain(part))
            return items
        position, end = 0, len(inner)
        while position < end:
            found = _FLOW_ITEM.match(inner, position)
            if found is None:
                raise _NotBlock
            items.append(self._flow_scalar(found))
            position = found.end()
            if found.group(4) == "," and position == end:
                raise _NotBlock  # a trailing comma
        return items

    def flow_mapping(self, text: str) -> dict[str, Any]:
        inner = self._flow_inner(text, "}")
        out: dict[str, Any] = {}
        if not inner.strip(" "):
            return out
        position, end = 0, len(inner)
        while position < end:
            key = _FLOW_KEY.match(inner, position)
            if key is None:
                raise _NotBlock
            found = _FLOW_ITEM.match(inner, key.end())
            if found is None:
                raise _NotBlock
            name = self.key(key.group(1))
            if name in out:
                raise _NotBlock
            out[name] = self._flow_scalar(found)
            position = found.end()
            if found.group(4) == "," and position == end:
                raise _NotBlock
        return out


#: What one line says: its indent, whether it has a list dash, the indent of its key
#: (after the dash), the key or None, what follows the key (:data:`_EMPTY`: a block
#: below; :data:`_SCALAR`; :data:`_LIST` and :data:`_MAPPING`: a flow collection, as a
#: tuple of items or of pairs) and the value.
_Line = tuple[int, bool, int, Any, int, Any]  # the key: str | None
_SCALAR, _EMPTY, _LIST, _MAPPING, _DOCUMENT, _NOTHING = range(6)
_BLANK: _Line = (0, False, 0, None, _NOTHING, None)


def _parse_line(line: str, reader: _Reader) -> _Line:
    """What one line says, or :data:`_BLANK` for a blank or comment line."""
    if "#" in line:
        if line.lstrip(" ")[:1] == "#":
            return _BLANK
        bare = line
        if "'" in line or '"' in line:  # no comment inside quotes
            bare = _QUOTED_ANYWHERE.sub(lambda quoted: "q" * len(quoted[0]), line)
        cut = bare.find(" #")
        if cut >= 0:
            line = line[:cut]
    line = line.rstrip(" ")
    if not line:
        return _BLANK
    if line == "---":
        return (0, False, 0, None, _DOCUMENT, None)
    found = _LINE.fullmatch(line)
    if found is None:  # pragma: no cover - the pattern matches every line
        raise _NotBlock
    spaces, dash, after_dash, key, rest = found.groups()
    indent = len(spaces)
    if dash is not None and not after_dash:
        raise _NotBlock  # "-" with nothing after it
    key_indent = indent if dash is None else indent + 1 + len(after_dash)
    if key is None:
        if dash is None or not rest or rest[:2] == "- ":
            raise _NotBlock  # a scalar where a key belongs, or a list in a list
    else:
        if len(key) > _KEY_MAX_LENGTH:
            raise _NotBlock  # libyaml's longest simple key is 1,024 characters
        reader.key(key)
        if not rest:
            return (indent, dash is not None, key_indent, key, _EMPTY, None)
    value = reader.value(rest)
    if value.__class__ is list:
        return (indent, dash is not None, key_indent, key, _LIST, tuple(value))
    if value.__class__ is dict:
        return (indent, dash is not None, key_indent, key, _MAPPING, tuple(value.items()))
    return (indent, dash is not None, key_indent, key, _SCALAR, value)


def block_values(text: str) -> tuple[dict[str, Any], list[str]] | None:
    """The top-level mapping of ``text`` and every string value holding ``${``, in
    document order, as :func:`~.events.plain_values` gives them; ``None`` when the
    file is not in the layout read here (read it with libyaml then)."""
    refused = _NOT_READ_HERE_ASCII if text.isascii() else re.compile(_NOT_READ_HERE)
    if refused.search(text) is not None:
        return None
    try:
        return _read(text.split("\n"))
    except _NotBlock:
        return None


def _read(lines: list[str]) -> tuple[dict[str, Any], list[str]]:
    reader = _Reader()
    placeholders = reader.placeholders
    #: Lines read before (most repeat: ``group: bench``), unless they hold a placeholder.
    seen: dict[str, _Line] = {}
    seen_get = seen.get
    root: dict[str, Any] = {}
    #: Open blocks, innermost last: (the indent of their keys or dashes, the block);
    #: the innermost is also ``top_indent`` and ``top``.
    blocks: list[tuple[int, Any]] = [(0, root)]
    top_indent: int = 0
    top: Any = root
    #: A key waiting for its block: (its mapping, the key, the key's indent).
    waiting: tuple[dict[str, Any], Any, int] | None = None
    document = False
    for line in lines:
        parsed = seen_get(line)
        if parsed is None:
            count = len(placeholders)
            parsed = _parse_line(line, reader)
            if len(placeholders) == count:
                seen[line] = parsed
        indent, dash, key_indent, key, kind, value = parsed
        if kind >= _DOCUMENT:
            if kind == _DOCUMENT:
                if root or document:
                    raise _NotBlock  # a second document
                document = True
            continue
        if waiting is not None:
            mapping, name, waiting_indent = waiting
            waiting = None
            if dash and indent >= waiting_indent:
                block: Any = []
            elif not dash and indent > waiting_indent:
                block = {}
            else:
                raise _NotBlock  # the key is left empty: null
            mapping[name] = block
            blocks.append((indent, block))
            if len(blocks) > MAX_DEPTH:
                raise _NotBlock
            top_indent, top = indent, block
        elif indent < top_indent:
            while blocks[-1][0] > indent:
                blocks.pop()
            top_indent, top = blocks[-1]
        if not dash and top.__class__ is list:  # a key after an indentless list
            blocks.pop()
            top_indent, top = blocks[-1]
        if top_indent != indent:
            raise _NotBlock
        if dash:
            if top.__class__ is not list:
                raise _NotBlock  # a dash where a key belongs
            if key is None:
                top.append(value if kind == _SCALAR else _built(kind, value))
                continue
            item: dict[str, Any] = {}
            top.append(item)
            blocks.append((key_indent, item))
            if len(blocks) > MAX_DEPTH:
                raise _NotBlock
            top_indent, top = key_indent, item
        if key in top:
            raise _NotBlock
        if kind == _SCALAR:
            top[key] = value
        elif kind == _EMPTY:
            top[key] = None  # until its block is read
            waiting = (top, key, key_indent)
        else:
            top[key] = _built(kind, value)
    if waiting is not None or not root:
        raise _NotBlock
    return root, placeholders


def _built(kind: int, items: tuple[Any, ...]) -> Any:
    """A new flow collection from a line's items (a line read before shares them)."""
    return list(items) if kind == _LIST else dict(items)
