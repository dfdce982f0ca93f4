"""Turning libyaml's node tree into plain values, refusing what JSON cannot hold.

Used by :mod:`airlift_component.config.yaml.read`, which keeps the nodes for
positions. The loader resolves tags more cheaply than PyYAML's own, and the
builder is written for speed: `airlift validate` runs it over every file.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import yaml

from airlift_component.config.problems import Problem

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_scalar_constructor = yaml.constructor.SafeConstructor()
#: The tags whose values JSON can hold too; others (binary, set, custom) are refused
#: so that the models and the JSON Schema always judge the same data.
_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")
)
_SEQ = "tag:yaml.org,2002:seq"
_BOOL = "tag:yaml.org,2002:bool"
_BOOLS = {
    word: value
    for value, words in ((True, ("true", "True", "TRUE")), (False, ("false", "False", "FALSE")))
    for word in words
}
_MAP = "tag:yaml.org,2002:map"


def _plain_tag(node: yaml.Node) -> bool:
    if isinstance(node, yaml.ScalarNode):
        return node.tag in _SCALAR_TAGS
    return node.tag == (_SEQ if isinstance(node, yaml.SequenceNode) else _MAP)


#: The implicit resolvers (tag, pattern) to try, by a plain scalar's first character.
_RESOLVERS: dict[str, tuple[tuple[str, Any], ...]] = {
    first: tuple(resolvers) + tuple(_BaseLoader.yaml_implicit_resolvers.get(None, ()))
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    if first is not None
}
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 10_000
#: Longer values are resolved every time: the cache must stay small whatever files it sees.
_RESOLVED_MAX_LENGTH = 64


def plain_scalar_tag(value: str) -> str:
    """The tag of a plain (unquoted, untagged) scalar, as PyYAML's safe loader resolves
    it: ``tag:yaml.org,2002:str`` for ``load_raw``, ``...:bool`` for ``true``, ``...:int``
    for ``1_000``."""
    resolvers = _RESOLVERS.get(value[:1])
    if resolvers is None:
        return _STR
    tag = _RESOLVED.get(value)
    if tag is None:
        tag = next((tag for tag, pattern in resolvers if pattern.match(value)), _STR)
        if len(value) <= _RESOLVED_MAX_LENGTH and len(_RESOLVED) < _RESOLVED_MAX:
            _RESOLVED[value] = tag
    return tag


class Loader(_BaseLoader):
    """PyYAML's safe loader with cheaper tag resolution.

    libyaml calls back into Python to resolve the tag of every scalar; most plain
    scalars in our files (ids, asset keys) cannot be anything but strings, which
    their first character already tells, and the rest repeat (``true``, ``tasks``).
    The others are matched against the same patterns PyYAML's resolver uses.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return plain_scalar_tag(value)
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers are registered: nothing to track."""

    def ascend_resolver(self) -> None:
        """No path resolvers are registered: nothing to track."""


class YamlLoadError(Exception):
    """The file could not be read as one YAML mapping; ``problem`` says why and where."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem if problem.rule else replace(problem, rule="yaml")
        super().__init__(problem.format())


def scalar_value(node: yaml.ScalarNode) -> Any:
    """The value of a scalar node; timestamps stay strings (the models parse dates)."""
    if node.tag == _STR or node.tag == _TIMESTAMP:
        return node.value
    try:
        return _scalar_constructor.construct_object(node, deep=True)
    finally:  # the constructor remembers every node it built; it must not keep ours
        _scalar_constructor.constructed_objects.pop(node, None)


#: Most alias uses (``*name``) one file may contain.
MAX_ALIASES = 10_000
#: Most values that aliases may add to a file in total (a "billion laughs" adds billions).
MAX_ALIAS_VALUES = 100_000
#: Deepest nesting of lists and mappings (airlift's formats need fewer than ten levels).
MAX_DEPTH = 100


def _same_key(a: Any, b: Any) -> bool:
    """Key equality that also holds for NaN (``.nan`` twice is the same key to a reader)."""
    return a is b or a == b or (a != a and b != b)


class Builder:
    """Turns a node tree into dicts, lists and scalars, reporting misuse with positions.

    An alias (``*name``) gives the value built for its anchor again, shared rather
    than copied; what aliases would add if expanded is counted, and a file whose
    aliases expand beyond :data:`MAX_ALIASES` uses or :data:`MAX_ALIAS_VALUES` values
    is refused (alias and merge-key bombs), as is nesting deeper than :data:`MAX_DEPTH`.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.active: set[int] = set()
        self.placeholder_strings: list[str] = []
        #: id(node) -> (value, how many values it holds when fully expanded)
        self.built: dict[int, tuple[Any, int]] = {}
        self.values = 0  # values built or added by aliases so far
        self.aliases = 0
        self.alias_values = 0

    def fail(
        self, node: yaml.Node, message: str, hint: str = "", rule: str = "yaml"
    ) -> YamlLoadError:
        mark = node.start_mark
        problem = Problem(self.path, mark.line + 1, mark.column + 1, message, hint=hint, rule=rule)
        return YamlLoadError(problem)

    def build(self, node: yaml.Node) -> Any:
        if node.tag == _STR and type(node) is yaml.ScalarNode:
            value: str = node.value  # the common case, first: most values are plain strings
            if "${" in value:
                self.placeholder_strings.append(value)
            return value
        if not _plain_tag(node):
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise self.fail(node, f"unsupported YAML tag {tag!r}", "remove the tag")
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _BOOL and node.value in _BOOLS:
                return _BOOLS[node.value]
            try:
                return scalar_value(node)
            except Exception:  # PyYAML's constructors raise anything on a mistagged value
                raise self.fail(
                    node,
                    f"{node.value!r} cannot be read as {node.tag.rsplit(':', 1)[-1]}",
                    "fix the value or remove the tag",
                ) from None
        key = id(node)
        done = self.built.get(key)
        if done is not None:
            return self._alias(node, *done)
        if key in self.active:
            raise self.fail(node, "recursive YAML alias", "expand the alias by hand")
        if len(self.active) >= MAX_DEPTH:
            raise self.fail(
                node,
                f"lists and mappings are nested more than {MAX_DEPTH} levels deep",
                "flatten the structure",
            )
        self.active.add(key)
        before = self.values
        self.values += 1 + len(node.value)
        try:
            built: list[Any] | dict[Any, Any]
            if isinstance(node, yaml.SequenceNode):
                built = [self.build(item) for item in node.value]
            else:
                assert isinstance(node, yaml.MappingNode)
                built = self.build_mapping(node)
        finally:
            self.active.discard(key)
        self.built[key] = (built, self.values - before)
        return built

    def _alias(self, node: yaml.Node, value: Any, size: int) -> Any:
        """A value used again through an alias: counted as if it were copied."""
        self.aliases += 1
        self.alias_values += size
        self.values += size
        if self.aliases > MAX_ALIASES or self.alias_values > MAX_ALIAS_VALUES:
            raise self.fail(
                node,
                f"YAML aliases expand to too much (over {MAX_ALIASES:,} uses or "
                f"{MAX_ALIAS_VALUES:,} values); the value anchored here is one of them",
                "write the values out instead of repeating aliases",
            )
        return value

    def build_mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        merges: list[dict[Any, Any]] = []
        build = self.build
        for key_node, value_node in node.value:
            if key_node.tag == _STR and type(key_node) is yaml.ScalarNode:
                key = key_node.value
            elif key_node.tag == MERGE:
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    merged = build(source)
                    if not isinstance(merged, dict):
                        raise self.fail(source, "a '<<' merge key needs a mapping to merge")
                    merges.append(merged)
                continue
            elif not isinstance(key_node, yaml.ScalarNode):
                raise self.fail(
                    key_node, "mapping keys must be plain values, not lists or mappings"
                )
            else:
                key = build(key_node)
                try:
                    hash(key)
                except TypeError:
                    raise self.fail(key_node, "mapping keys must be plain values") from None
            if key in out:  # merged keys are added only after this loop
                raise self._duplicate(node, key_node, key)
            out[key] = build(value_node)
        for merged in merges:
            for key, value in merged.items():
                out.setdefault(key, value)
        return out

    def _duplicate(self, node: yaml.MappingNode, key_node: yaml.Node, key: Any) -> YamlLoadError:
        first = next(
            (
                k
                for k, _ in node.value
                if k is not key_node and k.tag != MERGE and _same_key(self.build(k), key)
            ),
            key_node,
        )
        return self.fail(
            key_node,
            f"duplicate key {key!r} (first defined on line {first.start_mark.line + 1})",
            "keep one of them",
            rule="duplicate-yaml-key",
        )
