"""Fast YAML reading that remembers where every value came from.

Files are composed by libyaml (PyYAML's C binding) into nodes, then turned into
plain Python values by a small constructor of ours. Keeping the nodes lets any
later check point at the exact line and column of a key or value, and composing
in C keeps `airlift validate` fast on files with tens of thousands of lines.
:func:`read_yaml_values` (what ``airlift.yaml`` is read with, for a load and for
``airlift validate`` alike) reads a plain file's values line by line (plain block
YAML) or from libyaml's events, and composes the nodes only when a problem is to be
located.
PyYAML is also how Dagster and dagster-airlift read these files, so a value
means the same thing to all three.

Timestamps stay strings (the models parse dates themselves), duplicate keys are
errors rather than "last one wins", and only the standard safe tags are allowed.

Hostile files get bounded time and memory: only regular files up to
:data:`MAX_FILE_BYTES` are read (a FIFO or a link to ``/dev/zero`` is refused, not
waited on), and alias expansion and nesting are capped (see
:class:`~airlift_component.config.yaml.values.Builder`). Every failure is one
:class:`~airlift_component.config.problems.Problem` with a line and column.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from airlift_component.config.bounded_read import read_up_to
from airlift_component.config.problems import Problem
from airlift_component.config.yaml.block import block_values
from airlift_component.config.yaml.events import plain_values
from airlift_component.config.yaml.shallow import Place, read_shallow
from airlift_component.config.yaml.values import (
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
    "decode_text",
    "format_loc",
    "load_yaml_file",
    "parse_yaml_text",
    "parse_yaml_values",
    "read_bytes",
    "read_text",
    "read_yaml_values",
]

#: Largest file the tools read (a proxied-state file listing 100,000 tasks is ~3 MB).
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Characters YAML does not allow in a file (C0/C1 controls other than tab and line breaks).
#: (Compiled where a problem is worded: compiling it takes 5 ms.)
_NOT_YAML = r"[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"

Loc = Sequence[str | int]


@dataclass
class YamlDocument:
    """A YAML file's plain data and the node tree it was built from."""

    path: str
    data: dict[str, Any]
    root: yaml.MappingNode
    #: Every string value containing ``${``, one entry per place it is used (``None``:
    #: not recorded, look at ``data``).
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
    """Parse ``text`` as a single YAML mapping; ``what`` names the file kind in errors.

    A small file in the shallow layout most proxied-state files have is read without
    libyaml (:mod:`.shallow`), to the same values and positions; its node tree is
    composed only when asked for.
    """
    if "\x00" in text:
        raise YamlLoadError(
            Problem(path, 1, 1, "this is not a text file", hint=f"{what} must be UTF-8 YAML")
        )
    shallow = read_shallow(text)
    if shallow is not None:
        return _ShallowDocument(path, shallow[0], shallow[1], text, what)
    root = _compose(text, path, what=what)
    builder = Builder(path)
    data = builder.build(root)
    return YamlDocument(path, data, root, builder.placeholder_strings)


def _compose(text: str, path: str, *, what: str) -> yaml.MappingNode:
    """libyaml's node tree of ``text``, which must be one YAML mapping."""
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
    except yaml.reader.ReaderError:
        raise YamlLoadError(_bad_character(text, path)) from None
    except yaml.YAMLError as exc:  # no position: say what, on one line
        detail = " ".join(str(exc).split())
        raise YamlLoadError(
            Problem(path, 1, 1, f"YAML error: {detail}", hint="fix the YAML syntax")
        ) from None
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
    return root


class _TreeOnDemand(YamlDocument):
    """A parsed file that keeps its values and composes its node tree only when a
    position is asked for (a problem to locate).

    The node tree (libyaml's nodes and their start and end marks, about 40 objects
    per mapped task of ``airlift.yaml``) serves only to locate a problem. Kept while
    the model was validated, every full pass of CPython's cyclic collector re-scanned
    it (one pass over 680,000 objects at 10,000 mappings). Cold build at 1,000 DAGs
    x 10 tasks (``bench/compare``): about 0.2 s less CPU.
    """

    def __init__(
        self, path: str, data: dict[str, Any], placeholders: list[str] | None, text: str, what: str
    ) -> None:
        self.path, self.data, self.placeholder_strings = path, data, placeholders
        self._text, self._what = text, what

    def __getattr__(self, name: str) -> Any:
        if name != "root":
            raise AttributeError(name)
        self.root = _compose(self._text, self.path, what=self._what)
        return self.root


class _ShallowDocument(_TreeOnDemand):
    """A file read by :mod:`.shallow`: it knows the place of every key and value, so
    locating a problem composes no node tree."""

    def __init__(
        self,
        path: str,
        data: dict[str, Any],
        places: dict[tuple[Any, ...], Place],
        text: str,
        what: str,
    ) -> None:
        super().__init__(path, data, [], text, what)
        self._places = places

    def position(self, loc: Loc, *, key: bool = False) -> tuple[int, int]:
        if not all(type(part) is str or type(part) is int for part in loc):
            return super().position(loc, key=key)
        # The deepest part of ``loc`` the document has, as YamlDocument.position finds it.
        parts = tuple(loc)
        place = None
        while place is None:
            place = self._places.get(parts)
            parts = parts[:-1]
        value, key_place = place
        return key_place if key and key_place is not None else value


def parse_yaml_values(text: str, path: str, *, what: str) -> YamlDocument:
    """``text`` as a single YAML mapping, like :func:`parse_yaml_text`, with the same
    values and problems, but its node tree composed only when a position is asked for.

    A file in plain block YAML is read line by line (:mod:`.block`), any other plain
    file from libyaml's events (:mod:`.events`), without any tree; a file that is not
    plain YAML (anchors, merge keys, tags) or has a problem is read by
    :func:`parse_yaml_text`, which gives the same values, or the located problem.
    """
    plain = block_values(text)
    if plain is None:
        plain = plain_values(text)
    if plain is None:
        doc = parse_yaml_text(text, path, what=what)
        # No list of placeholder strings: an alias shares a value the builder saw once,
        # so the list could miss a place where a placeholder is used again.
        return _TreeOnDemand(path, doc.data, None, text, what)
    return _TreeOnDemand(path, plain[0], plain[1], text, what)


def _bad_character(text: str, path: str) -> Problem:
    """The first character YAML does not allow, with its line and column."""
    found = re.search(_NOT_YAML, text)
    if found is None:
        return Problem(path, 1, 1, "the file holds a character YAML does not allow")
    before = text[: found.start()]
    line = before.count("\n") + 1
    col = found.start() - (before.rfind("\n") + 1) + 1
    return Problem(
        path,
        line,
        col,
        f"control character U+{ord(found.group()):04X} is not allowed in YAML",
        hint="remove it, or write it as an escape inside double quotes",
    )


def _file_problem(path: Path, message: str, hint: str) -> YamlLoadError:
    return YamlLoadError(Problem(str(path), 1, 1, message, hint=hint))


def _too_big(path: Path, size: int, limit: int) -> YamlLoadError:
    return _file_problem(
        path,
        f"file is too big ({size:,} bytes; at most {limit:,} are read)",
        "split it, or check that this is the file you meant",
    )


def read_bytes(path: Path, *, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The content of a regular file of at most ``limit`` bytes (:data:`MAX_FILE_BYTES`).

    Anything else (a folder, FIFO, device or socket, a missing or unreadable
    file, or one too big) raises :class:`YamlLoadError` at once, without
    waiting on the file or reading more than the limit.
    """
    not_regular = "is not a regular file (a FIFO, device or socket)"
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise _file_problem(path, "is a folder, not a file", f"give the path of {what}")
        if not stat.S_ISREG(info.st_mode):  # checked before opening: a FIFO would block
            raise _file_problem(path, not_regular, f"give the path of {what}")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise _file_problem(path, "no such file", "check the path") from None
    except OSError as exc:
        raise _file_problem(
            path, f"cannot read file: {exc.strerror or exc}", "check permissions"
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced since the check
            raise _file_problem(path, not_regular, f"give the path of {what}")
        data = read_up_to(fd, limit)
    except OSError as exc:
        raise _file_problem(
            path, f"cannot read file: {exc.strerror or exc}", "check permissions"
        ) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise _too_big(path, max(len(data), info.st_size), limit)
    return data


def decode_text(raw: bytes, path: str, *, what: str) -> str:
    """UTF-8 text (a byte-order mark is dropped), or :class:`YamlLoadError` saying why not."""
    if b"\x00" in raw:
        raise YamlLoadError(
            Problem(path, 1, 1, "this is not a text file", hint=f"{what} must be UTF-8 YAML")
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlLoadError(
            Problem(path, line, 1, "file is not valid UTF-8", hint="save it as UTF-8")
        ) from None


def read_text(path: Path, *, what: str) -> str:
    """Read a UTF-8 file, turning I/O and decoding failures into :class:`YamlLoadError`."""
    return decode_text(read_bytes(path, what=what), str(path), what=what)


def load_yaml_file(path: Path, *, what: str) -> YamlDocument:
    """Read and parse one YAML mapping file."""
    return parse_yaml_text(read_text(path, what=what), str(path), what=what)


def read_yaml_values(path: Path, *, what: str) -> YamlDocument:
    """Read one YAML mapping file with :func:`parse_yaml_values` (the node tree on demand)."""
    return parse_yaml_values(read_text(path, what=what), str(path), what=what)
