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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from airlift_component.config.problems import Problem
from airlift_component.config.yaml_values import (
    MERGE,
    Builder,
    Loader,
    YamlLoadError,
    scalar_value,
)

__all__ = [
    "Loc",
    "YamlDocument",
    "YamlLoadError",
    "format_loc",
    "load_yaml_file",
    "parse_yaml_text",
    "read_text",
]

Loc = Sequence[str | int]


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
            if k.tag == MERGE:
                merged.extend(v.value if isinstance(v, yaml.SequenceNode) else [v])
            elif isinstance(k, yaml.ScalarNode) and scalar_value(k) == part:
                return k, v
        for source in merged:
            found = _child(source, part)
            if found is not None:
                return found
    return None


def parse_yaml_text(text: str, path: str, *, what: str) -> YamlDocument:
    """Parse ``text`` as a single YAML mapping; ``what`` names the file kind in errors."""
    if "\x00" in text:
        raise YamlLoadError(
            Problem(path, 1, 1, "this is not a text file", hint=f"{what} must be UTF-8 YAML")
        )
    try:
        root = yaml.compose(text, Loader=Loader)
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
    builder = Builder(path)
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
