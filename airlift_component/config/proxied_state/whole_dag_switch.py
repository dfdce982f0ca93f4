"""Switching a proxied-state file between task level and whole-DAG, and back, losing nothing.

`airlift proxy on DAG --dag` on a task-level file (the decommission step) writes
``proxied: true`` in place of the ``tasks:`` list and keeps that list, byte for
byte, in a marked comment block below it::

    # Proxied state of DAG customers
    proxied: true
    # airlift:kept-tasks begin: `airlift proxy off --dag` restores these lines; do not edit them
    # tasks:
    #   - id: load   # the first step
    #     proxied: true
    #   - id: transform
    #     proxied: false
    # airlift:kept-tasks end

The file stays a valid dagster-airlift file in between (YAML ignores comments).
`airlift proxy off DAG --dag` removes the ``proxied:`` line and un-comments the
block, which gives back the file exactly as it was, flags and comments included.
Each kept line is the original with ``# `` in front (``#`` alone for an empty
line); the end marker says when the original had no final newline.

Texts here have no byte-order mark; ``root`` is the reader's node tree of the
text (:mod:`~airlift_component.config.yaml.read`), whose marks give character
offsets into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

BEGIN = "# airlift:kept-tasks begin"
BEGIN_LINE = BEGIN + ": `airlift proxy off --dag` restores these lines; do not edit them"
END = "# airlift:kept-tasks end"
NO_FINAL_NEWLINE = " (no final newline)"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


class SwitchError(ValueError):
    """The file cannot be switched safely; the message says why (no file was changed)."""


@dataclass(frozen=True)
class KeptBlock:
    """Where the kept task list is in a file, and the original lines it holds."""

    start: int  # offset of the begin marker line
    end: int  # offset just after the end marker line (and its line break)
    body: str  # the original text, un-commented


def _lines(text: str) -> list[tuple[int, str]]:
    """(offset, line with its line break) for every line of ``text``."""
    return [(m.start(), m.group()) for m in _LINE.finditer(text) if m.group()]


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _line_start(mark: yaml.Mark) -> int:
    return int(mark.index) - int(mark.column)


def to_whole_dag(text: str, root: yaml.MappingNode, value: bool) -> str:
    """``text`` (a task-level file) with ``proxied: <value>`` and its task list kept."""
    if not root.value or root.value[0][0].value != "tasks":
        raise SwitchError("the file has no 'tasks:' list to keep")
    anchor = root if root.flow_style else root.value[0][0]
    start = _line_start(anchor.start_mark)
    head, body = text[:start], text[start:]
    nl = _newline(text)
    kept = [BEGIN_LINE + nl]
    for _, line in _lines(body):
        content = line.rstrip("\r\n")
        ending = line[len(content) :] or nl
        kept.append(("# " + content if content else "#") + ending)
    final = "" if body.endswith(("\n", "\r")) or not body else NO_FINAL_NEWLINE
    return head + f"proxied: {str(value).lower()}{nl}" + "".join(kept) + END + final + nl


def find_kept_block(text: str) -> KeptBlock | None:
    """The kept task list of a whole-DAG file, ``None`` when it has none.

    Raises :class:`SwitchError` when the block was changed so that it cannot be
    restored exactly (a missing end marker, a line that is no longer a comment).
    """
    lines = _lines(text)
    begins = [i for i, (_, line) in enumerate(lines) if line.startswith(BEGIN)]
    if not begins:
        return None
    if len(begins) > 1:
        raise SwitchError("the file has more than one kept task list")
    first = begins[0]
    ends = [i for i, (_, line) in enumerate(lines) if i > first and line.startswith(END)]
    if not ends:
        raise SwitchError(f"the kept task list has no '{END}' line")
    last = ends[0]
    body = []
    for _, line in lines[first + 1 : last]:
        content = line.rstrip("\r\n")
        ending = line[len(content) :]
        if content == "#":
            body.append(ending)
        elif content.startswith("# "):
            body.append(content[2:] + ending)
        else:
            raise SwitchError(f"a line of the kept task list is no longer a comment: {content!r}")
    restored = "".join(body)
    if lines[last][1].rstrip("\r\n").endswith(NO_FINAL_NEWLINE):
        restored = restored.removesuffix("\n").removesuffix("\r")
    end_offset, end_line = lines[last]
    return KeptBlock(lines[first][0], end_offset + len(end_line), restored)


def restore_tasks(text: str, root: yaml.MappingNode, block: KeptBlock) -> str:
    """``text`` (a whole-DAG file) with its ``proxied:`` line replaced by the kept list."""
    if root.flow_style or len(root.value) != 1:
        raise SwitchError("the 'proxied:' flag is not a line of its own")
    key, value = root.value[0]
    if key.value != "proxied" or key.start_mark.line != value.end_mark.line:
        raise SwitchError("the 'proxied:' flag is not a line of its own")
    start = _line_start(key.start_mark)
    line = _LINE.match(text, start)
    assert line is not None  # the pattern matches at every offset
    after = line.end()
    cuts = sorted([(start, after, ""), (block.start, block.end, block.body)])
    out, done = [], 0
    for cut_start, cut_end, replacement in cuts:
        if cut_start < done:
            raise SwitchError("the 'proxied:' flag is inside the kept task list")
        out += [text[done:cut_start], replacement]
        done = cut_end
    out.append(text[done:])
    return "".join(out)
