"""The values of a plain YAML file, built from libyaml's events without a node tree.

:mod:`.read` composes the whole node tree of a file (every node with its start
and end marks: about 40 objects per mapped task of ``airlift.yaml``) and builds the
values from it. Made in one go, that tree is what CPython's cyclic collector scans
again and again while a large file is read: at 10,000 mappings, five full passes
over up to 575,000 objects, 0.95 s of the 1.15 s the read took. The loader only
needs the tree to locate a problem, so it first reads the values here, straight from
the parser's events, which are dropped as soon as they are read, and composes the
tree only when there is a problem to locate. Cold definitions build at 1,000 DAGs x
10 tasks (``bench/compare``): reading ``airlift.yaml`` 1.5 s -> 0.54 s CPU, the whole
build 4.1 s -> 2.95 s.

Only the plain YAML that ``airlift.yaml`` files are written in is read here. On
anything else (an anchor or alias, a merge key, an explicit tag, a non-scalar or
duplicate key, nesting as deep as :data:`~.values.MAX_DEPTH`, a value its
scalar constructor refuses, more than one document, a syntax error)
:func:`plain_values` returns ``None`` and the caller reads the file with
:func:`~.read.parse_yaml_text`, which gives the same values, or the problem
with its line and column. Tag resolution is the node tree's own
(:class:`~.values.Loader`), and each scalar is turned into a value as
:class:`~.values.Builder` does, so a file read here has the values it has there
(a test compares both on every corpus file).
"""

from __future__ import annotations

from typing import Any

import yaml

from airlift_component.config.yaml.values import MAX_DEPTH, Loader, plain_scalar_tag, scalar_value

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_PLAIN_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)


class _NotPlain(Exception):
    """The file needs the node tree (or has a problem to locate)."""


_SCALAR = yaml.ScalarEvent
_MAPPING_START = yaml.MappingStartEvent
_MAPPING_END = yaml.MappingEndEvent
_SEQUENCE_START = yaml.SequenceStartEvent
_SEQUENCE_END = yaml.SequenceEndEvent
_NODE = yaml.ScalarNode


class _Reader:
    """The values of one file's events. The loops below run once per key and value of
    the file (about 150,000 times for ``airlift.yaml`` at 1,000 DAGs x 10 tasks), so
    they handle the usual case, a plain string, inline."""

    def __init__(self, loader: Any) -> None:
        self.get = loader.get_event
        self.resolve = loader.resolve
        self.placeholders: list[str] = []
        #: Keys seen before that are strings (``task``, ``assets``): no resolving again.
        self.str_keys: set[str] = set()

    def scalar(self, event: Any) -> Any:
        if event.anchor is not None or event.tag is not None:
            raise _NotPlain
        value: str = event.value
        if event.implicit[0]:
            tag = plain_scalar_tag(value)
        else:
            tag = self.resolve(_NODE, value, event.implicit)
        if tag == _STR:
            if "${" in value:
                self.placeholders.append(value)
            return value
        if tag not in _PLAIN_SCALAR_TAGS:
            raise _NotPlain
        if tag == _TIMESTAMP:
            return value
        try:
            return scalar_value(_NODE(tag, value))
        except Exception:  # PyYAML's constructors raise anything on a mistagged value
            raise _NotPlain from None

    def value(self, event: Any, depth: int) -> Any:
        kind = type(event)
        if kind is _SCALAR:
            return self.scalar(event)
        if kind is _MAPPING_START:
            return self.mapping(event, depth)
        if kind is _SEQUENCE_START:
            if event.anchor is not None or event.tag is not None or depth >= MAX_DEPTH:
                raise _NotPlain
            items = []
            get, scalar, value = self.get, self.scalar, self.value
            event = get()
            kind = type(event)
            while kind is not _SEQUENCE_END:
                items.append(scalar(event) if kind is _SCALAR else value(event, depth + 1))
                event = get()
                kind = type(event)
            return items
        raise _NotPlain  # an alias

    def mapping(self, event: Any, depth: int) -> dict[Any, Any]:
        if event.anchor is not None or event.tag is not None or depth >= MAX_DEPTH:
            raise _NotPlain
        out: dict[Any, Any] = {}
        get, scalar, value, str_keys = self.get, self.scalar, self.value, self.str_keys
        event = get()
        while type(event) is not _MAPPING_END:
            if type(event) is not _SCALAR or event.anchor is not None:
                raise _NotPlain
            key = event.value
            if event.tag is not None:
                key = scalar(event)  # refused there
            elif key not in str_keys and event.implicit[0]:
                if plain_scalar_tag(key) != _STR:
                    key = scalar(event)  # a merge key ("<<") is refused there
                elif len(str_keys) < _STR_KEYS_MAX and len(key) <= _STR_KEY_MAX_LENGTH:
                    str_keys.add(key)  # only plain keys: a quoted 'true' is no plain true
            # else, like the builder, a string key is not a placeholder
            if key in out:
                raise _NotPlain
            event = get()
            out[key] = scalar(event) if type(event) is _SCALAR else value(event, depth + 1)
            event = get()
        return out


_STR_KEYS_MAX = 10_000
_STR_KEY_MAX_LENGTH = 64


def plain_values(text: str) -> tuple[dict[str, Any], list[str]] | None:
    """The top-level mapping of ``text`` and every string value holding ``${``, in
    document order; ``None`` when the file is not plain YAML or is not well formed
    (read it with :func:`~.read.parse_yaml_text` then)."""
    if "\x00" in text:
        return None
    loader = Loader(text)
    try:
        reader = _Reader(loader)
        get = reader.get
        if type(get()) is not yaml.StreamStartEvent or type(get()) is not yaml.DocumentStartEvent:
            return None
        first = get()
        if type(first) is not yaml.MappingStartEvent:
            return None
        data = reader.mapping(first, 0)
        if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
            return None
        return data, reader.placeholders
    except (yaml.YAMLError, _NotPlain, RecursionError):
        return None
    finally:
        loader.dispose()
