"""The ``decommissioned:`` block on a DAG's mapping in ``airlift.yaml``, added and removed
as text so that removing it gives back the file byte for byte.

The block is whole lines inserted right under the mapping's ``dag:`` line, at its
indentation; every other byte stays. Removal takes exactly those lines out, and
only when they are still written as airlift writes them: a comment or a change
of layout inside the block is refused, so ``--undo`` never drops a person's
note silently (a changed value is undone as the block now says).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields
from typing import Any

import yaml

from airlift_component.config.yaml.bool_edit import compose, node_path

BLOCK_KEY = "decommissioned"


class BlockEditError(ValueError):
    """The block cannot be added or removed; the message says why and what to do."""


@dataclass(frozen=True)
class DecommissionRecord:
    """What ``airlift decommission`` did, as written in the block: enough to undo it.

    Two variants: a cron schedule (``cron``, ``timezone``, ``logical_date`` set) or,
    for a DAG Airflow assets triggered, the Dagster assets whose updates run it
    (``on_assets``, and ``on_assets_updated``: ``any`` or ``all`` of them). Both
    carry ``first_tick`` and ``paused_by_airlift``; fields not set are not written.
    """

    cron: str | None
    timezone: str | None
    first_tick: str
    logical_date: str | None
    paused_by_airlift: bool
    on_assets: tuple[str, ...] | None = None
    on_assets_updated: str | None = None


#: The fields each variant writes, in the block's order.
CRON_FIELDS = ("cron", "timezone", "first_tick", "logical_date", "paused_by_airlift")
ASSET_FIELDS = ("first_tick", "paused_by_airlift", "on_assets", "on_assets_updated")


def render_block(record: DecommissionRecord, indent: int, newline: str = "\n") -> str:
    """The block's lines, the key at ``indent`` columns, values quoted as JSON strings."""
    pad = " " * indent
    lines = [f"{pad}{BLOCK_KEY}:"]
    for field in fields(record):
        value = getattr(record, field.name)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, tuple):
            text = "[" + ", ".join(_quoted(item) for item in value) + "]"
        else:
            text = _quoted(value)
        lines.append(f"{pad}  {field.name}: {text}")
    return newline.join(lines) + newline


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_block(text: str, instance: str, dag_id: str, record: DecommissionRecord) -> str:
    """``text`` with the block under DAG ``dag_id``'s ``dag:`` line of ``instance``."""
    mapping, dag_node = _mapping_nodes(text, instance, dag_id)
    if any(isinstance(k, yaml.ScalarNode) and k.value == BLOCK_KEY for k, _ in mapping.value):
        raise BlockEditError(
            f"DAG {dag_id!r} of instance {instance!r} is already decommissioned "
            f"(it has a {BLOCK_KEY}: block); undo it first with --undo"
        )
    if mapping.flow_style:
        raise BlockEditError(
            f"DAG {dag_id!r}'s mapping is written in flow style ({{...}}); write it as a "
            "block mapping (one key per line) and run the command again"
        )
    key_column = _key_column(mapping, "dag")
    newline = "\r\n" if "\r\n" in text else "\n"
    line_end = text.find("\n", dag_node.end_mark.index)
    if line_end < 0:
        return text + newline + render_block(record, key_column, newline).rstrip("\r\n")
    at = line_end + 1
    return text[:at] + render_block(record, key_column, newline) + text[at:]


def remove_block(
    text: str, instance: str, dag_id: str, *, force: bool = False
) -> tuple[str, DecommissionRecord | None]:
    """``text`` without the block, and the record it held; refused if it was edited.

    With ``force`` an edited block is removed all the same (its lines, as they are
    now), and the record is ``None`` when the block no longer holds one.
    """
    mapping, _ = _mapping_nodes(text, instance, dag_id)
    found = [(k, v) for k, v in mapping.value if k.value == BLOCK_KEY]
    if not found:
        raise BlockEditError(
            f"DAG {dag_id!r} of instance {instance!r} has no {BLOCK_KEY}: block: it was "
            "not decommissioned by airlift (or the block was removed by hand)"
        )
    key, value = found[0]
    start = text.rfind("\n", 0, key.start_mark.index) + 1
    last = value.value[-1][1] if isinstance(value, yaml.MappingNode) and value.value else value
    end = text.find("\n", last.end_mark.index)
    end = len(text) if end < 0 else end + 1
    newline = "\r\n" if "\r\n" in text else "\n"
    record: DecommissionRecord | None = None
    try:
        record = _record(yaml.safe_load(text[start:end]), dag_id)
        expected = render_block(record, key.start_mark.column, newline)
    except (BlockEditError, yaml.YAMLError, TypeError) as exc:
        if not force:
            raise BlockEditError(str(exc)) from None
        record, expected = None, ""
    if text[start:end] != expected and text[start:end] + newline != expected and not force:
        raise BlockEditError(
            f"DAG {dag_id!r}'s {BLOCK_KEY}: block was edited since airlift wrote it "
            f"(line {key.start_mark.line + 1}); undoing would drop the edit:\n"
            + _differences(text[start:end], expected)
            + "\nrestore the block as airlift wrote it, or pass --force to remove it as it is"
        )
    if end == len(text) and not text.endswith("\n"):
        start -= len(newline)  # the block was appended after a last line without one
    return text[:start] + text[end:], record


def _differences(now: str, written: str) -> str:
    """The lines that differ, ``-`` as airlift wrote them and ``+`` as they are now."""
    lines = difflib.unified_diff(
        written.splitlines(),
        now.splitlines(),
        "as airlift wrote it",
        "as it is now",
        lineterm="",
        n=0,
    )
    return "\n".join(f"  {line}" for line in lines if not line.startswith("@@"))


def _record(loaded: Any, dag_id: str) -> DecommissionRecord:
    block = loaded.get(BLOCK_KEY) if isinstance(loaded, dict) else None
    variants = (CRON_FIELDS, ASSET_FIELDS)
    if not isinstance(block, dict) or sorted(block) not in [sorted(v) for v in variants]:
        raise BlockEditError(
            f"DAG {dag_id!r}'s {BLOCK_KEY}: block does not hold {', '.join(CRON_FIELDS)} "
            f"(or {', '.join(ASSET_FIELDS)}); restore it as airlift wrote it or remove it "
            "by hand"
        )
    assets = block.get("on_assets")
    return DecommissionRecord(
        cron=block.get("cron"),
        timezone=block.get("timezone"),
        first_tick=block["first_tick"],
        logical_date=block.get("logical_date"),
        paused_by_airlift=block["paused_by_airlift"],
        on_assets=tuple(str(item) for item in assets) if isinstance(assets, list) else None,
        on_assets_updated=block.get("on_assets_updated"),
    )


def _mapping_nodes(text: str, instance: str, dag_id: str) -> tuple[yaml.MappingNode, yaml.Node]:
    try:
        plain = yaml.safe_load(text)
        root = compose(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise BlockEditError(f"not a readable airlift.yaml ({exc}); run airlift validate") from None
    where = _mapping_index(plain, instance, dag_id)
    path = node_path(root, ("instances", where[0], "mappings", where[1], "dag"))
    mapping = path[-2]
    assert isinstance(mapping, yaml.MappingNode)
    return mapping, path[-1]


def _mapping_index(plain: Any, instance: str, dag_id: str) -> tuple[int, int]:
    instances = plain.get("instances") if isinstance(plain, dict) else None
    for i, item in enumerate(instances or []):
        if isinstance(item, dict) and item.get("name") == instance:
            for j, mapping in enumerate(item.get("mappings") or []):
                if isinstance(mapping, dict) and mapping.get("dag") == dag_id:
                    return i, j
            raise BlockEditError(
                f"instance {instance!r} has no mapping for DAG {dag_id!r}; map the DAG "
                "(airlift scaffold) before decommissioning it"
            )
    raise BlockEditError(f"airlift.yaml has no instance named {instance!r}")


def _key_column(mapping: yaml.MappingNode, name: str) -> int:
    return next(k.start_mark.column for k, _ in mapping.value if k.value == name)
