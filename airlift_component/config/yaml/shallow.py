"""The values and positions of a small, shallow YAML file, read without libyaml.

Most proxied-state files look like this::

    tasks:
      - id: load_raw
        proxied: true

libyaml turns each into some sixty parser events that Python receives one by
one (about 0.08 ms a file, 0.1 s of `airlift validate` over 1,000 files), and
the node tree they compose serves only to locate a problem. A file written in
the narrow layout below is read here line by line with one regular expression
instead, several times faster, with the position of every key and value.

The layout: a top-level mapping whose keys each hold a plain value, or a list
of mappings of plain values (``- key: value`` then ``  key: value`` lines, the
list at any indent). Keys are names (``[A-Za-z_][A-Za-z0-9_]*``), values plain
scalars of ``A-Z a-z 0-9 _ . - /``; no blank line, comment, quote, flow style,
tab, CR, document marker, empty value or repeated key. Each scalar gets the tag
PyYAML's safe loader would give it (``yes`` is a bool, ``1_000`` an int) and
the value :class:`~.values.Builder` would give it. Anything else returns
``None``, and the caller reads the file with libyaml, which gives the same
values, or the located problem (a test compares both on generated files).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from airlift_component.config.yaml.values import plain_scalar_tag, scalar_value

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_NULL = "tag:yaml.org,2002:null"
#: Most lines read this way: a longer file is worth libyaml's start-up cost.
MAX_LINES = 10_000
_LINE = re.compile(
    r"(?P<indent> *)(?P<dash>- )?(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?: (?P<value>[A-Za-z0-9_./-]+))?"
)

#: Where a value and its key start: 1-based (line, column) each; no key for the root
#: and for list items.
Place = tuple[tuple[int, int], tuple[int, int] | None]


class _NotShallow(Exception):
    pass


#: The values of scalars seen before (``true``, ``tasks``), and the keys known to be
#: strings; bounded, whatever files are read.
_KNOWN: dict[str, Any] = {}
_KEYS: set[str] = set()
_KNOWN_MAX = 10_000
_KNOWN_MAX_LENGTH = 64
_UNKNOWN = object()


def _scalar(value: str) -> Any:
    known = _KNOWN.get(value, _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    if value == "-":
        raise _NotShallow  # it starts a list
    tag = plain_scalar_tag(value)
    if tag in (_STR, _TIMESTAMP):
        built: Any = value
    elif tag == _NULL:
        raise _NotShallow  # a null is left to libyaml
    else:
        try:
            built = scalar_value(yaml.ScalarNode(tag, value))
        except Exception:  # PyYAML's constructors raise anything on a mistagged value
            raise _NotShallow from None
    if len(value) <= _KNOWN_MAX_LENGTH and len(_KNOWN) < _KNOWN_MAX:
        _KNOWN[value] = built
    return built


def _key(key: str) -> str:
    if key not in _KEYS:
        if plain_scalar_tag(key) != _STR:
            raise _NotShallow
        if len(_KEYS) < _KNOWN_MAX:
            _KEYS.add(key)
    return key


def read_shallow(text: str) -> tuple[dict[str, Any], dict[tuple[Any, ...], Place]] | None:
    """The top-level mapping of ``text`` and the place of every value by its location
    (``("tasks", 0, "id")``), or ``None`` when ``text`` is not in the layout."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines or len(lines) > MAX_LINES:
        return None
    try:
        return _read(lines)
    except _NotShallow:
        return None


def _read(lines: list[str]) -> tuple[dict[str, Any], dict[tuple[Any, ...], Place]]:
    data: dict[str, Any] = {}
    places: dict[tuple[Any, ...], Place] = {(): ((1, 1), None)}
    items: list[dict[str, Any]] | None = None  # the list being read, if any
    list_key = ""
    item: dict[str, Any] = {}
    index = item_indent = 0
    match, known, keys = _LINE.fullmatch, _KNOWN.get, _KEYS  # the loop runs once a line
    for number, line in enumerate(lines, 1):
        found = match(line)
        if found is None:
            raise _NotShallow
        indent, dash, key, value = found.groups()
        width = len(indent)
        if key not in keys:
            _key(key)
        if dash is None and width == 0:  # a top-level key
            if key in data or (items is not None and not items):
                raise _NotShallow
            items = None
            if value is None:
                items, list_key = [], key
                data[key] = items
                places[(key,)] = ((0, 0), (number, 1))  # the list's place: its first item
            else:
                data[key] = _scalar(value)
                places[(key,)] = ((number, len(key) + 3), (number, 1))
            continue
        if items is None or value is None:
            raise _NotShallow
        if dash is not None:
            if items and width != item_indent - 2:
                raise _NotShallow
            item_indent = width + 2
            item = {}
            index = len(items)
            items.append(item)
            if index == 0:
                places[(list_key,)] = ((number, width + 1), places[(list_key,)][1])
            places[(list_key, index)] = ((number, item_indent + 1), None)
        elif width != item_indent or key in item:
            raise _NotShallow
        built = known(value, _UNKNOWN)
        item[key] = _scalar(value) if built is _UNKNOWN else built
        places[(list_key, index, key)] = (
            (number, item_indent + len(key) + 3),
            (number, item_indent + 1),
        )
    if items is not None and not items:
        raise _NotShallow  # a key left empty: null, left to libyaml
    return data, places
