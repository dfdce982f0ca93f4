"""Pointing mapped asset keys' ``code:`` at a generated module, in ``airlift.yaml``.

The edit is made on the text, like a person would: a ``code:`` value is
replaced in place; a block mapping gets a ``code:`` line under its ``key:``
line, at the same indentation; a bare key (``- raw/customers`` or inside
``[...]``) becomes ``{key: raw/customers, code: "..."}`` on the same line. Every
other byte stays. The result is read back (as the checker reads it) and must
hold exactly the requested ``code:`` values, or nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from airlift_component.generate.refusals import GenerateError

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class CodeTarget:
    """Where the keys are mapped: instance, DAG and task."""

    instance: str
    dag_id: str
    task_id: str


def _get(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k, v
    return None


def _items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _scalar(node: yaml.Node, key: str) -> str | None:
    found = _get(node, key)
    return found[1].value if found and isinstance(found[1], yaml.ScalarNode) else None


def asset_nodes(root: yaml.Node | None, target: CodeTarget) -> list[yaml.Node]:
    """The asset entries mapped to the task (bare keys or mappings)."""
    instances = _get(root, "instances") if root is not None else None
    for instance in _items(instances[1] if instances else None):
        if _scalar(instance, "name") != target.instance:
            continue
        mappings = _get(instance, "mappings")
        for mapping in _items(mappings[1] if mappings else None):
            if _scalar(mapping, "dag") != target.dag_id:
                continue
            tasks = _get(mapping, "tasks")
            for task in _items(tasks[1] if tasks else None):
                if _scalar(task, "task") == target.task_id:
                    assets = _get(task, "assets")
                    return _items(assets[1] if assets else None)
    return []


def entry_key(node: yaml.Node) -> str | None:
    """The asset key of an entry (bare or ``key:``)."""
    if isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return _scalar(node, "key")


def _edit_for(text: str, node: yaml.Node, ref: str, newline: str) -> tuple[int, int, str]:
    quoted = '"' + ref + '"'
    if isinstance(node, yaml.ScalarNode):
        original = text[node.start_mark.index : node.end_mark.index]
        return node.start_mark.index, node.end_mark.index, f"{{key: {original}, code: {quoted}}}"
    if not isinstance(node, yaml.MappingNode):
        raise ValueError("an asset entry is neither a key nor a mapping")
    existing = _get(node, "code")
    if existing is not None:
        value = existing[1]
        return value.start_mark.index, value.end_mark.index, quoted
    if node.flow_style:
        end = node.end_mark.index - 1
        while end > 0 and text[end - 1] in " \t":
            end -= 1
        return end, end, f", code: {quoted}"
    key = _get(node, "key")
    if key is None:
        raise ValueError("an asset entry has no key")
    key_node, value_node = key
    line_end = text.find("\n", value_node.end_mark.index)
    if line_end < 0:
        at = len(text)
        return at, at, f"{newline}{' ' * key_node.start_mark.column}code: {quoted}"
    at = line_end + 1
    return at, at, f"{' ' * key_node.start_mark.column}code: {quoted}{newline}"


def set_code(text: str, target: CodeTarget, refs: Mapping[str, str], path: Path) -> str:
    """``text`` with ``code:`` of each mapped key in ``refs`` (asset key → ``module:attr``)."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise GenerateError(f"{path}: not valid YAML ({exc}); run airlift validate") from None
    nodes = {entry_key(n): n for n in asset_nodes(root, target)}
    missing = sorted(set(refs) - set(nodes))
    if missing:
        raise GenerateError(
            f"{path}: instance {target.instance!r} maps no asset {missing[0]} to task "
            f"{target.task_id!r} of DAG {target.dag_id!r}; map it first"
        )
    newline = "\r\n" if "\r\n" in text else "\n"
    edits = sorted(_edit_for(text, nodes[key], ref, newline) for key, ref in refs.items())
    out, done = [], 0
    for start, end, new in edits:
        out += [text[done:start], new]
        done = end
    out.append(text[done:])
    result = "".join(out)
    _check(result, target, refs, path)
    return result


def _check(text: str, target: CodeTarget, refs: Mapping[str, str], path: Path) -> None:
    try:
        root = yaml.compose(text, Loader=_LOADER)
        got = {entry_key(n): _scalar(n, "code") for n in asset_nodes(root, target)}
    except yaml.YAMLError:
        got = {}
    if any(got.get(key) != ref for key, ref in refs.items()):
        raise GenerateError(
            f"{path}: could not add code: safely (the edited file did not read back as "
            f"intended); set code: for task {target.task_id!r} by hand to "
            + ", ".join(f"{k} -> {v}" for k, v in sorted(refs.items()))
        )
