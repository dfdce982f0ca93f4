"""Fast YAML reading that remembers where every value came from.

Files are composed by libyaml (PyYAML's C binding) into nodes, then turned into
plain Python values by a small constructor of ours. Keeping the nodes lets any
later check point at the exact line and column of a key or value, and composing
in C keeps `airlift validate` fast on files with tens of thousands of lines.
PyYAML is also how Dagster and dagster-airlift read these files, so a value
means the same thing to all three.

Timestamps stay strings (the models parse dates themselves), duplicate keys are
errors rather than "last one wins", and only the standard safe tags are allowed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from airlift_component.config.problems import Problem

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
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


Loc = Sequence[str | int]

_RESOLVED_FIRST_CHARS = frozenset(_BaseLoader.yaml_implicit_resolvers)
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 10_000


class _Loader(_BaseLoader):
    """PyYAML's safe loader with cheaper tag resolution.

    libyaml calls back into Python to resolve the tag of every scalar; most plain
    scalars in our files (ids, asset keys) cannot be anything but strings, which
    their first character already tells, and the rest repeat (``true``, ``tasks``).
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            if value[:1] not in _RESOLVED_FIRST_CHARS:
                return _STR
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_RESOLVED) < _RESOLVED_MAX:
                    _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers are registered: nothing to track."""

    def ascend_resolver(self) -> None:
        """No path resolvers are registered: nothing to track."""


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building a node tree allocates many small objects that all stay alive; the
    cyclic collector would rescan them again and again (3x slower on big files)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class YamlLoadError(Exception):
    """The file could not be read as one YAML mapping; ``problem`` says why and where."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem if problem.rule else replace(problem, rule="yaml")
        super().__init__(problem.format())


@dataclass
class YamlDocument:
    """A YAML file's plain data and the node tree it was built from."""

    path: str
    data: dict[str, Any]
    root: yaml.MappingNode
    #: Every string value containing ``${`` (``None``: not recorded, look at ``data``).
    placeholder_strings: list[str] | None = None

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        """1-based (line, column) of the value at ``loc``, or of its key with ``key=True``.

        When ``loc`` goes deeper than the document (a missing key), the position of
        the deepest existing parent is returned.
        """
        node: yaml.Node = self.root
        key_node: yaml.Node | None = None
        for part in loc:
            found = _child(node, part)
            if found is None:
                break
            key_node, node = found
        target = key_node if key and key_node is not None else node
        return target.start_mark.line + 1, target.start_mark.column + 1

    def problem(
        self, loc: Loc, message: str, *, hint: str = "", key: bool = False, rule: str = ""
    ) -> Problem:
        """A :class:`Problem` at ``loc`` in this document."""
        line, col = self.position(loc, key=key)
        return Problem(self.path, line, col, message, field=format_loc(loc), hint=hint, rule=rule)


def format_loc(loc: Loc) -> str:
    """``("instances", 0, "url")`` → ``$.instances[0].url``."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            return None, node.value[part]
        return None
    if isinstance(node, yaml.MappingNode):
        merged: list[yaml.Node] = []
        for k, v in node.value:
            if k.tag == _MERGE:
                merged.extend(v.value if isinstance(v, yaml.SequenceNode) else [v])
            elif isinstance(k, yaml.ScalarNode) and _scalar(k) == part:
                return k, v
        for source in merged:
            found = _child(source, part)
            if found is not None:
                return found
    return None


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.tag == _STR or node.tag == _TIMESTAMP:
        return node.value
    return _scalar_constructor.construct_object(node, deep=True)


class _Builder:
    """Turns a node tree into dicts, lists and scalars, reporting misuse with positions."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.active: set[int] = set()
        self.placeholder_strings: list[str] = []

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
                return _scalar(node)
            except Exception:  # PyYAML's constructors raise anything on a mistagged value
                raise self.fail(
                    node,
                    f"{node.value!r} cannot be read as {node.tag.rsplit(':', 1)[-1]}",
                    "fix the value or remove the tag",
                ) from None
        if id(node) in self.active:
            raise self.fail(node, "recursive YAML alias", "expand the alias by hand")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item) for item in node.value]
            assert isinstance(node, yaml.MappingNode)
            return self.build_mapping(node)
        finally:
            self.active.discard(id(node))

    def build_mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        merges: list[dict[Any, Any]] = []
        build = self.build
        for key_node, value_node in node.value:
            if key_node.tag == _STR and type(key_node) is yaml.ScalarNode:
                key = key_node.value
            elif key_node.tag == _MERGE:
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
        first = next(k for k, _ in node.value if k.tag != _MERGE and self.build(k) == key)
        return self.fail(
            key_node,
            f"duplicate key {key!r} (first defined on line {first.start_mark.line + 1})",
            "keep one of them",
            rule="duplicate-yaml-key",
        )


def parse_yaml_text(text: str, path: str, *, what: str) -> YamlDocument:
    """Parse ``text`` as a single YAML mapping; ``what`` names the file kind in errors."""
    if "\x00" in text:
        raise YamlLoadError(
            Problem(path, 1, 1, "this is not a text file", hint=f"{what} must be UTF-8 YAML")
        )
    try:
        with _gc_paused():
            root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        detail = exc.problem or "invalid YAML"
        if exc.context:
            detail = f"{exc.context}, {detail}"
        raise YamlLoadError(
            Problem(path, line, col, f"YAML syntax error: {detail}", hint="fix the YAML syntax")
        ) from None
    except yaml.YAMLError as exc:
        raise YamlLoadError(Problem(path, 1, 1, f"YAML error: {exc}")) from None
    if root is None:
        raise YamlLoadError(
            Problem(path, 1, 1, "file is empty", hint=f"{what} must be a YAML mapping")
        )
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        mark = root.start_mark
        raise YamlLoadError(
            Problem(
                path,
                mark.line + 1,
                mark.column + 1,
                f"the top level is {kind}, not a mapping",
                hint=f"{what} must be a YAML mapping of keys to values",
            )
        )
    builder = _Builder(path)
    with _gc_paused():
        data = builder.build(root)
    return YamlDocument(path, data, root, builder.placeholder_strings)


def read_text(path: Path, *, what: str) -> str:
    """Read a UTF-8 file, turning I/O and decoding failures into :class:`YamlLoadError`."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise YamlLoadError(
            Problem(str(path), 1, 1, "is a folder, not a file", hint=f"give the path of {what}")
        ) from None
    except FileNotFoundError:
        raise YamlLoadError(
            Problem(str(path), 1, 1, "no such file", hint="check the path")
        ) from None
    except OSError as exc:
        raise YamlLoadError(
            Problem(str(path), 1, 1, f"cannot read file: {exc.strerror}", hint="check permissions")
        ) from None
    if b"\x00" in raw:
        raise YamlLoadError(
            Problem(str(path), 1, 1, "this is not a text file", hint=f"{what} must be UTF-8 YAML")
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlLoadError(
            Problem(str(path), line, 1, "file is not valid UTF-8", hint="save it as UTF-8")
        ) from None


def load_yaml_file(path: Path, *, what: str) -> YamlDocument:
    """Read and parse one YAML mapping file."""
    return parse_yaml_text(read_text(path, what=what), str(path), what=what)
